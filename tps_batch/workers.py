"""A small process pool that survives hostile input.

Spreadsheet parsers are native code: a crafted workbook can make one abort the
process (python-calamine aborts on a failed allocation, e.g. a two-cell sheet that
claims the range A1:XFD1048576), segfault, or spin. So every parse runs in a
long-lived worker process with an address-space limit, and the parent, which only
passes items and results over pipes, kills and replaces a worker that overruns its
time or dies. The run goes on; the item gets an :class:`Outcome` saying what happened.

Why "forkserver" on Linux (and "spawn" elsewhere): workers are long-lived, so the
start method only matters when one is replaced after a timeout or crash; the
per-item cost is the pipe round trip either way. A worker forked from the small,
single-threaded fork server starts in milliseconds with a small, predictable
address space, so ``memory_mb`` (applied as RLIMIT_AS) means about the same thing
whatever the parent has loaded; plain "fork" would copy the parent's whole address
space into that limit and is unsafe once the parent runs threads (a lock held at
fork time stays locked in the child). The price is that ``fn`` and the items must
be picklable: ``fn`` a top-level function of an importable module, and the main
module import-safe (its work behind ``if __name__ == "__main__"``), as with "spawn".
Plain "fork" is not supported: each child would also inherit the parent's ends of
the pipes, so closing a pipe would no longer tell an idle worker to exit.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any, TypeVar

from tps_batch.errors import TpsError

T = TypeVar("T")
R = TypeVar("R")

START_METHOD = "forkserver" if sys.platform.startswith("linux") else "spawn"
_READY = "tps-worker-ready"
STARTUP_GRACE_S = 30.0  # how long a new worker may take to import fn's module
_PARENT_CHECK_S = 1.0  # how often an idle worker checks that its parent is still there


@dataclass
class Outcome:
    """What became of one item: its value, or why there is none."""

    status: str  # "ok" | "error" | "timeout" | "crashed"
    value: Any = None  # fn's return value when ok
    error: str = ""  # exception text, or a description of the crash (signal / exit code)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def run_isolated(fn: Callable[[T], R], items: Iterable[T], *, workers: int = 2,
                 timeout_s: float = 30, memory_mb: int = 1024,
                 pool: IsolatedPool | None = None) -> Iterator[tuple[T, Outcome]]:
    """Run ``fn(item)`` for every item in worker processes; yield ``(item, outcome)``.

    Results come as they complete, not in input order. Each worker gets one item at a
    time, so a slow file holds up only itself. A worker past ``timeout_s`` on an item
    is killed ("timeout"); one that dies ("crashed": signal or exit code) or raises
    MemoryError ("error") is replaced. ``memory_mb`` caps each worker's address space
    (0: no cap). ``workers`` below 1 still means one worker: the isolation is the
    point, so nothing ever runs in this process. Workers are stopped when the
    generator is exhausted, closed, or collected; close it explicitly (``with
    contextlib.closing(...)``) if the consumer may raise. ``pool``: an
    :class:`IsolatedPool` the caller made (and maybe started) beforehand, used instead of
    a new one (then ``fn``, ``workers``, ``timeout_s`` and ``memory_mb`` are the pool's).
    """
    pool = pool or IsolatedPool(fn, workers=workers, timeout_s=timeout_s, memory_mb=memory_mb)
    try:
        yield from pool.run(iter(items))
    finally:
        pool.shutdown()


class WorkerSetupError(TpsError):
    """The workers' ``initializer`` failed (e.g. the plan they load is unreadable): the
    run cannot go on, and every worker would fail the same way."""


class _Worker:
    """One child process and the parent's end of its pipe."""

    __slots__ = ("conn", "deadline", "item", "proc", "ready")

    def __init__(self, ctx: Any, fn: Callable[[Any], Any], memory_mb: int,
                 setup: tuple[Callable[..., Any], tuple[Any, ...]] | None) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_child_main, args=(child_end, fn, memory_mb, setup),
                                name="tps-worker", daemon=True)
        try:
            self.proc.start()
        except BaseException:
            parent_end.close()
            raise
        finally:
            child_end.close()  # the child's copy must be the only one, so its death is EOF
        self.conn: Connection = parent_end
        self.ready = False  # the child says so once fn is unpickled and limits are set
        self.item: Any = None
        self.deadline = 0.0

    def stop(self, *, kill: bool = False) -> int | None:
        """End the process (closing the pipe makes an idle child exit by itself)."""
        self.conn.close()
        if kill:
            self.proc.kill()
        self.proc.join(1.0)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        return self.proc.exitcode


