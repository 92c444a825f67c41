"""Shared fixtures: a demo workspace built once per session, and tool checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine demo workspace; copy it before changing anything in it."""
    from tps_batch.demo import create_demo

    path = tmp_path_factory.mktemp("demo") / "ws"
    create_demo(path, seed=2567)
    return path


@pytest.fixture
def demo_copy(demo_ws: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "ws"
    shutil.copytree(demo_ws, dest)
    return dest
