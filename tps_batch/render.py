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
    return env


def render_html(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
