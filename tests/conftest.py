"""Shared fixtures: a demo workspace built once per session, tool checks, and the dataset
backends (SQLite, and a real PostgreSQL the tests start themselves: see pgserver.py).

A test of storage behaviour is marked ``@pytest.mark.backends`` and takes ``dataset_url``
(or a fixture built on it): it then runs once per backend, ``[sqlite]`` and
``[postgresql]``; unmarked, ``dataset_url`` is SQLite's. ``-m "not postgresql"`` leaves
the PostgreSQL variants out.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pgserver
import pytest

BACKENDS = ("sqlite", "postgresql")
_URL_FIXTURES = ("dataset_url", "module_dataset_url")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends: runs on SQLite and on PostgreSQL "
                                       "(takes dataset_url or module_dataset_url)")
    config.addinivalue_line("markers", "postgresql: the PostgreSQL variant of a backends test")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("backends") is None:
        return
    params = [pytest.param(b, marks=[pytest.mark.postgresql] if b == "postgresql" else [])
              for b in BACKENDS]
    names = [n for n in _URL_FIXTURES if n in metafunc.fixturenames]
    assert names, f"{metafunc.definition.name} is marked backends but takes no dataset URL"
    for name in names:
        metafunc.parametrize(name, params, indirect=True,
                             scope="module" if name == "module_dataset_url" else None)


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine demo workspace; copy it before changing anything in it."""
    from tps_batch.demo import create_demo

    path = tmp_path_factory.mktemp("demo") / "ws"
    create_demo(path, seed=2567)
    return path


@pytest.fixture
def ws(tmp_path: Path, dataset_url: str) -> Any:
    """The small workspace of ``factories``; on each backend for tests marked ``backends``
    (modules with a workspace of their own define their own ``ws``)."""
    import factories as fx

    return fx.make_workspace(tmp_path / "ws", database_url=dataset_url)


@pytest.fixture(scope="session")
def demo_ingested(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with its inbox ingested (SQLite), once a session; copy it before writing
    in it (``factories.copy_workspace``)."""
    from tps_batch.ingest import ingest
    from tps_batch.settings import load

    path = tmp_path_factory.mktemp("demo-ingested") / "ws"
    shutil.copytree(demo_ws, path)
    ingest(load(path))
    return path


@pytest.fixture
def demo_copy(demo_ws: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "ws"
    shutil.copytree(demo_ws, dest)
    return dest


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pgserver.PostgresServer]:
    """One PostgreSQL for the session, started by the first test that needs it."""
    server = pgserver.start_server()
    try:
        yield server
    finally:
        server.stop()


def _dataset_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if getattr(request, "param", "sqlite") == "sqlite":
        yield ""  # the default: tps.sqlite in the workspace
        return
    yield from pgserver.fresh_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def dataset_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The ``database_url`` setting of the test's backend, an empty database of its own."""
    yield from _dataset_url(request)


@pytest.fixture
def postgresql_url(postgres_server: pgserver.PostgresServer) -> Iterator[str]:
    """An empty PostgreSQL database of the test's own, for a test that compares backends
    (mark it ``postgresql``)."""
    yield from pgserver.fresh_database(postgres_server)


@pytest.fixture(scope="module")
def module_dataset_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Like dataset_url, one database per backend for a whole module's tests."""
    yield from _dataset_url(request)
