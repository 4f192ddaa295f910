"""The runtime contract: Ctrl-C interrupts long calls, threads are configurable,
memory-mapped inputs are read in place."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import entrostat as es

LONG_JOB = textwrap.dedent(
    """
    import sys
    import numpy as np
    import entrostat as es
    x = np.random.default_rng(0).integers(0, 2**40, 2 * 10**7, dtype=np.uint64)
    print("started", flush=True)
    while True:
        es.block_entropy(x, 3)
    """
)


def test_ctrl_c_interrupts_a_long_call_with_keyboardinterrupt():
    proc = subprocess.Popen(
        [sys.executable, "-c", LONG_JOB],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "started"
        # Let the first call get going inside the core, then interrupt it.
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        # A generous limit only guards against a hang; it is not a speed threshold.
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err
    assert "PanicException" not in err


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


def _rss_anon_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc/self/status")


@pytest.mark.slow
def test_memory_mapped_labels_are_counted_in_place(tmp_path):
    n = 10**9
    path = tmp_path / "labels.npy"
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n,))
    block = np.random.default_rng(2).integers(0, 200, 10**7, dtype=np.uint8)
    for start in range(0, n, block.size):
        arr[start:start + block.size] = block
    arr.flush()
    del arr
    want = np.bincount(block, minlength=256) * (n // block.size)

    x = np.load(path, mmap_mode="r")
    before = _rss_anon_kib()
    got = es.entropy(x)
    grown_mib = (_rss_anon_kib() - before) / 1024
    p = want[want > 0] / n
    np.testing.assert_allclose(got, -(p * np.log(p)).sum(), rtol=1e-12)
    # Anonymous memory stays O(alphabet x threads): nothing like the 1 GB input.
    assert grown_mib < 64
