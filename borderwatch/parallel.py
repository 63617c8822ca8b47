"""Run the heavy loops on several local processes or on a Dask cluster, with the result of one process.

The ensemble's samples, gate criticality's closed gates and a sweep's
scenarios are independent tasks.  An :class:`Engine` runs a list of them:

- :class:`Serial` (the default): in this process, one after the other;
- :class:`Local`: on ``workers`` local processes (joblib's ``loky`` backend);
- :class:`Cluster`: on the workers of a ``dask.distributed`` scheduler
  (``pip install "borderwatch[dask]"`` here and on every worker machine).

Choose one for a block of code with :func:`running` (the CLI's ``--workers N``
and ``--scheduler ADDRESS``, or ``$BORDERWATCH_DASK_SCHEDULER``)::

    with borderwatch.parallel.running(workers=2):
        analysis = analyse_region(scenario)

The result is the same, bit for bit, on any engine and any number of workers:
every sample draws from its own random stream keyed by its index
(:mod:`borderwatch.analysis.draws`), tasks return their results to this process,
which joins them in task order with exact (integer) sums.

The data every task reads (the graph's array view) is a :class:`Shared`
value: it is sent to each worker once (a local worker reads it from a
temporary file, a Dask worker receives it by ``scatter``) and kept there for
later tasks and later calls, never pickled per task.  A worker that dies mid-run
fails the whole run with :class:`WorkerLostError` (nothing is returned, so the
CLI writes nothing).
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import BorderwatchError, ParameterError
from .kept import Kept

if TYPE_CHECKING:
    from .network.arrays import GraphArrays

#: Environment variable naming a Dask scheduler (``tcp://host:8786``) when ``--scheduler`` is not given.
SCHEDULER_ENV = "BORDERWATCH_DASK_SCHEDULER"
#: Seconds to wait for a Dask scheduler to answer before failing.
CONNECT_TIMEOUT_S = 5.0


class WorkerLostError(BorderwatchError, RuntimeError):
    """A worker process died (killed, out of memory) or the cluster lost it mid-run: no result."""


def available_cpus() -> int:
    """Return the CPUs this process may run on (``os.sched_getaffinity``, else ``os.cpu_count``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_workers(workers: object, *, flag: str = "workers") -> int:
    """Check a number of local worker processes: an integer from 1 to the CPUs available.

    Parameters
    ----------
    workers
        The value given.
    flag
        Its name in the message (``--workers`` on the command line).

    Returns
    -------
    int

    Raises
    ------
    ParameterError
        Not an integer, < 1, or more than this machine has (the message says how many it has).
    """
    have = available_cpus()
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ParameterError(f"{flag} must be a whole number of processes from 1 to {have}, got {workers!r}")
    if workers < 1 or workers > have:
        raise ParameterError(
            f"{flag} must be from 1 to {have} (this machine has {os.cpu_count()} CPUs, {have} available to this "
            f"process), got {workers}; for more, use a Dask cluster (--scheduler ADDRESS)"
        )
    return workers


@dataclass(eq=False)
class Shared:
    """A value every task of a run reads, sent to each worker once.

    Attributes
    ----------
    key
        Identifies the value: two :class:`Shared` with the same key must hold equal values.
    value
        The value (picklable).
    """

    key: str
    value: Any


class Engine:
    """Runs tasks ``fn(shared.value, *args)`` and returns their results in task order."""

    #: How many tasks it runs at once.
    workers: int = 1

    def imap(self, fn: Callable[..., Any], shared: Shared, tasks: Sequence[tuple]) -> Iterator[Any]:
        """Run ``fn(shared.value, *task)`` for every task; yield the results in task order.

        Parameters
        ----------
        fn
            A module-level function (workers import it by name).
        shared
            What every task reads.
        tasks
            The other arguments, one tuple per task.

        Yields
        ------
        object
            Each task's result, in task order (as soon as it and those before it are done).
        """
        raise NotImplementedError

    def map(self, fn: Callable[..., Any], shared: Shared, tasks: Sequence[tuple]) -> list[Any]:
        """Return the list of :meth:`imap`'s results.

        Parameters
        ----------
        fn, shared, tasks
            As :meth:`imap`.

        Returns
        -------
        list
        """
        return list(self.imap(fn, shared, tasks))

    def close(self) -> None:
        """Release the workers and temporary files."""

    def describe(self) -> str:
        """One line: where the tasks run."""
        return "this process"


class Serial(Engine):
    """Every task in this process, in order."""

    def imap(self, fn: Callable[..., Any], shared: Shared, tasks: Sequence[tuple]) -> Iterator[Any]:  # noqa: D102
        for task in tasks:
            yield fn(shared.value, *task)


#: In a worker process: shared key -> value, loaded once per process (the last few kept).
_LOADED = Kept(4)


def _local_task(fn: Callable[..., Any], key: str, path: str, args: tuple) -> Any:
    if key not in _LOADED:
        with open(path, "rb") as f:
            _LOADED.put(key, pickle.load(f))
    return fn(_LOADED[key], *args)


@dataclass(eq=False)
class Local(Engine):
    """Tasks on ``workers`` local processes (joblib, ``loky`` backend).

    Attributes
    ----------
    workers
        Number of processes (:func:`check_workers`).
    """

    workers: int
    _folder: Path | None = field(default=None, repr=False)
    _files: dict[str, Path] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_workers(self.workers)

    def _file(self, shared: Shared) -> Path:
        if shared.key not in self._files:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="borderwatch-shared-"))
            path = self._folder / f"{len(self._files)}.pickle"
            with open(path, "wb") as f:
                pickle.dump(shared.value, f, protocol=pickle.HIGHEST_PROTOCOL)
            self._files[shared.key] = path
        return self._files[shared.key]

    def imap(self, fn: Callable[..., Any], shared: Shared, tasks: Sequence[tuple]) -> Iterator[Any]:  # noqa: D102
        import joblib
        from joblib.externals.loky.process_executor import BrokenProcessPool

        path = str(self._file(shared))
        try:
            yield from joblib.Parallel(n_jobs=self.workers, backend="loky", return_as="generator")(
                joblib.delayed(_local_task)(fn, shared.key, path, task) for task in tasks
            )
        except BrokenProcessPool as exc:  # TerminatedWorkerError is one
            raise WorkerLostError(
                f"a worker process died mid-run ({type(exc).__name__}: {str(exc).splitlines()[0]}); no result was "
                f"kept. Run again, with fewer --workers if memory ran out"
            ) from None

    def close(self) -> None:  # noqa: D102
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
            self._files.clear()

    def describe(self) -> str:  # noqa: D102
        return f"{self.workers} local processes"


