"""A realistic demo workspace: a year's action plan and the workbooks its groups send in.

It shows the product without real data and serves the tests as a fixture: beside clean reports
and their history (a report per past quarter, mostly on time) it plants what offices send (late
activities, missing reports, odd dates, group aliases, bad values, a resubmission) and records
each, with its sheet and cell, in a manifest. All comes from the seed and ``as_of``, never today.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tps_batch import spec, thai
from tps_batch.atomic import atomic_write
from tps_batch.plan import P_PROJECTS, write_plan
from tps_batch.settings import SETTINGS_FILE, render_toml
from tps_batch.template import write_workbook
from tps_batch.workspace import FOLDERS, make_folders  # noqa: F401  (FOLDERS: for callers)

A_ST, SPEC, label = spec.ACTIVITY_STATUSES, spec.SPEC, spec.choice_label

OFFICE = "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต 1"
MANIFEST_FILE = "demo-manifest.json"
BANGKOK = dt.timezone(dt.timedelta(hours=7))


def _rows(text: str) -> list[list[str]]:
    """The data tables below: one record a line, fields separated by "|"."""
    return [line.split("|") for line in text.strip().splitlines()]


# slug | canonical name | aliases (;) | staff position
GROUPS = _rows("""
admin|กลุ่มอำนวยการ|อำนวยการ;กลุ่มงานอำนวยการ;กอก.|นักจัดการงานทั่วไปชำนาญการ
legal|กลุ่มกฎหมายและคดี|กฎหมายและคดี;กลุ่มกฎหมาย;กกค.|นิติกรชำนาญการ
plan|กลุ่มนโยบายและแผน|นโยบายและแผน;กลุ่มแผน;กนผ.|นักวิเคราะห์นโยบายและแผนชำนาญการ
finance|กลุ่มบริหารงานการเงินและสินทรัพย์|กลุ่มบริหารการเงินและสินทรัพย์;การเงินและสินทรัพย์;กลุ่มการเงิน;กคง.|นักวิชาการเงินและบัญชีชำนาญการ
dlict|กลุ่มส่งเสริมการศึกษาทางไกล เทคโนโลยีสารสนเทศและการสื่อสาร|DLICT;กลุ่ม DLICT;กลุ่มส่งเสริมการศึกษาทางไกลฯ;ICT|นักวิชาการคอมพิวเตอร์ชำนาญการ
supervision|กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา|กลุ่มนิเทศ ติดตาม และประเมินผลการจัดการศึกษา;กลุ่มนิเทศติดตามและประเมินผล;กลุ่มนิเทศฯ;กนต.|ศึกษานิเทศก์ชำนาญการพิเศษ
personnel|กลุ่มบริหารงานบุคคล|กลุ่มบริหารบุคคล;บริหารงานบุคคล;กบค.|นักทรัพยากรบุคคลชำนาญการ
develop|กลุ่มพัฒนาครูและบุคลากรทางการศึกษา|กลุ่มพัฒนาครูฯ;พัฒนาครูและบุคลากรทางการศึกษา;กพค.|นักทรัพยากรบุคคลชำนาญการพิเศษ
promotion|กลุ่มส่งเสริมการจัดการศึกษา|ส่งเสริมการจัดการศึกษา;กลุ่มส่งเสริมฯ;กสก.|นักวิชาการศึกษาชำนาญการ
audit|หน่วยตรวจสอบภายใน|ตรวจสอบภายใน;กลุ่มตรวจสอบภายใน;ตสน.|นักวิชาการตรวจสอบภายในชำนาญการ
""")  # noqa: E501
#: Groups whose first alias a planted workbook uses (บริหารการเงิน, "ติดตาม และ", DLICT).
PLANTED_ALIASES = ("finance", "supervision", "dlict")
FIRST_NAMES = [n.split(":") for n in """
ธนพล:thanaphon:m วรวุฒิ:worawut:m สมศักดิ์:somsak:m ประเสริฐ:prasert:m กิตติพงษ์:kittipong:m ณัฐวุฒิ:nattawut:m อนุชา:anucha:m ชัยวัฒน์:chaiwat:m ธีระ:thira:m พงศกร:pongsakorn:m สุรชัย:surachai:m วีระพงษ์:weerapong:m ศิริพร:siriporn:f กมลวรรณ:kamonwan:f สุภาพร:supaporn:f วันเพ็ญ:wanpen:f จิราพร:jiraporn:f นันทนา:nantana:f พรทิพย์:porntip:f รัชนี:ratchanee:f อรุณี:arunee:f ปิยะนุช:piyanut:f เบญจวรรณ:benjawan:f สุนิสา:sunisa:f
""".split()]  # noqa: E501
LAST_NAMES = [n.split(":") for n in """
ศรีสุข:srisuk แก้วมณี:kaewmanee บุญประเสริฐ:boonprasert ทองดี:thongdee จันทร์เพ็ญ:chanpen สุวรรณรัตน์:suwannarat พรหมมา:phromma ชัยมงคล:chaimongkol วงศ์ใหญ่:wongyai ศรีวิชัย:sriwichai อินทร์แก้ว:inkaew มณีวงศ์:maneewong รักษ์ไทย:rakthai เพชรรัตน์:phetcharat คำแสน:khamsaen บุญมา:boonma สายทอง:saithong ใจงาม:jaingam นาคสวัสดิ์:naksawat ปัญญาดี:panyadee
""".split()]  # noqa: E501
FRAMEWORKS = _rows("""
ITA|การประเมินคุณธรรมและความโปร่งใสในการดำเนินงานของหน่วยงานภาครัฐ (ITA Online)|Integrity and Transparency Assessment
ESA-STD|มาตรฐานสำนักงานเขตพื้นที่การศึกษา พ.ศ. 2560|ESA office standards
PA|การประเมินส่วนราชการตามมาตรการปรับปรุงประสิทธิภาพในการปฏิบัติราชการ|Agency performance evaluation
OBEC|ตัวชี้วัดตามแผนปฏิบัติราชการ สพฐ. (รายกลยุทธ์)|OBEC action-plan indicators
""")  # noqa: E501
# framework | code | owner group | deadline mm-dd ("soon": as_of + 10 days) | target | value | name
INDICATORS = _rows("""
ITA|O6|dlict|12-29|เผยแพร่ครบถ้วนเป็นปัจจุบัน|100|ข้อมูลข่าวสารประชาสัมพันธ์และช่องทางการสื่อสารของหน่วยงาน
ITA|O10|plan|01-31|เผยแพร่ภายในกำหนด|100|แผนดำเนินงานและการใช้จ่ายงบประมาณประจำปี
ITA|O11|plan|soon|เผยแพร่ภายในกำหนด|100|รายงานการกำกับติดตามการดำเนินงานและการใช้จ่ายงบประมาณ รอบ 6 เดือน
ITA|O12|plan|03-31|เผยแพร่ภายในกำหนด|100|รายงานผลการดำเนินงานประจำปี
ITA|O16|finance|11-30|เผยแพร่ภายในกำหนด|100|แผนการจัดซื้อจัดจ้างหรือแผนการจัดหาพัสดุ
ITA|O18|finance|06-30|ครบทุกเดือน|100|สรุปผลการจัดซื้อจัดจ้างหรือการจัดหาพัสดุรายเดือน
ITA|O19|finance|12-29|เผยแพร่ภายในกำหนด|100|รายงานผลการจัดซื้อจัดจ้างหรือการจัดหาพัสดุประจำปี
ITA|O22|personnel|02-28|เผยแพร่ภายในกำหนด|100|หลักเกณฑ์การบริหารและพัฒนาทรัพยากรบุคคล
ITA|O24|personnel|08-31|เผยแพร่ภายในกำหนด|100|รายงานผลการบริหารและพัฒนาทรัพยากรบุคคลประจำปี
ITA|O27|legal|07-31|เผยแพร่ภายในกำหนด|100|รายงานผลการดำเนินการเรื่องร้องเรียนการทุจริตและประพฤติมิชอบ
ITA|O33|audit|03-31|เผยแพร่ภายในกำหนด|100|การประเมินความเสี่ยงการทุจริตประจำปี
ITA|O36|admin|01-31|เผยแพร่ภายในกำหนด|100|แผนปฏิบัติการป้องกันการทุจริต
ESA-STD|1.1|plan|08-31|ระดับดีเยี่ยม||การบริหารจัดการองค์การอย่างเป็นระบบ
ESA-STD|1.2|admin|08-31|ระดับดีเยี่ยม||การบริหารจัดการตามหลักธรรมาภิบาล
ESA-STD|1.3|dlict|08-31|ระดับดีเยี่ยม||การบริหารจัดการข้อมูลสารสนเทศและเทคโนโลยีดิจิทัล
ESA-STD|2.1|promotion|08-31|ระดับดีเยี่ยม||การส่งเสริมการจัดการศึกษาให้ทั่วถึงและเท่าเทียม
ESA-STD|2.2|develop|08-31|ระดับดีเยี่ยม||การพัฒนาครูและบุคลากรทางการศึกษา
ESA-STD|2.3|supervision|08-31|ระดับดีเยี่ยม||การนิเทศ ติดตาม และประเมินผลการจัดการศึกษา
ESA-STD|3.1|supervision|09-15|ระดับดีเยี่ยม||ผลสัมฤทธิ์ทางการเรียนของผู้เรียน
ESA-STD|3.2|promotion|09-15|ระดับดีเยี่ยม||คุณลักษณะและสมรรถนะของผู้เรียน
PA|สพท.1|plan|04-30|ระดับ 5|100|ผลการดำเนินงานตามนโยบายและจุดเน้นของ สพฐ.
PA|สพท.2|finance|07-15|ร้อยละ 94|94|ผลการเบิกจ่ายงบประมาณตามเป้าหมาย
PA|สพท.3|dlict|09-15|ระดับ 5|100|การพัฒนานวัตกรรมการบริหารและการให้บริการ
OBEC|1.1|promotion|09-15|ร้อยละ 100|100|ร้อยละของสถานศึกษาที่มีระบบความปลอดภัยและมาตรการป้องกันภัยทุกรูปแบบ
OBEC|2.1|promotion|06-30|ร้อยละ 100|100|ร้อยละของเด็กวัยเรียนได้รับโอกาสเข้าเรียนในระบบการศึกษา
OBEC|3.1|supervision|09-15|เพิ่มขึ้นร้อยละ 3|3|ร้อยละของนักเรียนที่มีผลการทดสอบระดับชาติ (O-NET) ผ่านเกณฑ์เพิ่มขึ้น
OBEC|3.2|supervision|04-30|ร้อยละ 90|90|ร้อยละของนักเรียนชั้นประถมศึกษาปีที่ 1 อ่านออกเขียนได้
OBEC|3.3|develop|08-31|ร้อยละ 80|80|ร้อยละของครูที่ได้รับการพัฒนาตามความต้องการและจำเป็น
OBEC|4.1|dlict|08-31|ร้อยละ 90|90|ร้อยละของสถานศึกษาที่ใช้ระบบข้อมูลสารสนเทศในการบริหารจัดการ
OBEC|4.2|finance|09-30|ร้อยละ 94|94|ร้อยละการเบิกจ่ายงบประมาณเป็นไปตามเป้าหมายที่กำหนด
""")
# group | slug | budget (0 S M L) | type (r q i) | window | activities | links | name | topic
PROJECTS = _rows("""
admin|e-saraban|S|r|-|CWR|ESA-STD:1.2; ESA-STD:1.3|โครงการพัฒนาระบบงานสารบรรณอิเล็กทรอนิกส์|การใช้ระบบงานสารบรรณอิเล็กทรอนิกส์
admin|pr-network|S|r|y|CTR|ITA:O6|โครงการประชาสัมพันธ์ผลงานและสร้างเครือข่ายการสื่อสารองค์กร|การประชาสัมพันธ์และการสื่อสารองค์กร
admin|integrity|0|r|-|CWR|ITA:O36; ESA-STD:1.2|โครงการสำนักงานเขตพื้นที่การศึกษาคุณธรรมและความโปร่งใส|คุณธรรมและความโปร่งใสในการปฏิบัติงาน
admin|office-5s|S|r|-|CWR|ESA-STD:1.1|โครงการพัฒนาสำนักงานน่าอยู่ตามหลัก 5ส|การจัดสำนักงานตามหลัก 5ส
legal|law-discipline|M|q|-|CTR|ESA-STD:1.2|โครงการให้ความรู้ด้านกฎหมายและวินัยแก่ข้าราชการครูและบุคลากรทางการศึกษา|กฎหมายและวินัยข้าราชการ
legal|anti-corruption|S|r|-|CWR|ITA:O36; ITA:O27|โครงการป้องกันและปราบปรามการทุจริตและประพฤติมิชอบ|การป้องกันการทุจริต
legal|complaints|0|r|y|CWR|ITA:O27|โครงการพัฒนาระบบรับเรื่องร้องเรียนร้องทุกข์|การจัดการเรื่องร้องเรียน
plan|action-plan|M|r|e|CWR|ITA:O10; ESA-STD:1.1|โครงการจัดทำแผนปฏิบัติการประจำปีงบประมาณ {fy}|การจัดทำแผนปฏิบัติการ
plan|monitoring|S|r|y|CNR|ITA:O11; PA:สพท.1|โครงการติดตาม ตรวจสอบ และรายงานผลการดำเนินงานตามแผนปฏิบัติการ|การติดตามการดำเนินงานตามแผน
plan|annual-report|S|r|e|CWR|ITA:O12|โครงการจัดทำรายงานผลการดำเนินงานประจำปีงบประมาณ {fy1}|การจัดทำรายงานประจำปี
plan|edu-data|S|q|-|CWR|OBEC:4.1; ESA-STD:1.3|โครงการจัดทำข้อมูลสารสนเทศทางการศึกษา|ข้อมูลสารสนเทศทางการศึกษา
plan|small-schools|M|q|-|CWNR|OBEC:2.1; ESA-STD:2.1|โครงการบริหารจัดการโรงเรียนขนาดเล็กและโรงเรียนคุณภาพ|การบริหารจัดการโรงเรียนขนาดเล็ก
finance|disbursement|S|r|y|CWR|PA:สพท.2; OBEC:4.2|โครงการพัฒนาประสิทธิภาพการเบิกจ่ายงบประมาณ|การเบิกจ่ายงบประมาณ
finance|finance-staff|M|q|-|CTR|OBEC:4.2; ESA-STD:1.1|โครงการพัฒนาศักยภาพเจ้าหน้าที่การเงินและพัสดุของสถานศึกษา|การเงิน บัญชี และพัสดุ
finance|procurement|0|r|y|CWR|ITA:O16; ITA:O18; ITA:O19|โครงการจัดทำแผนและรายงานผลการจัดซื้อจัดจ้าง|การจัดซื้อจัดจ้าง
finance|asset-check|S|r|e|CWR|ITA:O19|โครงการตรวจสอบพัสดุประจำปี|การตรวจสอบพัสดุประจำปี
dlict|network|L|i|-|CER|OBEC:4.1; ESA-STD:1.3|โครงการพัฒนาระบบเครือข่ายอินเทอร์เน็ตและเทคโนโลยีสารสนเทศของสำนักงาน|ระบบเครือข่ายและเทคโนโลยีสารสนเทศ
dlict|dltv|M|q|-|CTNR|OBEC:3.1|โครงการส่งเสริมการจัดการเรียนการสอนทางไกลผ่านดาวเทียม (DLTV)|การจัดการเรียนการสอนทางไกล
dlict|digital-teachers|M|q|-|CTR|OBEC:3.3; PA:สพท.3|โครงการพัฒนาครูด้านเทคโนโลยีดิจิทัลเพื่อการเรียนรู้|เทคโนโลยีดิจิทัลเพื่อการเรียนรู้
dlict|website|S|r|y|CWR|ITA:O6; PA:สพท.3|โครงการพัฒนาเว็บไซต์และระบบเผยแพร่ข้อมูลสาธารณะ|การเผยแพร่ข้อมูลผ่านเว็บไซต์
supervision|supervision|M|q|y|CNWR|ESA-STD:2.3; OBEC:3.1|โครงการนิเทศ ติดตาม การจัดการเรียนการสอนของสถานศึกษา|การจัดการเรียนการสอน
supervision|onet|M|q|-|CTNR|OBEC:3.1; ESA-STD:3.1|โครงการยกระดับผลสัมฤทธิ์ทางการเรียน O-NET และ NT|การยกระดับผลสัมฤทธิ์ทางการเรียน
supervision|reading|S|q|-|CTNR|OBEC:3.2|โครงการส่งเสริมการอ่านออกเขียนได้ของนักเรียนชั้นประถมศึกษาปีที่ 1|การสอนอ่านออกเขียนได้
supervision|qa|S|q|-|CWNR|ESA-STD:2.3|โครงการพัฒนาระบบประกันคุณภาพการศึกษาภายในสถานศึกษา|การประกันคุณภาพภายใน
supervision|active-learning|M|q|-|CTNR|OBEC:3.3; ESA-STD:3.1|โครงการส่งเสริมการจัดการเรียนรู้เชิงรุก (Active Learning)|การจัดการเรียนรู้เชิงรุก
personnel|agks-meetings|M|r|y|AR|ITA:O22|โครงการประชุมคณะอนุกรรมการข้าราชการครูและบุคลากรทางการศึกษา (อ.ก.ค.ศ.)|การบริหารงานบุคคล
personnel|recruitment|M|r|-|CWR|ITA:O22|โครงการสรรหาและบรรจุแต่งตั้งข้าราชการครู|การสรรหาและบรรจุแต่งตั้ง
personnel|honours|S|q|-|CSR|ITA:O24|โครงการคัดเลือกผลงานเพื่อเชิดชูเกียรติครูและบุคลากรทางการศึกษา|ครูและบุคลากรทางการศึกษา
personnel|hr-data|0|r|-|CWR|ITA:O24|โครงการพัฒนาระบบข้อมูลทะเบียนประวัติอิเล็กทรอนิกส์|ทะเบียนประวัติอิเล็กทรอนิกส์
develop|teacher-training|M|q|-|CTR|OBEC:3.3; ESA-STD:2.2|โครงการอบรมพัฒนาครูตามหลักสูตรการพัฒนาข้าราชการครู|การพัฒนาตามหลักสูตร
develop|new-principals|S|q|-|CWR|ESA-STD:2.2|โครงการพัฒนาผู้บริหารสถานศึกษาใหม่|การบริหารสถานศึกษา
develop|plc|S|q|-|CTNR|OBEC:3.3|โครงการส่งเสริมชุมชนการเรียนรู้ทางวิชาชีพ (PLC)|ชุมชนการเรียนรู้ทางวิชาชีพ
develop|new-teachers|M|q|-|CTR|ESA-STD:2.2|โครงการพัฒนาข้าราชการครูตำแหน่งครูผู้ช่วย|การเตรียมความพร้อมครูผู้ช่วย
promotion|safety|S|q|-|CWNR|OBEC:1.1|โครงการส่งเสริมความปลอดภัยในสถานศึกษา (MOE Safety Center)|ความปลอดภัยในสถานศึกษา
promotion|dropout|S|q|-|CWNR|OBEC:2.1; ESA-STD:2.1|โครงการป้องกันเด็กตกหล่นและออกกลางคัน|การป้องกันเด็กตกหล่นและออกกลางคัน
promotion|arts-fair|M|q|l|CSR|ESA-STD:3.2|โครงการแข่งขันงานศิลปหัตถกรรมนักเรียน|ศิลปหัตถกรรมนักเรียน
promotion|scouts|S|q|-|CTR|ESA-STD:3.2|โครงการส่งเสริมกิจการลูกเสือ เนตรนารี และยุวกาชาด|กิจการลูกเสือและยุวกาชาด
promotion|student-care|0|q|-|CWNR|OBEC:1.1|โครงการพัฒนาระบบดูแลช่วยเหลือนักเรียน|ระบบดูแลช่วยเหลือนักเรียน
audit|school-audit|S|r|-|CNR|ESA-STD:1.2; ITA:O33|โครงการตรวจสอบภายในสถานศึกษา|การตรวจสอบภายในสถานศึกษา
audit|risk|0|r|-|CWR|ITA:O33|โครงการพัฒนาความรู้ด้านการควบคุมภายในและการบริหารความเสี่ยง|การควบคุมภายในและการบริหารความเสี่ยง
""")  # noqa: E501
# kind | name | people min | max | one-day event (1) or long (0) | place | weight | result
ACTS = {r[0]: r for r in _rows("""
C|ประชุมคณะทำงานวางแผนเรื่อง{t}|10|25|1|ห้องประชุมสำนักงานเขตพื้นที่การศึกษา|1|ประชุมคณะทำงาน {n} คน ได้แนวทางและปฏิทินการดำเนินงาน
W|ประชุมเชิงปฏิบัติการเรื่อง{t}|30|120|1|ห้องประชุมใหญ่ สพป.ตัวอย่าง เขต 1|4|ผู้เข้าร่วม {n} คน ได้ผลงานตามเป้าหมาย ความพึงพอใจระดับมาก
T|อบรมพัฒนาครูและบุคลากรเรื่อง{t}|50|300|1|หอประชุมโรงเรียนอนุบาลตัวอย่าง|6|ผู้เข้ารับการอบรม {n} คน ผ่านเกณฑ์การประเมินหลังการอบรม
N|นิเทศ ติดตามเรื่อง{t}ในสถานศึกษา|20|80|0|โรงเรียนในสังกัด|3|นิเทศ ติดตามครบตามแผน ผู้รับการนิเทศ {n} คน ได้ข้อเสนอแนะเพื่อการพัฒนา
S|คัดเลือกผลงานดีเด่นด้าน{t}เพื่อเชิดชูเกียรติ|20|60|0|สพป.ตัวอย่าง เขต 1|3|มีผู้ส่งผลงาน {n} ราย ประกาศผลและมอบเกียรติบัตรแล้ว
A|ประชุม อ.ก.ค.ศ. เขตพื้นที่การศึกษา ประจำเดือน|9|15|0|ห้องประชุม อ.ก.ค.ศ.|3|จัดประชุมครบทุกเดือน กรรมการเข้าประชุม {n} คน พิจารณาวาระครบถ้วน
E|จัดซื้อจัดจ้างและติดตั้ง{t}|5|10|0|สพป.ตัวอย่าง เขต 1|12|ติดตั้งและส่งมอบงานครบถ้วน คณะกรรมการ {n} คน ตรวจรับแล้ว
R|สรุปและรายงานผล{t}|5|15|0|สพป.ตัวอย่าง เขต 1|1|จัดทำรายงานผล ({n} คน) เสนอผู้บริหารและเผยแพร่บนเว็บไซต์แล้ว
""")}  # noqa: E501
# objectives ({t}: the project's topic), problems, suggestions, strategies (by OBEC strategy)
TEXTS = {r[0]: r[1:] for r in _rows("""
objectives|เพื่อพัฒนา{t}ของสำนักงานเขตพื้นที่การศึกษาและสถานศึกษาให้มีประสิทธิภาพ|เพื่อให้บุคลากรที่เกี่ยวข้องมีความรู้ความเข้าใจและปฏิบัติงานด้าน{t}ได้ถูกต้อง|เพื่อติดตาม ประเมินผล และรายงานผล{t}ต่อผู้บริหารตามกำหนด
problems|ระยะเวลาดำเนินกิจกรรมตรงกับช่วงสอบปลายภาค ทำให้ครูเข้าร่วมไม่ครบ|ได้รับจัดสรรงบประมาณล่าช้า ต้องเลื่อนกิจกรรมบางส่วน|สถานศึกษาบางแห่งส่งข้อมูลไม่ครบถ้วนและไม่ทันตามกำหนด|ระบบเครือข่ายอินเทอร์เน็ตของโรงเรียนขนาดเล็กไม่เสถียร|บุคลากรมีภารกิจซ้อนกันหลายงานในช่วงเวลาเดียวกัน
suggestions|ควรวางปฏิทินกิจกรรมให้สอดคล้องกับปฏิทินวิชาการของสถานศึกษา|ควรแจ้งจัดสรรงบประมาณตั้งแต่ต้นปีงบประมาณ|ควรจัดทำระบบรายงานออนไลน์เพื่อลดภาระเอกสารของโรงเรียน|ควรขยายผลแนวปฏิบัติที่ดีไปยังโรงเรียนอื่นในสังกัด|ควรติดตามผลต่อเนื่องในปีงบประมาณถัดไป
strategies|กลยุทธ์ที่ 1 ด้านความปลอดภัย|กลยุทธ์ที่ 2 ด้านโอกาส|กลยุทธ์ที่ 3 ด้านคุณภาพ|กลยุทธ์ที่ 4 ด้านประสิทธิภาพ
""")}  # noqa: E501
#: Cumulative disbursement targets (%) for Q1–Q4, by plan.TARGET_SCOPES label.
DISBURSEMENT = {"ภาพรวม": (30, 54, 77, 94), "งบประจำ": (32, 56, 80, 98), "งบลงทุน": (20, 45, 65, 80)}
BUDGET_TYPES = {"r": "งบประจำ", "q": "งบพัฒนาคุณภาพการศึกษา", "i": "งบลงทุน"}
ON_TIME = 0.8  # the share of history reports received by their due date
#: Windows (early, all year, late, any): first/last start (days after 1 Oct), min/max length.
WINDOWS = {"e": (0, 40, 60, 100), "y": (0, 25, 335, 365), "l": (185, 215, 60, 110),
           "-": (10, 150, 100, 230)}
DATE_PLANTS = (  # kind, activity column, how a clerk typed the date
    ("thai-digit-date", "actual_date",
     lambda d: thai.format_date_long(d, thai_digits=True, prefix=False)),
    ("be-gregorian-date", "planned_start", lambda d: d.replace(year=d.year + 543)),
    ("text-date", "planned_end", lambda d: thai.format_date_short(d)[:-4] + str(d.year + 543)[2:]),
    ("text-date", "actual_date", lambda d: f"{d.day:02d}/{d.month:02d}/{thai.be_year(d)}"))
THAI_NUMBERS = "ศูนย์ หนึ่ง สอง สาม สี่ ห้า หก เจ็ด แปด เก้า".split()


@dataclass
class DemoManifest:
    """What the demo wrote, where each planted problem sits and which reports are history."""
    directory: Path
    fiscal_year: int
    as_of: dt.date
    projects: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    planted: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, paths as strings."""
        return json.loads(json.dumps(asdict(self), default=str, ensure_ascii=False))


