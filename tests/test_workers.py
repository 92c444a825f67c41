"""The isolated pool: every item gets an outcome, and nothing an item does ends the run.

The functions run in the workers are top-level here so that the workers can import
them (this module is importable in the children: same sys.path).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import hostile
import pytest

from tps_batch.errors import TpsError
from tps_batch.workers import IsolatedPool, Outcome, WorkerSetupError, run_isolated


@pytest.fixture(scope="session")
def hdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.getbasetemp() / "hostile"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def no_leftover_workers() -> Iterator[None]:
    yield
    assert multiprocessing.active_children() == []


def double(x: int) -> int:
    return 2 * x


def fail_on_odd(x: int) -> int:
    if x % 2:
        raise ValueError(f"odd item {x}")
    return x


def misbehave(x: object) -> object:
    if x == "sleep":
        time.sleep(60)
    elif x == "abort":
        os.abort()
    elif x == "exit":
        os._exit(9)
    elif x == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif x == "segfault":
        import ctypes

        ctypes.string_at(0)
    elif x == "allocate":
        return len(bytearray(2 << 30))
    elif x == "unpicklable":
        return lambda: None
    return x


def pid_of_worker(_: object) -> int:
    return os.getpid()


_SETUP: dict[str, object] = {}


def remember_setup(value: object) -> None:
    """An initializer: what it stores, every item of that worker sees."""
    if value == "fail-tps":
        raise TpsError("อ่านแผนไม่ได้", "cannot read the plan", exit_code=2)
    if value == "fail":
        raise OSError("disk on fire")
    _SETUP["value"], _SETUP["pid"] = value, os.getpid()


def setup_seen(_: object) -> tuple[object, object]:
    return _SETUP.get("value"), _SETUP.get("pid") == os.getpid()


def read_with_calamine(path: str) -> list[list[object]]:
    import python_calamine

    return python_calamine.load_workbook(path).get_sheet_by_index(0).to_python()


def results(outcomes: list[tuple[object, Outcome]]) -> dict[object, Outcome]:
    return dict(outcomes)


def test_ok_results_come_back_with_their_items() -> None:
    got = results(list(run_isolated(double, range(50), workers=3)))
    assert sorted(got) == list(range(50))
    assert all(o.status == "ok" and o.value == 2 * i for i, o in got.items())


def test_exception_in_fn_is_an_error_and_the_worker_goes_on() -> None:
    got = results(list(run_isolated(fail_on_odd, range(6), workers=1)))
    assert [got[i].status for i in range(6)] == ["ok", "error"] * 3
    assert got[3].error == "ValueError: odd item 3"


def test_timeout_kills_only_that_item() -> None:
    start = time.monotonic()
    got = results(list(run_isolated(misbehave, ["sleep", 1, 2, 3], workers=1, timeout_s=1)))
    assert got["sleep"].status == "timeout"
    assert "1 s" in got["sleep"].error
    assert [got[i].value for i in (1, 2, 3)] == [1, 2, 3]  # served by the replacement
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(("item", "expected"), [
    ("abort", "SIGABRT"), ("exit", "code 9"), ("kill", "SIGKILL"), ("segfault", "SIGSEGV")])
def test_dying_worker_is_crashed_and_replaced(item: str, expected: str) -> None:
    got = results(list(run_isolated(misbehave, [1, item, 2, 3], workers=2)))
    assert got[item].status == "crashed"
    assert expected in got[item].error
    assert all(got[i].status == "ok" for i in (1, 2, 3))


def test_memory_limit_stops_a_big_allocation() -> None:
    got = results(list(run_isolated(misbehave, ["allocate", "after"], workers=1,
                                    memory_mb=256)))
    assert got["allocate"].status in ("crashed", "error")
    assert "256 MB" in got["allocate"].error or got["allocate"].status == "crashed"
    assert got["after"].status == "ok"


def test_nothing_runs_in_this_process() -> None:
    for workers in (0, 1):
        [(_, outcome)] = run_isolated(pid_of_worker, [None], workers=workers)
        assert outcome.ok and outcome.value != os.getpid()


def test_unpicklable_item_and_result_are_errors() -> None:
    got = list(run_isolated(misbehave, [lambda: 1, "unpicklable", "fine"], workers=1))
    statuses = sorted(o.status for _, o in got)
    assert statuses == ["error", "error", "ok"]
    errors = " ".join(o.error for _, o in got)
    assert "cannot pass item" in errors and "cannot return the result" in errors


def test_closing_early_leaves_no_children() -> None:
    gen = run_isolated(misbehave, [1, "sleep", "sleep", 2, 3], workers=3, timeout_s=60)
    item, outcome = next(gen)
    assert outcome.ok and item in (1, 2, 3)
    assert multiprocessing.active_children()  # the sleepers are still busy
    start = time.monotonic()
    gen.close()
    assert multiprocessing.active_children() == []
    assert time.monotonic() - start < 5


def test_consumer_exception_leaves_no_children() -> None:
    with pytest.raises(RuntimeError, match="consumer"), \
            contextlib.closing(run_isolated(misbehave, ["sleep", 1, 2], workers=2)) as gen:
        for _item, _outcome in gen:
            raise RuntimeError("consumer failed")
    assert multiprocessing.active_children() == []


def test_worker_that_cannot_start_is_a_fatal_error() -> None:
    """A fn the children cannot import is a programming error, not a per-file finding."""
    module = types.ModuleType("tps_only_in_parent")
    exec("def fn(x):\n    return x\n", module.__dict__)
    sys.modules[module.__name__] = module
    try:
        with pytest.raises(TpsError, match="could not start"):
            list(run_isolated(module.fn, [1], workers=1))
    finally:
        del sys.modules[module.__name__]


def test_started_pool_runs_its_initializer_in_every_worker_before_any_item() -> None:
    with IsolatedPool(setup_seen, workers=2, initializer=remember_setup,
                      initargs=("plan-v1",)) as pool:
        pool.start()
        assert len(pool.idle) == 2 and all(w.proc.is_alive() for w in pool.idle)
        got = list(run_isolated(setup_seen, range(20), pool=pool))
    assert len(got) == 20
    assert all(o.ok and o.value == ("plan-v1", True) for _, o in got)


@pytest.mark.parametrize(("value", "th", "code"), [
    ("fail-tps", "อ่านแผนไม่ได้", 2), ("fail", "disk on fire", 1)])
def test_failing_initializer_stops_the_run_with_its_message(value: str, th: str,
                                                             code: int) -> None:
    pool = IsolatedPool(setup_seen, workers=2, initializer=remember_setup, initargs=(value,))
    with pytest.raises(WorkerSetupError) as info:
        list(run_isolated(setup_seen, range(5), pool=pool.start()))
    assert th in info.value.message_th and info.value.exit_code == code
    assert isinstance(info.value, TpsError)


def test_a_pool_serves_one_run_only() -> None:
    pool = IsolatedPool(double, workers=1)
    assert [o.value for _, o in run_isolated(double, [1, 2], pool=pool)] in ([2, 4], [4, 2])
    with pytest.raises(RuntimeError, match="shut down"):
        list(run_isolated(double, [3], pool=pool))  # not a silent empty result


def test_pool_overhead_per_item_is_small() -> None:
    list(run_isolated(double, range(10), workers=2))  # the fork server is up
    start = time.perf_counter()
    got = list(run_isolated(double, range(5000), workers=2))
    per_item = (time.perf_counter() - start) / 5000
    print(f"pool overhead: {per_item * 1e6:.0f} µs per item")
    assert len(got) == 5000 and all(o.ok for _, o in got)
    assert per_item < 1e-3


# --- python-calamine on hostile workbooks that bypass (or precede) the guard ------------------

def test_calamine_on_the_lying_bomb(hdir: Path) -> None:
    path = str(hostile.lying_bomb_xlsx(hdir))
    [(_, outcome)] = run_isolated(read_with_calamine, [path], memory_mb=512, timeout_s=20)
    # The zip reader enforces the declared size: an error, quickly, not 1 GiB of rows.
    assert outcome.status in ("error", "crashed", "timeout")
    print(f"lying bomb: {outcome.status}: {outcome.error}")


def test_calamine_on_a_giant_range_aborts_only_the_worker(hdir: Path) -> None:
    path = str(hostile.giant_range_xlsx(hdir))
    got = results(list(run_isolated(read_with_calamine, [path, str(hostile.clean_xlsx(hdir))],
                                    memory_mb=512, timeout_s=20)))
    assert got[path].status == "crashed"
    assert got[str(hostile.clean_xlsx(hdir))].ok


@pytest.mark.parametrize("build", [hostile.billion_laughs_xlsx, hostile.xxe_xlsx])
def test_calamine_refuses_entities(hdir: Path, build: Callable[[Path], Path]) -> None:
    path = str(build(hdir))
    [(_, outcome)] = run_isolated(read_with_calamine, [path], memory_mb=512, timeout_s=20)
    assert outcome.status == "error"
    assert "entity" in outcome.error
    assert "root:" not in repr(outcome)


@pytest.mark.slow
@pytest.mark.parametrize("build", [hostile.zip_bomb_xlsx, hostile.shared_string_bomb_xlsx])
def test_calamine_on_honest_bombs_if_the_guard_were_skipped(
        hdir: Path, build: Callable[[Path], Path]) -> None:
    path = str(build(hdir))
    [(_, outcome)] = run_isolated(read_with_calamine, [path], memory_mb=512, timeout_s=20)
    assert outcome.status in ("crashed", "timeout", "error")
