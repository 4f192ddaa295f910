"""The runtime contract: Ctrl-C interrupts long calls, threads are configurable,
memory-mapped inputs are read in place (peak memory sampled during the call)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import entrostat as es

# One long core call in a child process, interrupted by SIGINT; the child prints
# "started" once the call is under way, then a JSON report of how the call ended.
#
# How it tells "interrupted inside the call" from "interrupted after it returned": the
# work a call has done is the CPU time of the process (all threads: the core's workers
# hold no GIL). A quarter-size call, run first without interruption, sets the yardstick
# q. The child says "started" once the long call has used q / 4 of CPU time, and the
# parent sends SIGINT. The handler below is a Python function; CPython runs it
#   - during the call, when the core polls PyErr_CheckSignals (every 50 ms for inputs
#     over 4 Mi elements): then the call has done little more than q / 4 of work, and
#     the KeyboardInterrupt the handler raises cancels the rest, which the core checks
#     between chunks, so little work follows it;
#   - or, were the call deaf to signals, at the first eval-breaker check after the C
#     function returned: still inside the Python wrapper, before ``result`` is assigned,
#     so that ``in_call`` / ``returned`` alone could not tell the two apart; but by then
#     the call has done all of its work, about 4 q.
ARM = textwrap.dedent(
    """
    import signal, threading, time

    def arm(q, report, state=dict):
        # From now on: SIGINT records the CPU time used (and state()) in the report and
        # raises KeyboardInterrupt; "started" is printed once q / 4 of CPU time is used.
        start = time.process_time()

        def on_sigint(signum, frame):
            report.update(state(), work=time.process_time() - start)
            report["raised_at"] = time.process_time()
            raise KeyboardInterrupt

        def announce():
            while time.process_time() - start < q / 4:
                time.sleep(0.002)
            print("started", flush=True)

        signal.signal(signal.SIGINT, on_sigint)
        threading.Thread(target=announce, daemon=True).start()
    """
)

INTERRUPTED_CALL = ARM + textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    import entrostat as es

    g = np.random.default_rng(0)
    if sys.argv[1] == "block_entropy":
        # ~3.5 s on 2 cores uninterrupted
        data = g.integers(0, 50_000, 10**8, dtype=np.int32)
        def call(part):
            return es.block_entropy(part, 3)
    elif sys.argv[1] == "ngram_entropy":
        # reading the entropy of 6 * 10^7 pending 3-grams (counted beforehand): ~1.5 s
        data = g.integers(0, 50_000, 6 * 10**7, dtype=np.int32)
        counted = {n: es.NgramCounts(3, data[:n]) for n in (8, len(data) // 4, len(data))}
        def call(part):
            return counted[len(part)].entropy()
    elif sys.argv[1] == "entropy_from_counts_nsb_short_rows":
        # 2 * 10^4 rows of 10 bins (too few elements to count as a large input; NSB's
        # cost is per row): ~3 s on 2 cores uninterrupted
        data = g.integers(0, 5, (20_000, 10)).astype(np.float64)
        def call(part):
            return es.entropy_from_counts(part, estimator="nsb")
    else:
        # 10^7 bins in 10^4 rows: ~1.6 s on 2 cores uninterrupted
        data = g.integers(0, 5, (10_000, 1000)).astype(np.float64)
        def call(part):
            return es.entropy_from_counts(part, estimator="nsb")

    small = np.asarray(call(data[:8]))
    t = time.process_time()
    call(data[: len(data) // 4])
    q = time.process_time() - t

    in_call = returned = False
    report = {"q": q}

    arm(q, report, lambda: {"in_call": in_call, "returned": returned})
    in_call = True
    try:
        result = call(data)
        returned = True
    except KeyboardInterrupt:
        report["raised_by_call"] = True
        report["work_after"] = time.process_time() - report.pop("raised_at")
    in_call = False
    # the interrupted call leaves the pool and the library usable
    report["still_works"] = bool(np.array_equal(np.asarray(call(data[:8])), small))
    print(json.dumps(report), flush=True)
    """
)


