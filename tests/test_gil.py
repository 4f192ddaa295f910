"""Long core calls release the GIL, so other Python threads run meanwhile.

A ticker thread counts 1 ms sleeps; while a call holds the GIL the ticker cannot wake, so
the ticks seen across the call stay at the one or two at its edges. Each call is sized to
last tens of milliseconds here, where a released GIL gives about one tick per 1.1 ms; a
call must show at least 3 ticks and one per 5 ms of its duration (so a call that holds
the GIL for most of its time fails too).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import entrostat as es
from entrostat.tokenizers import TokenStats


class Ticker:
    def __init__(self):
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            time.sleep(0.001)
            self.ticks += 1

    def __enter__(self):
        self._thread.start()
        time.sleep(0.01)  # the ticker is running before the call starts
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def runs_beside_other_threads(call) -> None:
    """Assert that the ticker ran during ``call()``, in step with its duration."""
    with Ticker() as t:
        before, start = t.ticks, time.perf_counter()
        call()
        ticks, ms = t.ticks - before, (time.perf_counter() - start) * 1e3
    assert ticks >= max(3.0, ms / 5), f"{ticks} ticks in {ms:.1f} ms"


@pytest.fixture(scope="module")
def hashed_counts():
    gen = np.random.default_rng(0)
    values = gen.integers(0, 2**63, 2 * 10**6, dtype=np.uint64)
    a = es.Counts(values[gen.integers(0, values.size, 4 * 10**6)])
    b = es.Counts(values[gen.integers(0, values.size, 4 * 10**6)] + np.uint64(1))
    return a, b


@pytest.fixture(scope="module")
def trigram_counts():
    seq = np.random.default_rng(1).integers(0, 3000, 3 * 10**6)
    return es.NgramCounts(3, seq), es.NgramCounts(3, seq[::-1].copy())


def merged_with_ticks(a, b):
    """``a + b``, asserting that other threads ran during the merge."""
    merged = []
    runs_beside_other_threads(lambda: merged.append(a + b))
    return merged[0]


def test_counts_merge_and_reads_release_the_gil(hashed_counts):
    a, b = hashed_counts
    assert merged_with_ticks(a, b).n == a.n + b.n
    runs_beside_other_threads(a.counts)


def test_ngram_merge_and_entropy_release_the_gil(trigram_counts):
    a, b = trigram_counts
    # The merge also counts the two windows across the seam.
    assert merged_with_ticks(a, b).n == a.n + b.n + 2
    fresh = es.NgramCounts(3, np.random.default_rng(2).integers(0, 3000, 3 * 10**6))
    runs_beside_other_threads(fresh.entropy)


def test_token_summary_releases_the_gil():
    ids = np.random.default_rng(3).integers(0, 50_000, 4 * 10**6).astype(np.uint32)
    stats = TokenStats(3, vocab_size=50_000).update(ids)
    runs_beside_other_threads(lambda: stats.metrics(orders=(1, 2, 3)))
