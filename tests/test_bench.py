"""Smoke test of the benchmark machinery (``python -m bench``) on a tiny corpus.

The targets are for humans and never asserted here: only that every step ran as a
process, with positive time and memory, and that ratios are taken against the floor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STEPS = ["calamine floor", "openpyxl baseline", "tps ingest cold",
         "tps ingest rerun, nothing new", "tps ingest rerun, 1% changed", "tps report (no PDF)",
         "tps ingest cold, inbox"]


def test_bench_smoke(tmp_path: Path) -> None:
    out, path = tmp_path / "bench", tmp_path / "run.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--n", "20", "--skip-big",
                           "--out", str(out), "--json", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(path.read_text(encoding="utf-8"))
    steps = {s["step"]: s for s in data["steps"]}
    assert list(steps) == STEPS
    floor = steps["calamine floor"]
    for s in steps.values():
        assert s["returncode"] == 0, s
        assert s["n"] == 20
        assert s["seconds"] > 0 and s["peak_rss_mb"] > 0, s
        assert s["ratio_to_floor"] == pytest.approx(s["seconds"] / floor["seconds"])
    assert floor["ratio_to_floor"] == pytest.approx(1.0)
    for name in ("calamine floor", "tps ingest cold"):  # measured three times, median kept
        runs = steps[name]["runs"]
        assert len(runs) == 3 and steps[name]["seconds"] == sorted(runs)[1]
    assert len(steps["openpyxl baseline"]["runs"]) == 1
    # the floor and cold ingest took turns: floor 1, cold 1, floor 2, cold 2, ...
    logs = sorted((out / "logs").glob("*-run*.rusage"), key=lambda p: p.stat().st_mtime_ns)
    kinds = ["floor" if "calamine-floor" in p.name else "cold" for p in logs]
    assert kinds == ["floor", "cold"] * 3
    assert steps["calamine floor"]["counts"]["files"] == 20
    assert steps["openpyxl baseline"]["counts"]["files"] == 20
    cold = steps["tps ingest cold"]["counts"]
    assert cold["accepted"] + cold["warnings"] + cold["rejected"] == 20
    assert cold["rejected"] == 1  # the planted one of every twenty
    assert sum(steps["tps ingest rerun, nothing new"]["counts"].values()) == 0
    changed = steps["tps ingest rerun, 1% changed"]["counts"]
    assert changed["accepted"] + changed["warnings"] + changed["rejected"] == 1
    assert [t["status"] for t in data["targets"]][1:3] == ["SKIP", "SKIP"]
    assert {t["status"] for t in data["targets"]} <= {"PASS", "FAIL", "SKIP"}
    assert "calamine floor" in done.stdout and "targets:" in done.stdout
    assert str(tmp_path) not in json.dumps(data)  # no machine paths in the results
    assert sorted(p.name for p in out.glob("ws-n*")) == ["ws-n20-1", "ws-n20-2", "ws-n20-3",
                                                         "ws-n20-inbox"]
    # a second run shelves these and deletes them only after measuring (no wait: few files)
    again = subprocess.run([sys.executable, "-m", "bench", "--n", "20", "--skip-big",
                            "--repeat", "1", "--out", str(out), "--json", str(path)],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "waiting" not in again.stdout
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(("ws-", "trash-"))) == [
        "ws-n20-1", "ws-n20-inbox"]
    deleted = int((out / ".last-deletion").read_text().split()[1])
    assert deleted >= 4 * 20 * 2  # each workspace's kept originals and receipts, at least
    inbox = steps["tps ingest cold, inbox"]["counts"]
    assert inbox["accepted"] + inbox["warnings"] + inbox["rejected"] == 20
    assert list((out / "ws-n20-inbox" / "inbox").iterdir()) == []  # all filed away
