"""Navigation between report pages: the projects list (a page, not a folder), a page for
every plan project, reported or not, and links from project codes to those pages.

Project pages live in ``projects/<safe code>.html``; :func:`project_href` is the one place
that spells that path, for the dashboard, the lists and the annual report alike.
"""

from __future__ import annotations

from typing import Any

from tps_batch import thai

PROJECTS_FOLDER = "projects"
PROJECTS_INDEX = "index.html"


def safe_code(code: str) -> str:
    from tps_batch.workspace import safe_name

    return safe_name(code, 60)


def project_href(code: Any, root: str = "") -> str:
    """Where a project's page is, from a page ``root`` levels below the output folder."""
    return f"{root}{PROJECTS_FOLDER}/{safe_code(str(code))}.html"


def _expose_to_templates() -> None:
    """Templates call ``project_href(code, root)``; a report module offers it on import."""
    from tps_batch.render import environment

    environment().globals["project_href"] = project_href


_expose_to_templates()


def project_rows(data: Any) -> list[dict[str, Any]]:
    """Every plan project for the projects list and the annual report, reported or not."""
    rows = []
    for p in data.projects.to_dict("records"):
        as_of = p.get("data_as_of")
        rows.append({
            "code": p["code"], "name": p["name"], "group": p["group"], "owner": p["owner"],
            "status_th": p["status_th"], "report_kind_th": p["report_kind_th"],
            "has_report": bool(p["has_report"]), "cancelled": bool(p["cancelled"]),
            "as_of_text": thai.format_date_short(as_of) if as_of and as_of == as_of else "",
            "progress": p.get("progress"), "allocated": p.get("allocated"),
            "disbursed": p.get("disbursed"),
        })
    return rows
