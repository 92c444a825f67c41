"""``python -m bench``: measure TPS batch against the calamine floor and openpyxl."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.suite import Options, run, table


def parse(argv: list[str] | None = None) -> Options:
    defaults = Options()
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--n", type=int, default=defaults.n,
                    help="workbooks (one per project) in the main corpus (default %(default)s)")
    ap.add_argument("--big", type=int, default=defaults.big,
                    help="files of the large workspace: rerun with nothing new, peak memory "
                         "(default %(default)s)")
    ap.add_argument("--small", type=int, default=defaults.small,
                    help="files of the small workspace the peak memory is compared with "
                         "(default %(default)s)")
    ap.add_argument("--out", type=Path, default=defaults.out,
                    help="cached corpora, workspaces and logs (default: bench/.data)")
    ap.add_argument("--json", type=Path, help="results as JSON (default: OUT/last-run.json)")
    ap.add_argument("--skip-big", action="store_true", help="skip the --big/--small steps")
    ap.add_argument("--repeat", type=int, default=defaults.repeat,
                    help="runs of the floor and of cold ingest at N, each cold run in a fresh "
                         "workspace; the median counts (default %(default)s)")
    ap.add_argument("--pdf", action="store_true",
                    help="also time per-project PDFs, twice (the second skips unchanged pages), "
                         "and the demo's PDFs with each engine")
    ap.add_argument("--pdf-demo", action="store_true",
                    help="only the demo's PDFs: per-project PDFs and the whole tps report, "
                         "Chromium and WeasyPrint in the same run")
    a = ap.parse_args(argv)
    if min(a.n, a.big, a.small, a.repeat) < 1:
        ap.error("--n, --big, --small and --repeat must be at least 1")
    return Options(a.n, a.big, a.small, a.out, a.json, a.skip_big, a.pdf or a.pdf_demo, a.repeat,
                   a.pdf_demo)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table; the targets are reported, never asserted."""
    result = run(parse(argv), log=lambda line: print(line, flush=True))
    print()
    print(table(result))
    failed = [s["step"] for s in result["steps"] if s["returncode"] != 0]
    if failed:
        print(f"\nsteps that exited with an error (see the logs): {', '.join(failed)}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
