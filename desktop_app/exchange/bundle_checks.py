"""Checking a bulk import's files ahead of applying them: in worker processes when there are many.

Opening a bundle (limits, signature, every SHA-256, the strict schema) and checking its reports
against the installed templates touch no database: they are most of a bulk import's work. For
a batch of many files, worker processes do that for the next chunks while this process applies
the current one (see :func:`checked_chunks`). Every decision that needs the store (known
digests, the sender's keys, what is stored already) is still taken by the importing process,
inside the transaction that applies it; a worker's result is only "this file checks, and here
are its reports", or why it does not.

Workers are forked (POSIX): they start at once with the templates and unit lists already
loaded, and never touch the parent's database connection (what they inherit is frozen for the
collector, so no inherited connection object is ever finalised there; they leave with
``os._exit``). Where fork is not
available (Windows), for small batches, and when the machine's cores are busy with other work
(load average), the files are checked here, one chunk at a time.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from desktop_app.exchange.bundle_reader import Bundle, BundleError, check_reports

POOL_MIN_FILES = 200  # two chunks: below this there is nothing to check ahead of the one applied
WORKERS = 2
AHEAD = 3  # chunks checked ahead of the one being applied: bounds what is held in memory
AHEAD_BYTES = 2 * 1024 * 1024  # a chunk's files above this are not checked ahead (memory)
CHUNK_SECONDS = 60  # a chunk not back by then: its worker is taken for stuck, the rest is checked here
# (a legitimately slow chunk — hostile files each near their limits — is then only checked twice)

_templates: Any = None  # the installed templates, as the forked workers inherit them
_opener: Callable[[Path], Bundle] | None = None
_refine: Callable[[Bundle], None] | None = None  # more pure work on a bundle that checks (official names)


def pre_check(bundle: Bundle, templates) -> Bundle:
    """Check the reports against the installed templates now, keeping the outcome on the bundle
    (``precheck_error``); a bundle that carries templates is left to the importer (what it may
    take of them is the importer's decision)."""
    if bundle.templates:
        return bundle
    try:
        check_reports(bundle, templates)
    except BundleError as exc:
        # without its traceback: the frames hold the bundle, which holds the error (a cycle)
        bundle.precheck_error = exc.with_traceback(None)
    else:
        bundle.raw_reports = []  # what was checked is in ``reports``: not carried back twice
    bundle.prechecked = True
    return bundle


def _check_one(path: Path) -> Bundle | BaseException:
    assert _opener is not None
    try:
        bundle = pre_check(_opener(path), _templates)
        if _refine is not None and bundle.prechecked and bundle.precheck_error is None:
            _refine(bundle)
        return bundle
    except Exception as exc:  # noqa: BLE001 - the importer reports it in this file's turn
        exc.add_note(f"(raised in a bundle-checking worker process)\n{traceback.format_exc()}")
        return exc.with_traceback(None)  # the text is in the note; the frames (the file's bytes) go


def _check_chunk(paths: Sequence[Path]) -> list[Bundle | BaseException]:
    return [_check_one(path) for path in paths]


def _worker_start() -> None:
    # The parent's objects (its database connection among them) are copies here: frozen, so the
    # collector never finalises (closes) anything inherited, while what this process makes itself
    # is still collected (a checked bundle's cycles would otherwise pile up).
    gc.freeze()
    # An importer killed mid-way (SIGKILL, power button) cannot stop its workers: they see it go.
    parent = os.getppid()

    def leave_with_the_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=leave_with_the_parent, daemon=True).start()


def _file_bytes(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            pass  # gone or unreadable: said in its turn
    return total


def _spare_core() -> bool:
    """A core is free for the workers: on a machine busy with other work they only add the cost
    of carrying results between processes (measured: slower than checking here)."""
    try:
        return os.getloadavg()[0] < (os.cpu_count() or 1) - 0.5
    except (AttributeError, OSError):  # no load average here: assume the machine is ours
        return True


def _can_fork() -> bool:
    import multiprocessing

    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()


class CheckedChunks:
    """Each chunk's files opened and pre-checked, in order (iterate once; ``close`` at the end).

    ``opener`` opens one file (raising); ``local(path)`` opens one here (returning the
    exception): used without a pool, and for a chunk whose worker failed. With a pool the
    first chunks are submitted at once, so the workers start while the importer does its
    first-pass work."""

    def __init__(self, chunks: Sequence[Sequence[Path]], templates, opener: Callable[[Path], Bundle],
                 local: Callable[[Path], Bundle | BaseException], refine: Callable[[Bundle], None] | None = None):
        self.chunks, self.local = chunks, local
        self.pool: Any = None
        self.pending: dict[int, Any] = {}  # chunk index → its future
        if sum(len(c) for c in chunks) < POOL_MIN_FILES or not _can_fork() or not _spare_core():
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _templates, _opener, _refine
        _templates, _opener, _refine = templates, opener, refine
        gc.collect()  # anything unreachable goes now, not (half-copied) in a worker
        self.pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("fork"),
                                        initializer=_worker_start)
        for index in range(min(AHEAD, len(chunks))):
            self._submit(index)

    def _submit(self, index: int) -> None:
        if self.pool is None or index >= len(self.chunks) or _file_bytes(self.chunks[index]) > AHEAD_BYTES:
            return  # a chunk that big (one large file) is checked here in its turn, not held ahead
        try:
            self.pending[index] = self.pool.submit(_check_chunk, list(self.chunks[index]))
        except Exception:  # noqa: BLE001 - the pool broke (a worker killed): the rest is checked here
            self._abandon()

    def __iter__(self) -> Iterator[list[Bundle | BaseException]]:
        for index, chunk in enumerate(self.chunks):
            self._submit(index + AHEAD)
            future = self.pending.pop(index, None)
            results = None
            if future is not None:
                try:
                    results = future.result(timeout=CHUNK_SECONDS)
                except TimeoutError:
                    self._abandon()
                except Exception:  # noqa: BLE001 - a worker lost, or a result that would not travel
                    results = None
            yield results if results is not None else [self.local(path) for path in chunk]

    def _abandon(self) -> None:
        """Stop the workers (one stuck: forked while another thread held a lock it needs)."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):  # no public way to stop them
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        self.pending.clear()

    def close(self) -> None:
        global _templates, _opener, _refine
        pool, self.pool = self.pool, None
        for future in self.pending.values():
            future.cancel()
        self.pending.clear()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        _templates = _opener = _refine = None