class IsolatedPool:
    """The workers behind :func:`run_isolated`, for callers that start them early.

    ``start()`` launches the workers at once, so that their start-up (imports, and
    ``initializer(*initargs)``, e.g. loading the plan) overlaps the caller's own work.
    An ``initializer`` that raises doesn't kill the worker: it answers every item with
    the failure, which :meth:`run` raises as :class:`WorkerSetupError` (a
    :class:`TpsError` keeps its Thai and English text and exit code).
    """

    def __init__(self, fn: Callable[[Any], Any], *, workers: int = 2, timeout_s: float = 30,
                 memory_mb: int = 1024, initializer: Callable[..., Any] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        self.ctx = multiprocessing.get_context(START_METHOD)
        if START_METHOD == "forkserver":  # fn's module imported once, in the server, not in
            # every worker (no effect once this process's fork server runs)
            self.ctx.set_forkserver_preload([fn.__module__])
        self.fn, self.size, self.timeout_s, self.memory_mb = (fn, max(1, workers), timeout_s,
                                                              memory_mb)
        self.setup = (initializer, initargs) if initializer else None
        self.idle: list[_Worker] = []
        self.busy: dict[Connection, _Worker] = {}
        self.exhausted = False
        self.closed = False  # shut down: a pool serves one run, never a second

    def start(self) -> IsolatedPool:
        """Launch the workers now instead of at the first item."""
        if self.closed:
            raise RuntimeError("this pool has been shut down")
        while len(self.idle) + len(self.busy) < self.size:
            self.idle.append(self._new_worker())
        return self

    def __enter__(self) -> IsolatedPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.shutdown()

    def _new_worker(self) -> _Worker:
        return _Worker(self.ctx, self.fn, self.memory_mb, self.setup)

    def run(self, items: Iterator[Any]) -> Iterator[tuple[Any, Outcome]]:
        if self.closed:
            raise RuntimeError("this pool has been shut down")
        while not self.closed:
            results: list[tuple[Any, Outcome]] = []
            self._fill(items, results)
            if not self.busy and not results:
                return
            if self.busy:
                self._collect(results, block=not results)
                self._fill(items, results)  # keep workers busy while the consumer works
            yield from results

    def _fill(self, items: Iterator[Any], results: list[tuple[Any, Outcome]]) -> None:
        """Hand one item to each free worker slot."""
        while not self.exhausted and len(self.busy) < self.size:
            try:
                item = next(items)
            except StopIteration:
                self.exhausted = True
                return
            try:
                data = ForkingPickler.dumps(item)
            except Exception as exc:  # noqa: BLE001 - any pickling failure is this item's
                results.append((item, Outcome("error", error=f"cannot pass item: {exc}")))
                continue
            worker = self._send(data)
            # a new worker's clock starts at its handshake: start-up is not the file's fault
            grace = 0.0 if worker.ready else STARTUP_GRACE_S
            worker.item, worker.deadline = item, time.monotonic() + self.timeout_s + grace
            self.busy[worker.conn] = worker

    def _send(self, data: bytes | memoryview) -> _Worker:
        for _attempt in range(2):
            worker = self.idle.pop() if self.idle else self._new_worker()
            try:
                worker.conn.send_bytes(data)
                return worker
            except OSError:  # it died while idle (killed from outside): replace it
                worker.stop(kill=True)
        raise TpsError("เริ่มกระบวนการอ่านไฟล์ไม่ได้", "cannot start a worker process")

    def _collect(self, results: list[tuple[Any, Outcome]], *, block: bool) -> None:
        """Wait for results (or the nearest deadline) and turn them into outcomes."""
        now = time.monotonic()
        timeout = max(0.0, min(w.deadline for w in self.busy.values()) - now) if block else 0
        handles: list[Any] = [*self.busy, *(w.proc.sentinel for w in self.busy.values())]
        ready = set(wait(handles, timeout))
        now = time.monotonic()
        for conn, worker in list(self.busy.items()):
            if conn in ready or worker.proc.sentinel in ready:
                outcome = self._receive(worker)
                if outcome is None:  # only the startup handshake arrived
                    continue
            elif now >= worker.deadline:
                worker.stop(kill=True)
                outcome = Outcome("timeout", error=f"no result within {self.timeout_s:g} s; "
                                                   "the worker was killed")
            else:
                continue
            del self.busy[conn]
            results.append((worker.item, outcome))

    def _receive(self, worker: _Worker) -> Outcome | None:
        """Read the worker's message; None if it was only the startup handshake."""
        data, eof = None, False
        try:
            while data is None and worker.conn.poll():  # readable: a message, or EOF
                data = worker.conn.recv_bytes()
                if not worker.ready:  # the first message is always the handshake
                    worker.ready, data = True, None
                    worker.deadline = time.monotonic() + self.timeout_s
        except (EOFError, OSError):
            eof = True
        if data is None:
            if not eof and worker.proc.is_alive():
                return None
            # Dead, or dying (a grandchild may hold its pipe open: never block on that).
            code = worker.stop(kill=True)
            if not worker.ready:
                raise WorkerSetupError(
                    f"กระบวนการอ่านไฟล์เริ่มทำงานไม่ได้ ({_describe_exit(code)})",
                    f"a worker process could not start ({_describe_exit(code)}); fn must be "
                    "a top-level function of a module the workers can import")
            return Outcome("crashed", error=_describe_exit(code))
        try:
            status, payload, recycle = ForkingPickler.loads(data)
        except Exception as exc:  # noqa: BLE001 - e.g. the value's class is not importable here
            self.idle.append(worker)
            return Outcome("error", error=f"cannot read the result: {exc}")
        if status == "setup-failed":
            worker.stop()
            th, en, code = payload
            raise WorkerSetupError(th, en, exit_code=code)
        if recycle:
            worker.stop()
        else:
            self.idle.append(worker)
        if status == "ok":
            return Outcome("ok", value=payload)
        return Outcome("error", error=payload)

    def shutdown(self) -> None:
        """Stop every worker: busy ones are killed, idle ones exit on EOF."""
        self.closed = True
        for worker in self.busy.values():
            worker.proc.kill()
        for worker in [*self.idle, *self.busy.values()]:
            worker.stop()
        self.idle.clear()
        self.busy.clear()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the worker vanished (exit status unknown)"
    if code == MEMORY_WATCH_EXIT:
        return "the worker passed its memory limit (memory watch) and was ended"
    if code >= 0:
        return f"the worker exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    hint = {
        "SIGABRT": ": aborted, typically a native library failing an allocation over the "
                   "memory limit",
        "SIGSEGV": ": segmentation fault in a native library",
        "SIGKILL": ": killed from outside, possibly by the system's out-of-memory killer",
    }.get(name, "")
    return f"the worker was killed by {name} ({-code}){hint}"


