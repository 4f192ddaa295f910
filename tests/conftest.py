"""Shared fixtures and helpers for the entrostat test-suite.

The oracle for every numeric check is ``entrostat._reference`` (pure NumPy/SciPy), or
scipy / scikit-learn where those compute the same quantity.
"""

from __future__ import annotations

import functools
import json
import re
import zlib

import numpy as np
import pytest

from entrostat import _reference as ref
from entrostat import cli

#: Every Shannon estimator, as the reference lists them.
ESTIMATORS = ref.ESTIMATORS
#: The estimators whose reference implementation is cheap (NSB integrates numerically).
FAST_ESTIMATORS = tuple(e for e in ESTIMATORS if e != "nsb")
#: Every NumPy integer dtype the library takes.
INT_DTYPES = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)

#: Tolerances: exact estimators vs the reference, NSB (both sides integrate numerically).
RTOL = 1e-9
ATOL = 1e-12
NSB_RTOL = 1e-6


def tol(estimator: str) -> dict:
    """``assert_allclose`` keyword arguments for comparing ``estimator`` with the reference."""
    if estimator == "nsb":
        return {"rtol": NSB_RTOL, "atol": 1e-9}
    return {"rtol": RTOL, "atol": ATOL}


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's node id: reproducible and different per test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@functools.cache
def _ref_nsb_cached(counts: tuple, n_bins) -> tuple[float, float]:
    return ref.nsb(np.array(counts, dtype=np.float64), n_bins)


def ref_nsb(counts, n_bins=None) -> tuple[float, float]:
    """Reference NSB (posterior mean, posterior sd), cached: it is the slow oracle.

    NSB depends only on the multiset of counts (and K), so the key is the sorted counts.
    """
    c = np.asarray(counts)
    return _ref_nsb_cached(tuple(sorted(c.tolist())), n_bins)


def ref_entropy_from_counts(counts, estimator: str, n_bins=None) -> float:
    if estimator == "nsb":
        return ref_nsb(counts, n_bins if n_bins is not None else len(counts))[0]
    return ref.entropy_from_counts(counts, estimator, n_bins=n_bins)


def ref_entropy(x, estimator: str = "plugin", n_bins=None) -> float:
    """Reference entropy of labels (1-D or rows of 2-D), optionally over ``n_bins`` bins."""
    return ref_entropy_from_counts(ref.counts_of(x), estimator, n_bins)


def assert_raises(exc_type, match: str, fn, *args, **kwargs) -> BaseException:
    """Call ``fn``; it must raise ``exc_type`` whose message matches ``match``.

    Catches BaseException so that a Rust panic (``pyo3_runtime.PanicException``, a
    BaseException) is reported as such rather than as an unrelated error.
    """
    try:
        fn(*args, **kwargs)
    except BaseException as err:  # noqa: BLE001 - we inspect whatever comes out
        name = f"{type(err).__module__}.{type(err).__qualname__}"
        assert "PanicException" not in name, f"a Rust panic reached Python: {err!r}"
        assert isinstance(err, exc_type), f"expected {_names(exc_type)}, got {name}: {err}"
        assert re.search(match, str(err)), f"message {str(err)!r} does not match {match!r}"
        return err
    raise AssertionError(f"{getattr(fn, '__name__', fn)!s} did not raise {_names(exc_type)}")


def _names(exc_type) -> str:
    types = exc_type if isinstance(exc_type, tuple) else (exc_type,)
    return " or ".join(t.__name__ for t in types)


def is_panic(err: BaseException) -> bool:
    return "PanicException" in type(err).__qualname__


def sliding_rows(seq: np.ndarray, order: int) -> np.ndarray:
    """The n-grams of ``seq`` as uint64 two's-complement symbol codes (rows)."""
    codes = np.asarray(seq).astype(np.int64).view(np.uint64) if np.asarray(seq).dtype.kind == "i" \
        else np.asarray(seq).astype(np.uint64)
    return np.lib.stride_tricks.sliding_window_view(codes, order)


def markov_sequence(rng: np.random.Generator, n: int, vocab: int, stickiness: float = 0.6):
    """A first-order Markov chain over ``vocab`` symbols: n-grams repeat, h_k decreases."""
    trans = rng.dirichlet(np.full(vocab, 0.5), size=vocab)
    trans = stickiness * np.eye(vocab) + (1 - stickiness) * trans
    out = np.empty(n, dtype=np.int64)
    out[0] = rng.integers(vocab)
    u = rng.random(n)
    cum = np.cumsum(trans, axis=1)
    for t in range(1, n):
        out[t] = min(int(np.searchsorted(cum[out[t - 1]], u[t])), vocab - 1)
    return out


def assert_same_metrics(a, b) -> None:
    """Equal ``TokenMetrics``: counts exactly, entropies to rounding (sums run in table order)."""
    da, db = a.to_dict(), b.to_dict()
    assert da.keys() == db.keys()
    for key, va in da.items():
        vb = db[key]
        if isinstance(va, dict):
            assert va.keys() == vb.keys(), key
            for k in va:
                assert va[k] == pytest.approx(vb[k], rel=1e-12, abs=1e-12), (key, k)
        elif isinstance(va, float):
            assert va == pytest.approx(vb, rel=1e-12, abs=1e-12), key
        else:
            assert va == vb, key


def run_cli(capsys, *argv):
    """Run the command line in-process: (exit status, stdout, stderr)."""
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def run_cli_json(capsys, *argv):
    """Run the command line with ``--format json``; it must succeed quietly."""
    rc, out, err = run_cli(capsys, *argv, "--format", "json")
    assert rc == 0, err
    assert err == ""
    return json.loads(out)


def assert_cli_error(rc, out, err, *fragments):
    """Exit status 2 and one ``entrostat: error:`` line holding every fragment."""
    assert rc == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("entrostat: error: "), err
    assert "Traceback" not in err
    for frag in fragments:
        assert frag in lines[0], lines[0]