def _cluster_task(fn: Callable[..., Any], value: Any, args: tuple) -> Any:
    return fn(value, *args)


class Cluster(Engine):
    """Tasks on the workers of a ``dask.distributed`` scheduler.

    Parameters
    ----------
    address
        The scheduler's address (``tcp://host:8786``).
    timeout_s
        How long to wait for it to answer.

    Raises
    ------
    ParameterError
        ``dask.distributed`` is not installed, no scheduler answers at ``address`` in time, or it has no worker.
    """

    def __init__(self, address: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        if not isinstance(address, str) or not address.strip():
            raise ParameterError(f"the Dask scheduler address must be text like tcp://host:8786, got {address!r}")
        try:
            from dask.distributed import Client
        except ImportError:
            raise ParameterError(
                f"--scheduler {address} needs dask.distributed; install it with pip install 'borderwatch[dask]'"
            ) from None
        self.address = address
        try:
            self.client = Client(address, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ParameterError(
                f"no Dask scheduler answers at {address!r} within {timeout_s:g} s ({type(exc).__name__}); start one "
                f"with `dask scheduler` and workers with `dask worker {address}`, or check the address"
            ) from None
        try:
            self.client.wait_for_workers(1, timeout=timeout_s)
        except TimeoutError:
            self.client.close()
            raise ParameterError(
                f"the Dask scheduler at {address!r} has no worker after {timeout_s:g} s; start some with "
                f"`dask worker {address}` on the machines that should do the work"
            ) from None
        self._scattered: dict[str, Any] = {}
        self.workers = max(1, sum(self.client.nthreads().values()))

    def imap(self, fn: Callable[..., Any], shared: Shared, tasks: Sequence[tuple]) -> Iterator[Any]:  # noqa: D102
        from dask.distributed import KilledWorker

        if shared.key not in self._scattered:
            self._scattered[shared.key] = self.client.scatter(shared.value, broadcast=True, hash=False)
        value = self._scattered[shared.key]
        futures = [self.client.submit(_cluster_task, fn, value, task, pure=False) for task in tasks]
        try:
            for future in futures:
                yield future.result()
        except KilledWorker as exc:
            raise WorkerLostError(
                f"the Dask cluster at {self.address} lost the workers running a task ({exc}); no result was kept"
            ) from None
        finally:
            for future in futures:
                future.release()

    def close(self) -> None:  # noqa: D102
        self._scattered.clear()
        self.client.close()

    def describe(self) -> str:  # noqa: D102
        return f"the Dask cluster at {self.address} ({self.workers} worker threads)"


_CURRENT: list[Engine] = [Serial()]


def current() -> Engine:
    """Return the engine in force (:func:`running`; :class:`Serial` outside any)."""
    return _CURRENT[-1]


def engine_for(*, workers: int | None = None, scheduler: str | None = None) -> Engine:
    """Return the engine for ``workers`` local processes or a Dask ``scheduler`` (else $BORDERWATCH_DASK_SCHEDULER).

    Parameters
    ----------
    workers
        Local processes (``None`` or 1: this process).
    scheduler
        A Dask scheduler address; ``None`` reads :data:`SCHEDULER_ENV` (unless ``workers`` is given).

    Returns
    -------
    Engine

    Raises
    ------
    ParameterError
        A bad ``workers`` (:func:`check_workers`), both ``workers`` and ``scheduler``, or a scheduler that does
        not answer.
    """
    if workers is not None:
        check_workers(workers)
        if scheduler is not None:
            raise ParameterError(
                f"give --workers or a Dask scheduler ({scheduler}), not both: the cluster's workers run the tasks"
            )
    elif scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None:
        return Cluster(scheduler)
    return Local(workers) if workers is not None and workers > 1 else Serial()


@contextmanager
def running(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Engine]:
    """Run the analyses inside the block on ``workers`` processes or a Dask cluster (see :func:`engine_for`).

    Parameters
    ----------
    workers, scheduler
        As :func:`engine_for`; neither (and no $BORDERWATCH_DASK_SCHEDULER): the engine in force.

    Yields
    ------
    Engine
    """
    if workers is None and scheduler is None and not os.environ.get(SCHEDULER_ENV):
        yield current()
        return
    engine = engine_for(workers=workers, scheduler=scheduler)
    _CURRENT.append(engine)
    try:
        yield engine
    finally:
        _CURRENT.pop()
        engine.close()


def batches(total: int, parts: int) -> list[tuple[int, int]]:
    """Split ``range(total)`` into at most ``parts`` consecutive runs ``(first, count)`` of near-equal length.

    Parameters
    ----------
    total
        Number of items.
    parts
        Number of runs wanted (>= 1).

    Returns
    -------
    list of tuple
        Empty when ``total`` is 0.
    """
    if total <= 0:
        return []
    parts = max(1, min(parts, total))
    size, extra = divmod(total, parts)
    out, first = [], 0
    for i in range(parts):
        count = size + (i < extra)
        out.append((first, count))
        first += count
    return out


@dataclass(eq=False)
class SharedView:
    """What the tasks on one graph read: an array view, the border segment of every edge, and facts of both.

    Attributes
    ----------
    arrays
        A view of the graph (any: a task gives its own view's costs, :meth:`view`).
    segment_of
        Border segment per edge ("" where none).
    """

    arrays: GraphArrays
    segment_of: np.ndarray
    _facts: dict = field(default_factory=dict, repr=False)
    _last: tuple[np.ndarray, GraphArrays] | None = field(default=None, repr=False)

    def view(self, cost: np.ndarray | None) -> GraphArrays:
        """Return the view with ``cost`` (``None`` or the same costs: :attr:`arrays` itself).

        The last other view is kept, so the tasks of one scenario (an edited
        one's samples) build its view once per process, not once per task.

        Parameters
        ----------
        cost
            One cost per edge, or ``None``.

        Returns
        -------
        GraphArrays
        """
        if cost is None or np.array_equal(cost, self.arrays.cost):
            return self.arrays
        if self._last is None or not (self._last[0] is cost or np.array_equal(self._last[0], cost)):
            self._last = (cost, self.arrays.with_cost(cost))
        return self._last[1]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_last": None}  # a worker builds its own views

    def fact(self, name: str, compute: Callable[[], Any]) -> Any:
        """Return a fact of the graph computed once per process (``compute()`` the first time).

        Parameters
        ----------
        name
            The fact's name.
        compute
            Computes it.

        Returns
        -------
        object
        """
        if name not in self._facts:
            self._facts[name] = compute()
        return self._facts[name]


#: Shared views already built: (graph token, id of segment_of) -> (segment_of, Shared).
_VIEWS = Kept(8)


def shared_view(arrays: GraphArrays, segment_of: np.ndarray | None = None) -> Shared:
    """Return the :class:`Shared` :class:`SharedView` of a graph's tasks (one per graph and segmentation).

    Every view of one graph (closures, sample costs) has the same one, so a
    graph goes to each worker once however many scenarios run on it; a task
    passes its own view's costs (``None`` when its view is the shared one).

    Parameters
    ----------
    arrays
        Any view of the graph.
    segment_of
        Border segment per edge (``None``: none).

    Returns
    -------
    Shared
    """
    token = arrays.structure.setdefault("parallel_token", uuid.uuid4().hex)
    key = (token, id(segment_of))
    if key not in _VIEWS or _VIEWS[key][0] is not segment_of:
        seg_of = segment_of if segment_of is not None else np.full(arrays.n_edges, "", dtype=object)
        _VIEWS.put(key, (segment_of, Shared(uuid.uuid4().hex, SharedView(arrays, seg_of))))
    return _VIEWS[key][1]