# --- the child side ------------------------------------------------------------------------------

def _child_main(conn: Connection, fn: Callable[[Any], Any], memory_mb: int,
                setup: tuple[Callable[..., Any], tuple[Any, ...]] | None = None) -> None:
    """Worker loop: one item in, one ``(status, payload, recycle)`` out, until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which cleans up
    # systemd's stop signals the whole group: the parent finishes its run, so must we
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.environ["RUST_BACKTRACE"] = "0"  # a parser abort is reported as one line, not a trace
    if not _limit_resources(memory_mb):
        _watch_memory(memory_mb)
    try:
        _serve(conn, fn, memory_mb, setup)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return  # the parent closed the pipe (run over, or it stopped early): nothing to say


def _serve(conn: Connection, fn: Callable[[Any], Any], memory_mb: int,
           setup: tuple[Callable[..., Any], tuple[Any, ...]] | None) -> None:
    parent = os.getppid()
    failed: tuple[str, str, int] | None = None
    if setup is not None:
        try:
            setup[0](*setup[1])
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, item by item
            failed = ((exc.message_th, exc.message_en, exc.exit_code) if isinstance(exc, TpsError)
                      else (f"เตรียมกระบวนการอ่านไฟล์ไม่ได้: {exc}",
                            f"worker setup failed: {type(exc).__name__}: {exc}", 1))
    conn.send(_READY)
    while True:
        while not conn.poll(_PARENT_CHECK_S):
            if os.getppid() != parent:  # orphaned: nobody will read the result
                return
        try:
            item = conn.recv()
        except (EOFError, OSError):  # the parent closed its end, or died
            return
        if failed is not None:
            conn.send(("setup-failed", failed, False))
            continue
        recycle = False
        try:
            result: tuple[str, Any, bool] = ("ok", fn(item), False)
        except MemoryError as exc:  # the heap may be in a sorry state: start afresh
            recycle = True
            result = ("error", f"MemoryError: {str(exc) or 'out of memory'} "
                               f"(limit {memory_mb} MB)", True)
        except BaseException as exc:  # noqa: BLE001 - SystemExit etc. are fn's failure too
            result = ("error", f"{type(exc).__name__}: {exc}", False)
        try:
            conn.send(result)
        except Exception as exc:  # noqa: BLE001 - an unpicklable or oversized value
            conn.send(("error", f"cannot return the result: {type(exc).__name__}: {exc}",
                       recycle))
        if recycle:
            return


def _limit_resources(memory_mb: int) -> bool:
    """Cap the address space (so a bomb fails here, not in the OOM killer) and cores.
    False when the platform cannot cap the address space (Windows, macOS): the caller
    then watches the process's memory instead (:func:`_watch_memory`)."""
    try:
        import resource
    except ImportError:  # not on this platform: timeouts and the memory watch apply
        return memory_mb <= 0
    capped = memory_mb <= 0
    limits = [(getattr(resource, "RLIMIT_CORE", None), 0)]
    if memory_mb > 0:
        limits.append((getattr(resource, "RLIMIT_AS", None), memory_mb * 1024 * 1024))
    for which, value in limits:
        if which is None:
            continue
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
            capped = capped or value > 0
        except (ValueError, OSError):  # e.g. macOS refuses RLIMIT_AS
            pass
    return capped


