"""HTML rendering with jinja2 (autoescape on: workbook text never becomes markup)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from tps_batch import thai


def templates_dir() -> Path:
    """The repository's templates/ folder, or the copy packaged into the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "_templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("templates folder not found")


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and x != x)  # None or NaN


@lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # no stat of every template per page: thousands of receipts a night
    )
    env.filters["thdate"] = thai.format_date_short
    env.filters["thdate_long"] = thai.format_date_long
    env.filters["baht"] = lambda x: "" if _missing(x) else thai.format_baht(x)
    env.filters["num"] = lambda x: "" if _missing(x) else thai.format_number(x)
    env.filters["thdate_range"] = date_range
    env.filters["nobr"] = nobr
    return env


def date_range(start: Any, end: Any = None) -> str:
    """"4 พ.ย. 2566" for one day, "4 พ.ย. 2566 – 6 พ.ย. 2566" for several, "" for none."""
    start, end = (None if _missing(start) else start), (None if _missing(end) else end)
    if start is None or end is None or start == end:
        day = start if start is not None else end
        return "" if day is None else thai.format_date_short(day)
    return f"{thai.format_date_short(start)} – {thai.format_date_short(end)}"


def nobr(text: Any) -> Any:
    """Each space-separated part of a name, code or date kept on one line: a line may break
    between "นางสาวพรทิพย์" and "จันทร์เพ็ญ", never inside either (escaped, then marked up)."""
    from markupsafe import Markup, escape

    if _missing(text) or text == "":
        return ""
    return Markup(" ").join(Markup('<span class="nw">{}</span>').format(escape(part))
                            for part in str(text).split())


def render_html(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
