"""One project's current report, arranged in the order of the seed form
(แบบรายงานผลการดำเนินงานโครงการ) for the per-project page and the annual report.

Labels and order come from the spec (:mod:`tps_batch.spec`): the header lists the stored
fields in the current layout's order, the sections follow its tables, the signature
blocks its sign-off roles; so a field or table added in a new layout shows up here
without touching this module or the page. The annual report renders each project through
the same form (templates/_project_form.html) and names spec fields by :func:`labels` too.
"""

from __future__ import annotations

import functools
from typing import Any

from tps_batch import spec, thai
from tps_batch.reports.data import ReportData, activity_status_th
from tps_batch.spec import ATTACHMENT_KINDS, BUDGET_SOURCES, TARGET_KINDS, choice_label

#: Header fields the page takes from the plan (its spelling, its canonical group) and from
#: the report's figures (a cancelled project says so whatever its last report said).
_FROM_PROJECT = {"project_code": "code", "project_name": "name", "group": "group",
                 "owner": "owner", "status": "status_th", "report_kind": "report_kind_th"}


def _rows(data: ReportData, key: str, sid: int) -> list[dict[str, Any]]:
    return data.rows_of(key, sid)


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def shown(item: spec.Field | spec.Column, value: Any) -> str:
    """A stored value as the page prints it (B.E. dates, listed values by their Thai label)."""
    if _blank(value):
        return ""
    if item.type == "date":
        return thai.format_date_short(value)
    if item.type == "choice":
        return choice_label(item.choices, value)
    if item.type == "money":
        return thai.format_baht(value)
    if item.type == "percent":
        return thai.format_number(value)
    if item.type == "int":
        return str(int(value))
    return str(value)


@functools.cache
def labels() -> dict[str, Any]:
    """Every label the page needs, from the spec: ``fields[key]``, ``tables[key]`` and
    ``tables[key]["columns"][col]``, each with ``th`` and ``en``."""
    return {
        "fields": {f.key: {"th": f.label_th, "en": f.label_en} for f in spec.stored_fields()},
        "tables": {key: {"th": t.label_th, "en": t.label_en,
                         "columns": {c.key: {"th": c.label_th, "en": c.label_en}
                                     for c in spec.stored_columns(key)}}
                   for key in spec.stored_tables() if (t := _table(key))},
    }


def label(key: str) -> tuple[str, str]:
    """(Thai, English) label of ``"field"`` or ``"table.column"``: what reports name a spec
    field by when they list it outside the form (the annual workbook's sheets)."""
    table, _, column = key.partition(".")
    item = labels()["tables"][table]["columns"][column] if column else labels()["fields"][key]
    return item["th"], item["en"]


def _expose_to_templates() -> None:
    """Templates reach :func:`labels` as ``spec_labels()``: the annual report's cover,
    status table, problems chapter and budget annex name spec fields outside any project.
    Like a report registering itself, this module offers it on import."""
    from tps_batch.render import environment

    environment().globals["spec_labels"] = labels


_expose_to_templates()


def _table(key: str) -> spec.Table | None:
    """The newest layout's declaration of a table (labels of the current form first)."""
    for version in reversed(spec.SUPPORTED_VERSIONS):
        layout = spec.layout(version)
        if layout is not None and any(t.key == key for t in layout.tables):
            return layout.table(key)
    return None


def project_context(data: ReportData, code: str) -> dict[str, Any]:
    """Cached per report run: the per-project pages and the annual report share it."""
    if code not in data.contexts:
        data.contexts[code] = _context(data, code)
    return data.contexts[code]


#: The line the annex gives photos pasted beside no attachment line.
LOOSE_PHOTOS_TH = "ภาพกิจกรรม"


def with_photos(data: ReportData, project: dict[str, Any]) -> dict[str, Any]:
    """``project`` (a :func:`project_context`) with its activity photos as JPEG ``data:``
    URLs: each attachment line gets the pictures pasted beside it (``images``), and
    pictures beside no line make one more photo line. Only the per-project page prints
    them, so the shared, cached context stays free of them."""
    import base64

    photos = data.photos_of(project["submission_id"])
    if not photos:
        return project
    attachments = [dict(a, images=[]) for a in project["attachments"]]
    loose = []
    for ph in photos:
        url = "data:image/jpeg;base64," + base64.b64encode(ph["content"]).decode("ascii")
        n = ph["attachment_seq"]
        target = attachments[n - 1]["images"] if n and 0 < n <= len(attachments) else loose
        target.append(url)
    if loose:
        attachments.append({"kind": "photo", "kind_th": choice_label(ATTACHMENT_KINDS, "photo"),
                            "name": LOOSE_PHOTOS_TH, "link": None, "images": loose})
    return dict(project, attachments=attachments)


