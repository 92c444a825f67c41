"""Small inline SVG charts for HTML and PDF pages (both engines draw inline SVG).

Hand-written rather than a plotting library: horizontal bars with long Thai labels are
all the reports need, the SVG is a few lines, and every label goes through XML escaping.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

PALETTE = ("#2f5597", "#c55a11", "#548235", "#7f6000", "#7030a0", "#a5a5a5")
FONT = "TH Sarabun New, THSarabunNew, Laksaman, Sarabun, sans-serif"


def bar_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
              *, unit: str = "", max_value: float | None = None, width: int = 640,
              marker: Sequence[float | None] | None = None) -> Markup:
    """Horizontal grouped bars; ``marker`` draws a target tick per label (e.g. a quarter's %)."""
    label_w, row_h, bar_h, top = 230, 14 + 12 * len(series), 11, 34
    height = top + row_h * max(len(labels), 1) + 24 + 16 * len(series)
    values = [v for _, vals in series for v in vals if v is not None]
    ceiling = max_value or max([*values, *(m for m in (marker or []) if m), 1.0])
    plot_w = width - label_w - 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="15" '
           f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}">',
           f'<text x="0" y="20" font-size="18" font-weight="bold">{escape(title)}</text>']
    for i, label in enumerate(labels):
        y = top + i * row_h
        short = label if len(label) <= 34 else label[:33] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
                   f'{escape(short)}</text>')
        for j, (_name, vals) in enumerate(series):
            v = vals[i] if i < len(vals) and vals[i] is not None else 0.0
            w = max(plot_w * min(v, ceiling) / ceiling, 0)
            by = y + 6 + j * 12
            out.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="{PALETTE[j % len(PALETTE)]}"/>')
            shown = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
            out.append(f'<text x="{label_w + w + 4:.1f}" y="{by + 10}" font-size="13">'
                       f'{shown}{escape(unit)}</text>')
        if marker and i < len(marker) and marker[i] is not None:
            mx = label_w + plot_w * min(marker[i], ceiling) / ceiling
            out.append(f'<line x1="{mx:.1f}" y1="{y + 3}" x2="{mx:.1f}" y2="{y + row_h - 1}" '
                       f'stroke="#c00000" stroke-width="2"/>')
    ly = top + row_h * max(len(labels), 1) + 14
    for j, (name, _vals) in enumerate(series):
        out.append(f'<rect x="{label_w}" y="{ly + j * 16 - 10}" width="12" height="10" '
                   f'fill="{PALETTE[j % len(PALETTE)]}"/><text x="{label_w + 18}" '
                   f'y="{ly + j * 16}" font-size="13">{escape(name)}</text>')
    if marker:
        out.append(f'<line x1="{width - 150}" y1="{ly - 10}" x2="{width - 150}" y2="{ly}" '
                   f'stroke="#c00000" stroke-width="2"/><text x="{width - 144}" y="{ly}" '
                   f'font-size="13">เป้าหมาย (target)</text>')
    out.append("</svg>")
    return Markup("".join(out))
