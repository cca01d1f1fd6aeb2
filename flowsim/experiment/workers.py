"""Worker processes: forked from this one on Linux, so they start with everything already imported.

A spawned worker (joblib's loky, multiprocessing's spawn and forkserver) is a fresh Python that
imports flowsim, numpy, pandas, pyarrow and SimPy again: about 0.9 s of CPU per worker, as much as
one default replication, and two workers then give far less than twice the throughput of one. A
forked worker shares the parent's imported modules and starts in milliseconds.

Forking is used on Linux only: on macOS, forking a process that has used the system's frameworks
is unsafe, and Windows cannot fork. :func:`in_workers` falls back to joblib's loky workers there.

The function the workers apply is inherited with the fork, never pickled, so it may hold anything
(a scenario, Hydra's state, closures); only each item goes to a worker (pickled) and each result
comes back (cloudpickled, as loky sends them). A worker ignores Ctrl-C (the parent stops the
workers instead, so an interruption ends at once) and dies with its parent, so a killed run leaves
no worker behind.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing, contextmanager
from typing import Any, TypeVar

__all__ = ["can_fork", "in_workers", "map_forked", "run_forked"]

T = TypeVar("T")
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
_POLL_S = 0.2  # longest a Ctrl-C waits, in the parent, for the loop over the workers' results to see it
# In a worker only: the function it applies, set as it starts (inherited with the fork, not pickled)
_WORKER: dict[str, Callable[[Any], Any]] = {}


def can_fork() -> bool:
    """True where :func:`run_forked` may be used: Linux, where ``fork`` is a start method."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def in_workers(function: Callable[[Any], T], items: Sequence[Any], n_jobs: int) -> Iterator[T]:
    """``function(item)`` for each item in ``n_jobs`` worker processes; results as they finish.

    Forked workers (:func:`run_forked`) where :func:`can_fork`, else joblib's (loky; ``function``
    must then be picklable). ``n_jobs`` counts as joblib's does: -1 is every CPU, -2 all but one.
    Close the iterator (or loop over it in ``contextlib.closing``) to stop the workers when the
    loop may end early.
    """
    if can_fork():
        return _values(run_forked(function, items, n_jobs))
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs, return_as="generator_unordered")(delayed(function)(i) for i in items)


def _values(pairs: Generator[tuple[int, T], None, None]) -> Iterator[T]:
    with closing(pairs):
        for _, value in pairs:
            yield value


def run_forked(function: Callable[[Any], T], items: Sequence[Any],
               n_jobs: int) -> Generator[tuple[int, T], None, None]:
    """Yield ``(i, function(items[i]))`` for each item as it finishes, in ``n_jobs`` forked workers.

    Parameters
    ----------
    function : callable of one argument
        Inherited by the workers with the fork: it is not pickled.
    items : sequence
        Each is pickled to the worker that takes it.
    n_jobs : int
        Worker processes, counted as joblib counts them (-1: every CPU); at most ``len(items)``.

    Returns
    -------
    generator of (int, result)
        In the order the items finish. The workers are forked when it is first advanced. An
        exception raised by ``function`` is raised here. Closing it early (or an exception while
        it runs, e.g. Ctrl-C) stops the workers at once: unfinished items are abandoned.
    """
    if not can_fork():
        raise RuntimeError("run_forked needs Linux (fork); use in_workers, which falls back to joblib")
    from joblib import effective_n_jobs  # its CPU count heeds container limits

    workers = max(1, min(effective_n_jobs(n_jobs), len(items)))
    executor: ProcessPoolExecutor | None = None
    finished = False
    try:
        with _ctrl_c_deferred():  # a Ctrl-C amid the forks would leave workers no one stops
            executor, futures = _fork_workers(function, items, workers)
        done: queue.SimpleQueue[Future[bytes]] = queue.SimpleQueue()
        for future in futures:
            future.add_done_callback(done.put)  # one queue for all: as_completed's cost, O(items)
        for _ in futures:
            yield _next_result(done, futures)
        finished = True
    finally:
        if executor is not None:
            if not finished:
                _stop_workers(executor)
            executor.shutdown(wait=True, cancel_futures=True)


def _next_result(done: queue.SimpleQueue[Future[bytes]],
                 futures: dict[Future[bytes], int]) -> tuple[int, Any]:
    """The next finished item's index and result, from the queue its future's callback put it in."""
    while True:
        try:
            # At most _POLL_S at a time: a Ctrl-C whose signal lands just before an untimed wait (or
            # on another thread) is only acted on when the wait returns, maybe at the end of a long job
            future = done.get(timeout=_POLL_S)
        except queue.Empty:
            continue
        return futures[future], pickle.loads(future.result())


def _fork_workers(function: Callable[[Any], Any], items: Sequence[Any],
                  workers: int) -> tuple[ProcessPoolExecutor, dict[Future[bytes], int]]:
    """An executor of ``workers`` forked processes with every item submitted, and its futures."""
    with warnings.catch_warnings():
        # Python 3.12+ warns on every fork of a process with threads; numpy's OpenBLAS and Arrow
        # start theirs at import and both reset them in the child (pthread_atfork), and the workers
        # run no thread of the parent's, so the warning does not apply here.
        warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks",
                                category=DeprecationWarning)
        # with fork, the initializer's arguments are inherited, not pickled
        executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_start_worker, initargs=(os.getpid(), function))
        # Frozen for the fork: the workers' garbage collector then never walks the objects they
        # inherit (every module, the scenario), nor copies their pages by touching them; a worker's
        # replication or sweep job runs about 5 % faster. The parent unfreezes at once, a console
        # script's frozen imports too (flowsim.cli.entry): what the parent holds at each fork, such
        # as garbage not yet collected, must not stay frozen through a long sizing search.
        gc.freeze()
        try:
            return executor, {executor.submit(_apply, item): i for i, item in enumerate(items)}  # forks here
        finally:
            gc.unfreeze()


@contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) that arrives inside the block until it ends, then raise it.

    Only in the main thread (the one that handles signals) and only where Ctrl-C raises
    KeyboardInterrupt as Python's default handler does; elsewhere the block runs as it is.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


def map_forked(function: Callable[[Any], T], items: Sequence[Any], n_jobs: int,
               finished: Callable[[], object] | None = None) -> list[T]:
    """``[function(item) for item in items]``, in ``n_jobs`` forked workers (:func:`run_forked`);
    ``finished`` (e.g. a progress bar's ``update``) is called as each item finishes."""
    results: list[Any] = [None] * len(items)
    for i, value in run_forked(function, items, n_jobs):
        results[i] = value
        if finished is not None:
            finished()
    return results


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """Terminate the workers: an item already running would otherwise be waited for."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.terminate()


def _start_worker(parent: int, function: Callable[[Any], Any]) -> None:
    _WORKER["function"] = function
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent handles it
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # no prctl: a killed parent's workers finish their item
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _apply(item: Any) -> bytes:
    import cloudpickle  # joblib's choice too: results holding Hydra's plugin classes pickle

    return cloudpickle.dumps(_WORKER["function"](item))
