"""Bar charts as plain HTML and CSS, for web pages and both PDF engines.

Not SVG: WeasyPrint lays out SVG ``<text>`` letter by letter, which tears Thai tone marks
and vowels off their consonants. In HTML the labels get the same Thai shaping and line
breaking as the rest of the page; the bars are boxes whose width is a number we computed.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def _pct(value: float, ceiling: float) -> float:
    return round(max(0.0, min(value, ceiling)) * 100 / ceiling, 2) if ceiling else 0.0


def _shown(value: float, unit: str) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return text + unit


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
              *, unit: str = "", max_value: float | None = None,
              marker: Sequence[float | None] | None = None) -> Markup:
    """Horizontal grouped bars; ``marker`` draws a target line per label (e.g. a quarter's %)."""
    values = [v for _, vals in series for v in vals if v is not None]
    ceiling = max_value or max([*values, *(m for m in (marker or []) if m), 1.0])
    rows = []
    for i, label in enumerate(labels):
        bars = []
        for j, (_name, vals) in enumerate(series):
            v = float(vals[i]) if i < len(vals) and vals[i] is not None else 0.0
            bars.append(f'<div class="bar-line"><span class="bar s{j % 6}" '
                        f'style="width:{_pct(v, ceiling) * 0.82:.2f}%"></span>'
                        f'<span class="bar-value">{escape(_shown(v, unit))}</span></div>')
        target = ""
        if marker and i < len(marker) and marker[i] is not None:
            left = _pct(marker[i], ceiling) * 0.82
            target = (f'<span class="bar-target" style="left:{left:.2f}%" '
                      f'title="{escape(_shown(marker[i], unit))}"></span>')
        rows.append(f'<tr><th scope="row">{escape(label)}</th><td class="bar-track">'
                    f'{target}{"".join(bars)}</td></tr>')
    legend = "".join(f'<span class="legend-item"><span class="swatch s{j % 6}"></span>'
                     f"{escape(name)}</span>" for j, (name, _v) in enumerate(series))
    if marker:
        legend += ('<span class="legend-item"><span class="swatch target"></span>'
                   "เป้าหมาย</span>")
    empty = "" if labels else '<p class="muted">ไม่มีข้อมูล (no data)</p>'
    return Markup(f'<figure class="bar-chart"><figcaption>{escape(title)}</figcaption>{empty}'
                  f'<table class="bars">{"".join(rows)}</table>'
                  f'<div class="legend">{legend}</div></figure>')