def _header(p: dict[str, Any], header: dict[str, Any]) -> list[dict[str, Any]]:
    """The header rows of the form: required fields always, optional ones when filled."""
    out = []
    for f in spec.stored_fields():
        text = p[_FROM_PROJECT[f.key]] if f.key in _FROM_PROJECT else shown(f, header.get(f.key))
        if text or f.required:
            out.append({"key": f.key, "label_th": f.label_th, "label_en": f.label_en,
                        "text": text or "-", "long": f.type == "longtext"})
    return out


def _context(data: ReportData, code: str) -> dict[str, Any]:
    p = data.project(code)
    sid = int(p["submission_id"])
    header = _rows(data, "projects", sid)[0]
    activities = _rows(data, "activities", sid)
    for a in activities:
        a["status_th"] = activity_status_th(a["status"])
    budget = _rows(data, "budget", sid)
    for b in budget:
        b["source_th"] = choice_label(BUDGET_SOURCES, b["source"])
        b["remaining"] = round((b["allocated"] or 0) - (b["disbursed"] or 0), 2)
    targets = _rows(data, "targets", sid)
    for t in targets:
        t["kind_th"] = choice_label(TARGET_KINDS, t["kind"])
        t["target_text"] = _with_unit(t.get("target_value"), t.get("unit"))
        t["achieved_text"] = _with_unit(t.get("achieved_value"), t.get("unit"))
        t["met"] = _met(t.get("target_value"), t.get("achieved_value"))
    attachments = _rows(data, "attachments", sid)
    for a in attachments:
        a["kind_th"] = choice_label(ATTACHMENT_KINDS, a["kind"])
    rows = {"activities": activities, "budget": budget, "targets": targets,
            "attachments": attachments}
    sections = []
    for key in spec.stored_tables():
        table = _table(key)
        if table is None or key not in data.tables:
            continue
        items = rows[key] if key in rows else _rows(data, key, sid)
        columns = spec.stored_columns(key)
        for r in items:
            r["shown"] = {c.key: shown(c, r.get(c.key)) for c in columns}
        sections.append({"key": key, "label_th": table.label_th, "label_en": table.label_en,
                         "columns": [{"key": c.key, "label_th": c.label_th,
                                      "label_en": c.label_en, "num": c.type in (
                                          "int", "money", "percent")} for c in columns],
                         "rows": items})
    by_key = {s["key"]: s["rows"] for s in sections}
    signed = {s["role"]: s for s in _rows(data, "signoffs", sid)}
    return {
        "code": code, "submission_id": sid, "name": p["name"], "group": p["group"],
        "owner": p["owner"],
        "status_th": p["status_th"], "report_kind_th": p["report_kind_th"],
        "as_of": header["as_of"], "planned_start": header["planned_start"],
        "planned_end": header["planned_end"], "strategy": header.get("strategy"),
        "rationale": header.get("rationale"), "progress": p["progress"],
        "header": _header(p, header), "sections": sections, "labels": labels(),
        "objectives": by_key.get("objectives", []), "targets": targets,
        "activities": activities, "budget": budget,
        "budget_total": {k: round(sum((b[k] or 0) for b in budget), 2)
                         for k in ("allocated", "disbursed", "remaining")},
        "activity_total": {k: round(sum((a[k] or 0) for a in activities), 2)
                           for k in ("budget_planned", "budget_spent")},
        "indicators": by_key.get("indicators", []),
        "problems": by_key.get("problems", []),
        "suggestions": by_key.get("suggestions", []),
        "attachments": attachments,
        "signoffs": [_signoff(data, p, r, signed.get(r.key, {})) for r in spec.SIGNOFF_ROLES],
    }


#: Who signs in each of the seed form's blocks when the workbook leaves the name blank:
#: the reporter is the project's owner, the centre's director the group's head in the plan.
_SIGNER_FROM_PLAN = {"reporter": "owner", "head": "group_head"}
#: The line under the name in the seed form when the workbook gives no position.
_SEED_POSITION = {"reporter": "ผู้รับผิดชอบโครงการ"}


def _signoff(data: ReportData, p: dict[str, Any], role: spec.SignoffRole,
             signed: dict[str, Any]) -> dict[str, Any]:
    out = {"role": role.key, "role_th": role.label_th, "role_en": role.label_en,
           **{k: v for k, v in signed.items() if k != "role"}}
    source = _SIGNER_FROM_PLAN.get(role.key)
    if _blank(out.get("name")) and source:
        group = data.plan.group(p["group"]) or {}
        out["name"] = p["owner"] if source == "owner" else group.get("head")
    if _blank(out.get("position")):
        out["position"] = _SEED_POSITION.get(role.key)
    return out


def _with_unit(value: Any, unit: Any) -> str:
    """A target as the form writes it: "ร้อยละ 80" (the unit before), "4.21 คะแนน" (after)."""
    if _blank(value):
        return ""
    unit = "" if _blank(unit) else str(unit).strip()
    return thai.format_measure(value, "ร้อยละ" if unit == "%" else unit)


def _met(target: Any, achieved: Any) -> bool | None:
    """บรรลุ when the achieved value reaches the target; None until both are known."""
    if _blank(target) or _blank(achieved):
        return None
    return float(achieved) >= float(target)