def _interrupted_child(script: str, which: str) -> dict:
    """Run ``script`` in a child, send it SIGINT when it prints "started", and return the
    JSON report it prints last."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, which],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, ENTROSTAT_NUM_THREADS="2"),
    )
    # Guards against a hang only; it is not a speed threshold.
    guard = threading.Timer(300, proc.kill)
    guard.start()
    try:
        line = proc.stdout.readline()
        if line.strip() == "started":
            proc.send_signal(signal.SIGINT)
        out, err = proc.communicate()
    finally:
        guard.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert line.strip() == "started", line + out + err
    assert "PanicException" not in err
    assert proc.returncode == 0, err
    return json.loads(out)


@pytest.mark.parametrize("which", ["block_entropy", "ngram_entropy", "entropy_from_counts_nsb",
                                   "entropy_from_counts_nsb_short_rows"])
def test_ctrl_c_interrupts_a_long_call_with_keyboardinterrupt(which):
    """SIGINT during one long call raises KeyboardInterrupt out of that call, promptly
    (before a quarter of its work is done; a call that polled no signal would raise it
    only after all of it) and stops the work (a call that went on after the interrupt
    would spend most of its work after it). See INTERRUPTED_CALL."""
    report = _interrupted_child(INTERRUPTED_CALL, which)
    # the handler ran before the call gave a result, and its KeyboardInterrupt came
    # out of the call
    assert report["in_call"] is True and report["returned"] is False, report
    assert report.get("raised_by_call") is True, report
    # it ran during the call: the call had done less than a quarter of its work ...
    assert report["work"] < report["q"], report
    # ... and the interrupt stopped the work: less than a quarter of it came after
    assert report["work_after"] < report["q"], report
    assert report["still_works"] is True


def test_thread_count_comes_from_the_environment():
    code = "import entrostat as es; print(es.num_threads())"
    env = dict(os.environ, ENTROSTAT_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "3"
    # One thread gives the same numbers as the default pool.
    code = (
        "import numpy as np, entrostat as es;"
        "x = np.random.default_rng(1).integers(0, 2**62, 10**6, dtype=np.int64) % 99991;"
        "print(repr(float(es.entropy(x))), repr(float(es.block_entropy(x, 2))))"
    )
    one = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, ENTROSTAT_NUM_THREADS="1"))
    many = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert one.returncode == 0 and many.returncode == 0
    np.testing.assert_allclose(
        [float(v) for v in one.stdout.split()], [float(v) for v in many.stdout.split()],
        rtol=1e-12,
    )


def _rss_anon() -> int:
    """Anonymous resident memory of this process, in bytes (pages of a mapped file are
    not anonymous: only copies and working buffers count)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no RssAnon in /proc/self/status")


class _PeakRssAnon:
    """The peak of RssAnon while the ``with`` block runs, over its value at entry,
    sampled every ~1 ms by a background thread (the core releases the GIL, so the
    sampler runs during a call): a temporary copy freed before the call returns shows."""

    def __enter__(self):
        self.before = self.peak = _rss_anon()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_anon())
            self._stop.wait(0.001)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_anon())

    @property
    def grown(self) -> int:
        return self.peak - self.before


def _write_npy(path, dtype, block, repeats):
    """A .npy file of ``block`` written ``repeats`` times, without holding it in memory."""
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=dtype,
                                    shape=(block.size * repeats,))
    for i in range(repeats):
        arr[i * block.size:(i + 1) * block.size] = block
    arr.flush()
    del arr
    return np.load(path, mmap_mode="r")


def _entropy_of_counts(counts) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


@pytest.mark.slow
def test_memory_mapped_labels_are_counted_in_place(tmp_path):
    """Dense path (uint8 labels): the peak extra memory during the call is O(alphabet x
    threads), nothing like the 256 MiB file (measured: ~0.1 MiB)."""
    block = np.random.default_rng(2).integers(0, 200, 2**22, dtype=np.uint8)
    x = _write_npy(tmp_path / "labels.npy", np.uint8, block, 64)
    size = x.nbytes
    want = _entropy_of_counts(np.bincount(block, minlength=256) * 64)
    _counted_in_place(x, want, support=200, bound=size / 16)

    # the sampler sees a temporary copy that is gone before the call returns
    with _PeakRssAnon() as mem:
        got = es.entropy(np.array(x))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert mem.grown > size * 0.9, (mem.grown, size)