def _office(rng: random.Random) -> dict[str, Any]:
    """Groups with their heads and staff, a deputy director and the indicator names."""
    pairs = [(f, s) for f in FIRST_NAMES for s in LAST_NAMES]
    people = [(("นาย" if sex == "m" else rng.choice(("นาง", "นางสาว"))) + f"{first} {last}",
               f"{first_en}.{last_en}@example.org")
              for (first, first_en, sex), (last, last_en) in rng.sample(pairs, 41)]
    groups = {slug: {"name": name, "aliases": aliases, "position": position,
                     "head": people.pop()[0], "email": f"{slug}@example.org",
                     "head_position": ("หัวหน้า" if slug == "audit" else "ผู้อำนวยการ") + name,
                     "staff": [people.pop() for _ in range(3)]}
              for slug, name, aliases, position in GROUPS}
    return {"groups": groups, "deputy": people.pop()[0],
            "indicators": {(fw, code): name for fw, code, *_, name in INDICATORS}}


def _activities(rng: random.Random, p: dict[str, Any]) -> list[dict[str, Any]]:
    """Planned activities one after another (a monthly meeting beside them), budget split."""
    start, end = p["planned_start"], p["planned_end"]
    seq = [k for k in p["acts"] if k != "A"]
    seg = ((end - start).days + 1) // len(seq)
    acts = [{"kind": "A", "start": start, "end": end}] if "A" in p["acts"] else []
    for i, kind in enumerate(seq):
        s0 = start + dt.timedelta(i * seg)
        s1 = end if i == len(seq) - 1 else s0 + dt.timedelta(seg - 1)
        point = ACTS[kind][4] == "1"  # a one- to three-day event early in its slot
        a0 = s0 + dt.timedelta(rng.randint(0, seg // 3)) if point else s0
        a1 = (min(a0 + dt.timedelta(rng.randint(0, 2)), s1) if point else s1 if kind == "R"
              else s1 - dt.timedelta(rng.randint(0, seg // 5)))
        acts.append({"kind": kind, "start": a0, "end": a1})
    weights = sum(int(ACTS[a["kind"]][6]) for a in acts)
    for a in acts:
        _, name, lo, hi, _, place, weight, _ = ACTS[a["kind"]]
        a.update(name=name.replace("{t}", p["topic"]), place=place,
                 people=rng.randint(int(lo), int(hi)),
                 budget=int(round(p["budget_total"] * int(weight) / weights, -2)),
                 spend=rng.uniform(0.86, 0.99), reach=rng.uniform(0.9, 1.05))
    biggest = max(acts, key=lambda a: a["budget"])  # takes the rounding remainder
    biggest["budget"] += p["budget_total"] - sum(a["budget"] for a in acts)
    return acts


def _render(p: dict[str, Any], as_of: dt.date, office: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The filled workbook of project ``p`` as its group would report it on ``as_of``."""
    rows: list[dict[str, Any]] = []
    for a in p["activities"]:
        kind, planned, length = a["kind"], a["budget"], (a["end"] - a["start"]).days + 1
        started, status = a["start"] <= as_of, "done" if a["end"] < as_of else "in_progress"
        status = status if started else "not_started"
        progress = 1.0 if status == "done" else min(max((as_of - a["start"]).days / length, .1), .9)
        counted = status == "done" or kind in "NSA"
        reached = round(a["people"] * a["reach"] * (progress if kind in "NSA" else 1))
        rows.append({
            "name": a["name"], "planned_start": a["start"], "planned_end": a["end"],
            "actual_date": a["start"] if started else None, "place": a["place"],
            "target_planned": a["people"], "target_reached": reached if started and counted
            else None, "status": label(A_ST, status), "budget_planned": planned,
            "budget_spent": round(planned * a["spend"] * progress) if started else None,
            "result": ACTS[kind][7].replace("{n}", str(reached)) if status == "done" else None,
            "remarks": "อยู่ระหว่างดำเนินการ" if status == "in_progress" else None})
    done = [r for r in rows if r["status"] == label(A_ST, "done")]
    started, completed = any(r["actual_date"] for r in rows), len(done) == len(rows)
    status = "completed" if completed else "in_progress" if started else "not_started"
    spent, budget = sum(r["budget_spent"] or 0 for r in rows), []
    for source, amount in p["sources"]:  # earlier allocation rounds are spent first
        budget.append({"source": label(spec.BUDGET_SOURCES, source), "allocated": amount,
                       "disbursed": min(amount, spent)})
        spent -= budget[-1]["disbursed"]
    group = office["groups"][p["group"]]
    values = {
        "project_code": p["code"], "project_name": p["name"], "fiscal_year": p["fy"],
        "group": group["name"], "owner": p["owner"], "as_of": as_of,
        "report_kind": label(spec.REPORT_KINDS, "final" if completed else "progress"),
        "status": label(spec.PROJECT_STATUSES, status), "planned_start": p["planned_start"],
        "planned_end": p["planned_end"], "strategy": p["strategy"],
        "rationale": f"{OFFICE} มีภารกิจด้าน{p['topic']} ตามนโยบายของ สพฐ. จึงจัดทำ{p['name']}",
        "reporter_name": p["owner"], "reporter_position": group["position"],
        "reporter_date": as_of, "head_name": group["head"],
        "head_position": group["head_position"], "head_date": as_of,
        **({"deputy_name": office["deputy"], "deputy_position": "รองผู้อำนวยการ" + OFFICE,
            "deputy_date": as_of} if completed else {})}
    targets = [
        ("เชิงปริมาณ", f"ผู้เข้าร่วมกิจกรรมตามโครงการด้าน{p['topic']}", "คน",
         sum(a["people"] for a in p["activities"]),
         sum(r["target_reached"] or 0 for r in rows) if started else None),
        ("เชิงคุณภาพ", "ผู้เข้าร่วมมีความพึงพอใจต่อการดำเนินงานระดับมากขึ้นไป", "ร้อยละ", 80,
         p["satisfaction"] if done else None),
        ("เชิงคุณภาพ", f"การดำเนินงานด้าน{p['topic']}เป็นไปตามแผน", "ร้อยละ", 100,
         100 if completed else None)]
    attachments = [{"kind": "เอกสาร", "name": f"คำสั่งแต่งตั้งคณะทำงาน{p['name']}"}] + [
        {"kind": "ภาพถ่ายกิจกรรม", "name": f"ภาพกิจกรรม{r['name']}",
         "link": f"https://drive.example.org/tps/{p['code']}/photos"} for r in done[:1]]
    return values, {
        "objectives": [{"text": o.replace("{t}", p["topic"])}
                       for o in TEXTS["objectives"][:p["n_obj"]]],
        "targets": [dict(zip(("kind", "description", "unit", "target_value", "achieved_value"),
                             t, strict=True)) for t in targets],
        "activities": rows, "budget": budget,
        "indicators": [{"framework": fw, "code": code,
                        "contribution": f"ผลการดำเนินโครงการเป็นหลักฐานประกอบตัวชี้วัด {fw} {code} "
                                        f"{office['indicators'][fw, code]}"}
                       for fw, code in p["links"]],
        "problems": [{"text": t} for t in p["problems"]],
        "suggestions": [{"text": t} for t in p["suggestions"]], "attachments": attachments}


def _projects(rng: random.Random, fy: int, office: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The plan's projects with owners, budgets by source, dates and activities."""
    fy_start, fy_end = thai.fiscal_year_bounds(fy)
    for i, (g, slug, tier, btype, window, acts, links, name, topic) in enumerate(PROJECTS, 1):
        first, last, shortest, longest = WINDOWS[window]
        start = fy_start + dt.timedelta(rng.randint(first, last))
        end = min(start + dt.timedelta(rng.randint(shortest, longest)), fy_end)
        total = 1000 * {"0": 0, "S": rng.randint(20, 80), "M": rng.randint(80, 200),
                        "L": rng.randint(1050, 1150)}[tier]
        mix, part = rng.random(), total // 4000 * 1000
        sources = ([("none", 0)] if not total  # a big OBEC allocation comes in two rounds
                   else [("obec", total - 2 * part), ("obec", 2 * part)] if total > 300_000
                   else [("esa", total)] if mix < 0.2 else [("obec", total)] if mix >= 0.3
                   else [("obec", total - part), ("other", part)])
        owner, email = rng.choice(office["groups"][g]["staff"])
        pairs = [tuple(x.split(":", 1)) for x in links.split("; ")]
        p = {"code": f"P{fy}-{i:02d}", "slug": slug, "group": g, "owner": owner, "email": email,
             "fy": fy, "btype": btype, "acts": acts, "links": pairs, "topic": topic,
             "name": name.replace("{fy1}", str(fy - 1)).replace("{fy}", str(fy)),
             "planned_start": start, "planned_end": end, "budget_total": total,
             "sources": sources, "n_obj": rng.randint(2, 3), "satisfaction": rng.randint(82, 95),
             "strategy": TEXTS["strategies"][next((int(c[0]) - 1 for fw, c in pairs
                                                   if fw == "OBEC"), 3)],
             "cancelled": False, "problems": rng.sample(TEXTS["problems"], rng.randint(1, 2)),
             "suggestions": rng.sample(TEXTS["suggestions"], rng.randint(1, 2))}
        p["activities"] = _activities(rng, p)
        yield p


def _plan_rows(projects: list[dict[str, Any]], office: dict[str, Any], fy: int,
               as_of: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The action plan workbook's sheets."""
    groups, fy_end = office["groups"], thai.fiscal_year_bounds(fy)[1]
    return {
        "projects": [{
            "code": p["code"], "name": p["name"], "group": groups[p["group"]]["name"],
            "owner": p["owner"], "owner_email": p["email"], "budget_type": BUDGET_TYPES[p["btype"]],
            **{f"budget_{k}": sum(a for s, a in p["sources"] if s == k)
               for k in ("obec", "esa", "other")},
            "planned_start": p["planned_start"], "planned_end": p["planned_end"],
            "indicators": "; ".join(f"{fw}:{c}" for fw, c in p["links"]),
            "plan_status": "ยกเลิก" if p["cancelled"] else "อนุมัติ"} for p in projects],
        "groups": [{k: g[k] for k in "name aliases head email".split()} for g in groups.values()],
        "frameworks": [{"code": c, "name_th": th, "name_en": en} for c, th, en in FRAMEWORKS],
        "indicators": [{"fiscal_year": fy, "framework": fw, "code": code, "name": name,
                        "owner_group": groups[g]["name"], "target": target,
                        "target_value": int(value) if value else None,
                        "deadline": min(as_of + dt.timedelta(10), fy_end) if when == "soon"
                        else dt.date(fy - 543 - (when >= "10"), int(when[:2]), int(when[3:]))}
                       for fw, code, g, when, target, value, name in INDICATORS],
        "calendar": [{"fiscal_year": fy, "period": thai.quarter_label(q),
                      "kind": "รายงานความก้าวหน้า", "period_end": thai.quarter_bounds(fy, q)[1],
                      "due": thai.quarter_bounds(fy, q)[1] + dt.timedelta(days)}
                     for q, days in ((1, 15), (2, 10), (3, 10))]
        + [{"fiscal_year": fy, "period": f"ประจำปีงบประมาณ {fy}", "kind": "รายงานฉบับสมบูรณ์",
            "period_end": fy_end, "due": fy_end + dt.timedelta(15)}],
        "disbursement": [{"fiscal_year": fy, "quarter": q + 1, "scope": s, "target_percent": t[q]}
                         for s, t in DISBURSEMENT.items() for q in range(4)]}


def create_demo(directory: Path, *, seed: int = 2567, fiscal_year: int = 2567,
                as_of: dt.date | None = None) -> DemoManifest:
    """Write a demo workspace (settings, folders, plan, inbox workbooks) and its manifest.

    ``as_of`` (default: 15 May of the fiscal year) must lie between January and the end of
    the fiscal year, so that some activities are already due. Workbooks are dated as received
    (mtime) on ``as_of``; a superseded report five days after its own data date (it stands for
    its quarter's report); a clean history report (data as of its quarter's end) by the due
    date, or, for about one in five, a few days after it.
    """
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise FileExistsError(f"{directory} exists and is not an empty folder")
    fy_start, fy_end = thai.fiscal_year_bounds(fiscal_year)
    as_of = as_of or dt.date(fiscal_year - 543, 5, 15)
    if not dt.date(fy_end.year, 1, 1) <= as_of <= fy_end:
        raise ValueError(f"as_of {as_of} must lie between January and the end of FY {fiscal_year}")
    office = _office(rng := random.Random(seed))
    groups = office["groups"]
    projects = list(_projects(rng, fiscal_year, office))
    planted: list[dict[str, Any]] = []
    used: list[dict[str, Any]] = []

    def plant(kind: str, p: dict[str, Any], file: Any, sheet: Any, cell: Any, value: Any,
              expected_value: Any = None, expected_code: Any = None, **extra: Any) -> None:
        planted.append({"kind": kind, "file": file, "project_code": p["code"],
                        "group": groups[p["group"]]["name"], "owner": p["owner"], "sheet": sheet,
                        "cell": cell, "expected_code": expected_code, "value": value,
                        "expected_value": expected_value, **extra})

    def put(where: tuple, kind: str, i: int, col: str, raw: Any, expected: Any = None,
            code: str | None = None, **extra: Any) -> None:  # into activity row i, recorded
        where[2][i][col], t = raw, SPEC.table("activities")
        plant(kind, *where[:2], spec.S_ACTIVITIES, f"{t.letter(col)}{t.first_row + i}", raw,
              expected, code, **extra)

    def pick(test: Any = lambda p: True, not_group: dict | None = None) -> dict[str, Any]:
        """A project not planted yet that passes ``test``, chosen by the seed."""
        ok = [p for p in projects if all(p is not u for u in used) and test(p)
              and (not_group is None or p["group"] != not_group["group"])]
        if not ok:
            raise RuntimeError(f"demo: no project left for a planted item (as_of {as_of})")
        used.append(rng.choice(ok))
        return used[-1]

    def write(name: str, wb: tuple, day: dt.date, hour: int, n: int) -> None:  # to the inbox
        write_workbook(path := directory / "inbox" / name, values=wb[0], tables=wb[1],
                       extra_choices={"indicators.framework": [f[0] for f in FRAMEWORKS]})
        at = dt.datetime.combine(day, dt.time(hour, n % 60), BANGKOK).timestamp()
        os.utime(path, (at, at))  # dated as received
        manifest.files[name] = projects[n]["code"]

    def done_act(p: dict[str, Any], words: int = 0) -> int | None:  # not 29 Feb: no B.E. twin
        return next((i for i, a in enumerate(p["activities"]) if a["end"] < as_of
                     and (a["start"].month, a["start"].day) != (2, 29)
                     and (not words or words <= a["budget"] <= 100_000)), None)

    running = {p["code"] for p in projects  # started, with an activity already due
               if p["planned_end"] >= as_of and any(a["end"] < as_of for a in p["activities"])}
    cancelled = pick(lambda p: p["planned_start"] > fy_start + dt.timedelta(30))
    cancelled["cancelled"] = True
    missing = [first := pick(), pick(not_group=first)]
    prior = as_of - dt.timedelta(45)  # data date of the superseded report (31 Mar by default)
    resub = pick(lambda p: p["code"] in running and p["budget_total"] > 0  # and news since then
                 and _render(p, prior, office)[1] != _render(p, as_of, office)[1])
    late = [pick(lambda p: p["code"] in running)]
    late += [pick(lambda p: p["code"] in running, late[0]), pick(lambda p: p["code"] in running)]
    aliases = {pick(lambda p, g=g: p["group"] == g)["code"]: groups[g]["aliases"].split(";")[0]
               for g in PLANTED_ALIASES}
    dated = [pick(lambda p: done_act(p) is not None) for _ in DATE_PLANTS]
    bad_choice = pick(lambda p: done_act(p) is not None and p["planned_end"] >= as_of)
    bad_number = pick(lambda p: done_act(p, 12_000) is not None)  # ten-thousands, in words
    overspent = pick(lambda p: p["budget_total"] > 0 and p["activities"][0]["start"] < as_of)

    manifest = DemoManifest(directory, fiscal_year, as_of, [
        {"code": p["code"], "name": p["name"], "group": groups[p["group"]]["name"],
         "owner": p["owner"], "plan_status": "cancelled" if p["cancelled"] else "approved"}
        for p in projects], planted=planted)
    make_folders(directory)
    atomic_write(directory / SETTINGS_FILE, render_toml(
        {"office_name": OFFICE, "fiscal_year": fiscal_year}).encode("utf-8"))
    write_plan(directory / "plan.xlsx", plan := _plan_rows(projects, office, fiscal_year, as_of))
    plant("cancelled-project", cancelled, "plan.xlsx", P_PROJECTS.sheet,
          f"{P_PROJECTS.letter('plan_status')}{P_PROJECTS.first_row + projects.index(cancelled)}",
          "ยกเลิก", "cancelled")
    for p in missing:
        plant("missing-report", p, None, None, None, None)
    history_rng = random.Random(f"{seed}:history")  # its own stream: planted items unchanged
    prior_q = thai.fiscal_quarter_of(prior)  # the superseded report is that quarter's report
    for n, p in enumerate(projects):
        if any(p is q for q in (cancelled, *missing)):
            continue
        file = f"{p['code']}_{p['slug']}.xlsx"
        for q, period in enumerate(plan["calendar"][:3], 1):  # a report for each past quarter
            end, due = period["period_end"], period["due"]  # in which the project ran
            if due < as_of and thai.quarter_bounds(fiscal_year, q)[0] <= p["planned_end"] \
                    and p["planned_start"] <= end and not (p is resub and q == prior_q):
                day = min(end + dt.timedelta(history_rng.randint(1, (due - end).days))
                          if history_rng.random() < ON_TIME else
                          due + dt.timedelta(history_rng.randint(2, 6)), as_of - dt.timedelta(1))
                name = file.replace(".xlsx", f"_Q{q}.xlsx")  # clean: planted items are not here
                write(name, _render(p, end, office), day, 14, n)
                manifest.history.append({"file": name, "project_code": p["code"],
                                         "period": period["period"], "as_of": end,
                                         "due": due, "received": day, "on_time": day <= due})
        reports = [(file, as_of)]
        if p is resub:
            reports = [(file, prior), (file.replace(".xlsx", "_ฉบับแก้ไข.xlsx"), as_of)]
            plant("resubmission", p, reports[1][0], spec.S_PROJECT, SPEC.field("as_of").cell, as_of,
                  as_of, supersedes=file)
        for name, wb_as_of in reports:
            values, tables = _render(p, wb_as_of, office)
            where = (p, name, acts := tables["activities"])
            if p["code"] in aliases:
                values["group"] = aliases[p["code"]]
                plant("group-alias", p, name, spec.S_PROJECT, SPEC.field("group").cell,
                      values["group"], groups[p["group"]]["name"])
            if any(p is q for q in late):  # one not started, the others still running
                i = next(i for i, a in enumerate(acts) if a["planned_end"] < as_of)
                status = "not_started" if p is late[1] else "in_progress"
                acts[i].update(result=None, remarks="ล่าช้ากว่าแผน", **dict.fromkeys(
                    ("actual_date", "target_reached", "budget_spent") if p is late[1] else ()))
                put(where, "late-activity", i, "status", label(A_ST, status), status,
                    activity=acts[i]["name"], planned_end=acts[i]["planned_end"])
            for (kind, col, typed), q in zip(DATE_PLANTS, dated, strict=True):
                if q is p and (i := done_act(p)) is not None:
                    put(where, kind, i, col, typed(acts[i][col]), acts[i][col])
            if p is bad_choice:
                put(where, "invalid-choice", done_act(p), "status", "เสร็จแล้ว", None,
                    "not-in-choices")
            if p is bad_number and (i := done_act(p, 12_000)) is not None:
                put(where, "invalid-number", i, "budget_spent",
                    THAI_NUMBERS[acts[i]["budget_spent"] // 10_000] + "หมื่น", None, "wrong-type")
            if p is overspent:
                row = tables["budget"][0]
                row["disbursed"] = row["allocated"] + rng.randint(2, 9) * 500
                plant("spent-over-allocated", p, name, spec.S_BUDGET,
                      f"{SPEC.table('budget').letter('disbursed')}{SPEC.table('budget').first_row}",
                      row["disbursed"], row["disbursed"], "spent-over-allocated")
            write(name, (values, tables), min(wb_as_of + dt.timedelta(5), as_of), 9, n)
    data = manifest.to_dict() | {"directory": "."}  # no machine paths inside the workspace
    atomic_write(directory / MANIFEST_FILE, json.dumps(data, ensure_ascii=False, indent=1)
                 .encode("utf-8"))
    return manifest
