"""Benchmark of TPS batch: ``python -m bench`` (see ``bench.__main__``).

Each step runs as a whole process over a generated, cached corpus of filled workbooks, beside
the python-calamine floor and an openpyxl baseline; the result is a table for humans and a
JSON file, with the performance targets of the design marked PASS or FAIL. Modules:
``corpus`` (generation and cache), ``readers`` (the reference readers, run as children),
``measure`` (a step: wall time and peak RSS of one child), ``suite`` (the run and targets).
"""