def _counted_in_place(x, want, *, support, bound):
    """``entropy(x)`` and ``Counts(x)`` give ``want`` (and ``support`` labels) with a peak
    of extra memory under ``bound`` bytes during each call."""
    es.entropy(x[: 10**6])  # the thread pool exists before the measured calls
    es.Counts(x[: 10**6])
    with _PeakRssAnon() as mem:
        got = es.entropy(x)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert mem.grown < bound, (mem.grown, bound)
    with _PeakRssAnon() as mem:
        c = es.Counts(x)
    assert c.n == x.size and c.support == support
    np.testing.assert_allclose(c.entropy(), want, rtol=1e-12)
    assert mem.grown < bound, (mem.grown, bound)


@pytest.mark.slow
def test_memory_mapped_hashed_labels_are_counted_in_place(tmp_path):
    """Hashed path (uint64 labels, 1000 distinct values spread over the whole range):
    the peak extra memory is the core's block of keys in flight (32 MiB, whatever the
    input size) plus the table of distinct values, well under the 256 MiB file."""
    g = np.random.default_rng(3)
    values = g.integers(0, 2**64 - 1, 1000, dtype=np.uint64, endpoint=True)
    index = g.integers(0, values.size, 2**22)
    x = _write_npy(tmp_path / "labels.npy", np.uint64, values[index], 8)
    size = x.nbytes
    want = _entropy_of_counts(np.bincount(index, minlength=values.size) * 8)
    _counted_in_place(x, want, support=np.unique(values).size, bound=size / 4)


# One long update of a persistent accumulator in a child, interrupted by SIGINT once it
# has used a quarter of the CPU time a quarter-size update takes (as above); the child
# reports whether the KeyboardInterrupt came out of the update and whether the
# accumulator is exactly as it was before it (updates are all or nothing).
INTERRUPTED_UPDATE = ARM + textwrap.dedent(
    """
    import json, pickle, sys, time
    import numpy as np
    import entrostat as es
    from entrostat.tokenizers import TokenStats

    data = np.random.default_rng(0).integers(0, 50_000, 6 * 10**7, dtype=np.int32)
    def make():
        if sys.argv[1] == "ngram_counts":
            return es.NgramCounts(3, data[:100_000])
        return TokenStats(3, vocab_size=50_000).update(data[:100_000])

    def state(acc):
        if sys.argv[1] == "ngram_counts":
            return pickle.dumps(acc)
        # TokenStats: its counts, documents and every metric (entropies of orders 1..3)
        m = acc.metrics(orders=(1, 2, 3)).to_dict()
        return json.dumps([acc.n_tokens, acc.n_documents, m], sort_keys=True)

    t = time.process_time()
    make().update(data[: len(data) // 4])
    q = time.process_time() - t
    acc = make()
    before = state(acc)
    report = {"q": q}

    arm(q, report)
    try:
        acc.update(data)
        report["returned"] = True
    except KeyboardInterrupt:
        report["raised_by_call"] = True
    report["unchanged"] = state(acc) == before
    # the accumulator still counts: an update now equals counting the two pieces at once
    acc.update(data[:1000], **({} if sys.argv[1] == "ngram_counts" else {"new_document": False}))
    again = make()
    again.update(data[:1000], **({} if sys.argv[1] == "ngram_counts" else {"new_document": False}))
    report["still_counts"] = state(acc) == state(again)
    print(json.dumps(report), flush=True)
    """
)


@pytest.mark.parametrize("which", ["ngram_counts", "token_stats"])
def test_interrupted_update_leaves_the_accumulator_as_it_was(which):
    """Ctrl-C during ``NgramCounts.update`` / ``TokenStats.update`` raises
    KeyboardInterrupt out of the update, promptly, and the accumulator keeps exactly the
    counts it had before (nothing of the interrupted chunk), and goes on counting."""
    report = _interrupted_child(INTERRUPTED_UPDATE, which)
    assert report.get("raised_by_call") is True and "returned" not in report, report
    assert report["work"] < report["q"], report
    assert report["unchanged"] is True, report
    assert report["still_counts"] is True, report