def address_space_cap() -> bool:
    """Whether this platform caps a worker's address space (RLIMIT_AS)."""
    try:
        import resource
    except ImportError:
        return False
    return hasattr(resource, "RLIMIT_AS") and hasattr(resource, "setrlimit")


def _rss_mb() -> float | None:
    """This process's resident memory in MB, where the platform says (Linux, Windows)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        class Counters(ctypes.Structure):
            _fields_ = [("cb", wintypes.DWORD), ("PageFaultCount", wintypes.DWORD),
                        *((n, ctypes.c_size_t) for n in (
                            "PeakWorkingSetSize", "WorkingSetSize", "QuotaPeakPagedPoolUsage",
                            "QuotaPagedPoolUsage", "QuotaPeakNonPagedPoolUsage",
                            "QuotaNonPagedPoolUsage", "PagefileUsage", "PeakPagefileUsage"))]
        counters = Counters()
        counters.cb = ctypes.sizeof(counters)
        proc = ctypes.windll.kernel32.GetCurrentProcess()  # type: ignore[attr-defined]
        if ctypes.windll.psapi.GetProcessMemoryInfo(  # type: ignore[attr-defined]
                proc, ctypes.byref(counters), counters.cb):
            return counters.WorkingSetSize / 2**20
    return None


MEMORY_WATCH_EXIT = 86  # a worker that ended itself over its memory limit


def _watch_memory(memory_mb: int, every_s: float = 0.05) -> None:
    """Where no address-space cap exists: a thread that ends the worker once its resident
    memory passes the limit (the parent reports it as a crash, like a capped bomb)."""
    if memory_mb <= 0 or _rss_mb() is None:
        return
    import threading

    def watch() -> None:
        while True:
            used = _rss_mb()
            if used is not None and used > memory_mb:
                os._exit(MEMORY_WATCH_EXIT)
            time.sleep(every_s)

    threading.Thread(target=watch, name="tps-memory-watch", daemon=True).start()


_DONE = object()


def prefetch(items: Iterator[T], *, size: int = 256) -> Iterator[T]:
    """Drive ``items`` from a background thread, ``size`` results ahead of the consumer.

    Ingest uses it so the worker pool keeps reading files while the main thread stores and
    files away the previous batch (both mostly wait on I/O, so the GIL is no obstacle).
    Closing the returned generator stops the producer and closes ``items`` in its thread.
    """
    import queue
    import threading

    box: queue.Queue[Any] = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer to raise
            box.put(exc)
        finally:
            close = getattr(items, "close", None)
            if close:
                close()
            box.put(_DONE)

    thread = threading.Thread(target=produce, name="tps-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting to put
            try:
                box.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
