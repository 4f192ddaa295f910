r"""Token-level statistics of language models, without materialising probabilities.

Every function reduces rows of logits (or of attention weights) along ``axis`` (default
the last) in the Rust core, one row at a time while it sits in cache, with an online
log-sum-exp: the extra memory is O(rows), never O(rows x vocabulary). Rows are read
where they lie, whatever the shape and strides (``logits[:, :-1]`` is not copied). With
:math:`p = \mathrm{softmax}(x / T)`:

- entropy :math:`H = -\sum_i p_i \ln p_i`,
- varentropy :math:`V = \sum_i p_i (\ln p_i + H)^2` (the variance of :math:`-\ln p`),
- cross-entropy :math:`-\ln p_t` of a target index, or :math:`-\sum_i q_i \ln p_i` of
  soft targets :math:`q`.

Logits may be float64, float32, float16 or bfloat16 (an ``ml_dtypes.bfloat16`` array, or
a uint16 view with ``dtype="bfloat16"``); sums are kept in float64. Entries of ``-inf``
are masked vocabulary entries (probability 0). A row with NaN or ``+inf`` raises a
``ValueError`` naming the row (``nan_policy="raise"``, the default) or gives NaN for that
row (``nan_policy="propagate"``), as in SciPy. Results are float64, in nats unless
``base=`` is given. Formulas and references: ``docs/estimators.md``.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import numpy as np

from . import _core
from . import _validate as check

__all__ = [
    "entropy",
    "varentropy",
    "cross_entropy",
    "stats",
    "high_entropy_tokens",
    "HighEntropyTokens",
    "rolling_entropy",
    "attention_entropy",
    "logprob_advantage_covariance",
    "LogprobAdvantageCovariance",
    "linear_cross_entropy",
    "float_entropy",
    "FloatEntropy",
]

_FORMATS = ("bfloat16", "float16")
_NAN_POLICIES = ("raise", "propagate")
_REDUCTIONS = ("none", "mean", "sum")


def _float_format(arr: np.ndarray, dtype, name: str) -> tuple[np.ndarray, str]:
    """``(array as the core reads it, format name)``; 16-bit floats as uint16 bits."""
    if dtype is not None:
        if dtype not in _FORMATS:
            raise ValueError(f"dtype: expected None, 'bfloat16' or 'float16', got {dtype!r}")
        if arr.dtype.newbyteorder("=") == np.uint16:  # bit patterns of either byte order
            return check.native_aligned(arr), dtype
        if arr.dtype.name != dtype:
            raise TypeError(
                f"{name}: dtype={dtype!r} reads a uint16 view of {dtype} values, "
                f"got an array of dtype {arr.dtype}"
            )
    kind = arr.dtype.name
    if kind in ("float64", "float32", *_FORMATS):
        arr = check.native_aligned(arr)
        return (arr, kind) if kind not in _FORMATS else (arr.view(np.uint16), kind)
    raise TypeError(
        f"{name}: expected floating-point values (float64, float32, float16, bfloat16, or "
        f"uint16 with dtype='bfloat16'), got dtype {arr.dtype}"
    )


def _rows(a, axis, dtype, name: str) -> tuple[np.ndarray, str, tuple[int, ...]]:
    """``(array with the reduced axis moved last, format, shape of the result)``.

    Moving the axis is a view, and the core reads the rows of any shape and strides
    where they lie (``logits[:, :-1]`` is not copied).
    """
    arr = check.as_array(a, name, "floating-point values")
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected at least 1 dimension, got a scalar")
    arr, fmt = _float_format(arr, dtype, name)
    axis = check.axis(axis, arr.ndim)
    moved = np.moveaxis(arr, axis, -1)
    if moved.shape[-1] == 0:
        raise ValueError(f"{name}: expected at least one entry along axis {axis}, got 0")
    return moved, fmt, moved.shape[:-1]


def _nan_policy(value) -> str:
    if value not in _NAN_POLICIES:
        raise ValueError(f"nan_policy: expected 'raise' or 'propagate', got {value!r}")
    return value


def _temperature(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"temperature: expected a positive number, got {type(value).__name__}")
    t = float(value)
    # 1 / T must be finite too (a subnormal T would turn the row maximum into 0 * inf).
    if not (t > 0 and math.isfinite(t) and math.isfinite(1.0 / t)):
        raise ValueError(f"temperature: expected a finite number > 0, got {value!r}")
    return t


def _class_targets(targets, out_shape, name: str = "targets") -> np.ndarray:
    t = check.as_array(targets, name, "class indices")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class indices, got dtype {t.dtype}")
    if t.shape != out_shape:
        raise ValueError(
            f"{name}: expected shape {out_shape} (logits without the reduced axis), "
            f"got {t.shape}"
        )
    if t.dtype == np.uint64 and t.size and t.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: an index exceeds the int64 range")
    return np.ascontiguousarray(t.reshape(-1), dtype=np.int64)


def _ignore_index(value) -> int:
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(
            f"ignore_index: expected an integer, got {type(value).__name__}"
        ) from None
    if not _INT64.min <= v <= _INT64.max:
        raise ValueError(f"ignore_index: expected an int64 value, got {v}")
    return v


_INT64 = np.iinfo(np.int64)


def _row_stats(logits, targets, *, top_k, axis, temperature, ignore_index, dtype, nan_policy):
    rows, fmt, out_shape = _rows(logits, axis, dtype, "logits")
    ids = None if targets is None else _class_targets(targets, out_shape)
    if top_k is not None:
        top_k = check.positive_int(top_k, "top_k", high=rows.shape[1])
    res = _core.logit_stats(
        rows,
        fmt,
        ids,
        ignore_index=_ignore_index(ignore_index),
        temperature=_temperature(temperature),
        top_k=top_k,
        nan_policy=_nan_policy(nan_policy),
    )
    return {k: v.reshape(out_shape) for k, v in res.items()}


def entropy(logits, *, axis=-1, temperature=1.0, base=None, dtype=None, nan_policy="raise"):
    r"""Shannon entropy of the softmax of each row of logits.

    .. math:: H = -\sum_i p_i \ln p_i, \qquad p = \mathrm{softmax}(x / T)

    computed as :math:`\ln S_0 - S_1 / S_0` with :math:`S_j = \sum_i e^{y_i} y_i^j`,
    :math:`y = (x - \max x) / T`: one streaming pass, no probability array.

    Parameters
    ----------
    logits : array_like
        Logits of any shape; float64, float32, float16 or bfloat16.
    axis : int, optional
        The vocabulary axis (default the last).
    temperature : float, optional
        Softmax temperature T > 0.
    base : float, optional
        Logarithm base of the result (default e: nats).
    dtype : {None, "bfloat16", "float16"}, optional
        Reads a uint16 array as the bit patterns of that format.
    nan_policy : {"raise", "propagate"}, optional
        A row with NaN or +inf raises ``ValueError`` naming the row, or gives NaN.

    Returns
    -------
    ndarray
        float64, of ``logits.shape`` without ``axis``.

    Examples
    --------
    >>> import numpy as np
    >>> from entrostat import logits
    >>> float(logits.entropy(np.zeros(4)))  # uniform over 4: ln 4
    1.3862943611198906
    """
    res = _row_stats(
        logits, None, top_k=None, axis=axis, temperature=temperature, ignore_index=-100,
        dtype=dtype, nan_policy=nan_policy,
    )
    return res["entropy"] / check.log_base(base)


def varentropy(logits, *, axis=-1, temperature=1.0, base=None, dtype=None, nan_policy="raise"):
    r"""Varentropy: the variance of the surprisal :math:`-\ln p` under :math:`p`.

    .. math:: V = \sum_i p_i (\ln p_i + H)^2 = S_2 / S_0 - (S_1 / S_0)^2

    Zero for uniform rows; large where the model splits its mass between a few confident
    and many unlikely tokens (entropy- and varentropy-guided decoding). Arguments as
    :func:`entropy`; with ``base=b`` the result is in squared base-b units.
    """
    res = _row_stats(
        logits, None, top_k=None, axis=axis, temperature=temperature, ignore_index=-100,
        dtype=dtype, nan_policy=nan_policy,
    )
    return res["varentropy"] / check.log_base(base) ** 2


def _reduce(values: np.ndarray, counted: np.ndarray | None, reduction: str):
    if reduction == "none":
        return values
    if reduction == "sum":
        return float(values.sum())
    n = values.size if counted is None else int(counted.sum())
    # As torch: the mean over the counted targets, NaN when every target is ignored.
    return float(values.sum() / n) if n else math.nan


def cross_entropy(
    logits,
    targets,
    *,
    axis=-1,
    ignore_index=-100,
    reduction="none",
    temperature=1.0,
    base=None,
    dtype=None,
    nan_policy="raise",
):
    r"""Cross-entropy of targets under the softmax of each row of logits.

    With class indices :math:`t`: :math:`-\ln p_t = \mathrm{logsumexp}(x/T) - x_t/T`.
    With soft targets :math:`q` (a float array shaped like ``logits``):
    :math:`-\sum_i q_i \ln p_i`, terms with :math:`q_i = 0` being 0 even on masked
    (``-inf``) logits; :math:`q` is not renormalised (as ``torch.nn.functional.
    cross_entropy``). With soft targets that sum to one,
    :math:`CE(q, p) = H(q) + D_{KL}(q \| p)`.

    Parameters
    ----------
    logits : array_like
        Logits; see :func:`entropy`.
    targets : array_like
        Integer class indices of shape ``logits.shape`` without ``axis``, or float
        probabilities of the shape of ``logits``.
    ignore_index : int, optional
        Class-index targets equal to it count 0 and are left out of the mean (-100, as
        torch).
    reduction : {"none", "mean", "sum"}, optional
        Per-token values, their mean over counted targets (NaN if none), or their sum.
    axis, temperature, base, dtype, nan_policy
        As :func:`entropy`.

    Returns
    -------
    ndarray or float
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction: expected 'none', 'mean' or 'sum', got {reduction!r}")
    t = check.as_array(targets, "targets", "targets")
    scale = check.log_base(base)
    if t.dtype.kind == "f" or t.dtype.name == "bfloat16":
        rows, fmt, out_shape = _rows(logits, axis, dtype, "logits")
        if t.shape != np.shape(logits):
            raise ValueError(
                f"targets: soft targets must have the shape of logits {np.shape(logits)}, "
                f"got {t.shape}"
            )
        if t.dtype.name not in ("float32", "float64"):
            t = t.astype(np.float32 if t.dtype.itemsize <= 4 else np.float64)
        q = check.native_aligned(np.moveaxis(t, axis, -1))
        values = _core.soft_cross_entropy(
            rows, fmt, q, temperature=_temperature(temperature),
            nan_policy=_nan_policy(nan_policy),
        ).reshape(out_shape) / scale
        return _reduce(values, None, reduction)
    res = _row_stats(
        logits, t, top_k=None, axis=axis, temperature=temperature, ignore_index=ignore_index,
        dtype=dtype, nan_policy=nan_policy,
    )
    return _reduce(res["nll"] / scale, t != ignore_index, reduction)


def stats(
    logits,
    targets=None,
    *,
    top_k=None,
    axis=-1,
    temperature=1.0,
    ignore_index=-100,
    base=None,
    dtype=None,
    nan_policy="raise",
) -> dict[str, np.ndarray]:
    r"""Per-row softmax statistics in one pass.

    Returns
    -------
    dict of ndarray
        Each of ``logits.shape`` without ``axis``:

        - ``"entropy"``, ``"varentropy"``: as :func:`entropy`, :func:`varentropy`;
        - ``"logsumexp"``: :math:`\ln \sum_i e^{x_i / T}` (natural log whatever ``base``);
        - ``"max_prob"``: the largest probability;
        - with integer ``targets``: ``"nll"`` (:math:`-\ln p_t`, 0 where ignored) and
          ``"rank"`` (int64: 1 + the number of logits strictly above the target's, so 1
          is the model's top choice; 0 where ignored);
        - with ``top_k=k``: ``"top_k_mass"``, the sum of the k largest probabilities.

    Other parameters as :func:`cross_entropy`.
    """
    res = _row_stats(
        logits, targets, top_k=top_k, axis=axis, temperature=temperature,
        ignore_index=ignore_index, dtype=dtype, nan_policy=nan_policy,
    )
    scale = check.log_base(base)
    for key in ("entropy", "nll"):
        if key in res:
            res[key] = res[key] / scale
    res["varentropy"] = res["varentropy"] / scale**2
    return res


#: Quantiles reported by :func:`high_entropy_tokens`.
SUMMARY_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


@dataclass(frozen=True)
class HighEntropyTokens:
    """The high-entropy ("forking") tokens of a batch and the entropy distribution.

    Attributes
    ----------
    entropy : ndarray
        Per-token entropy.
    threshold : float
        The ``quantile`` of the entropies.
    mask : ndarray of bool
        ``entropy >= threshold``: the top ``1 - quantile`` share of tokens.
    share : float
        Fraction of tokens in the mask.
    mean, std, median : float
        Of the per-token entropies.
    quantiles : dict
        {q: entropy quantile} for q in ``SUMMARY_QUANTILES``.
    """

    entropy: np.ndarray = field(repr=False)
    threshold: float
    mask: np.ndarray = field(repr=False)
    share: float
    mean: float
    std: float
    median: float
    quantiles: dict


def high_entropy_tokens(
    logits, quantile=0.8, *, axis=-1, temperature=1.0, base=None, dtype=None
) -> HighEntropyTokens:
    """Tokens whose entropy lies in the top ``1 - quantile`` share of the batch.

    Training only on such high-entropy "forking" tokens (the top 20%) is the analysis of
    Wang et al. (2025), "Beyond the 80/20 rule". The threshold is ``np.quantile`` of the
    per-token entropies (linear interpolation).

    Parameters
    ----------
    logits : array_like
        As :func:`entropy`.
    quantile : float, optional
        In [0, 1]; 0.8 marks the top 20%.
    """
    if isinstance(quantile, bool) or not isinstance(quantile, (int, float, np.number)):
        raise TypeError(f"quantile: expected a number in [0, 1], got {type(quantile).__name__}")
    q = float(quantile)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile: expected a number in [0, 1], got {quantile!r}")
    h = entropy(logits, axis=axis, temperature=temperature, base=base, dtype=dtype)
    if h.size == 0:
        raise ValueError("logits: expected at least one token (row), got none")
    threshold = float(np.quantile(h, q))
    mask = h >= threshold
    qs = np.quantile(h, SUMMARY_QUANTILES)
    return HighEntropyTokens(
        entropy=h,
        threshold=threshold,
        mask=mask,
        share=float(mask.mean()),
        mean=float(h.mean()),
        std=float(h.std()),
        median=float(np.median(h)),
        quantiles={p: float(v) for p, v in zip(SUMMARY_QUANTILES, qs, strict=True)},
    )


def rolling_entropy(h, window, *, axis=-1) -> np.ndarray:
    """Mean of per-token entropies over every window of ``window`` consecutive tokens.

    The sliding-window entropy that adaptive decoding and adaptive reasoning methods
    threshold on. Windows are complete ("valid"): the result has ``n - window + 1``
    entries along ``axis``. Computed from float64 cumulative sums of the deviations from
    each row's mean.

    Parameters
    ----------
    h : array_like
        Per-token entropies (e.g. from :func:`entropy`), any float shape.
    window : int
        Window length, 1 <= window <= n.
    """
    arr = check.as_array(h, "h", "entropies")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"h: expected real numbers, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError("h: expected at least 1 dimension, got a scalar")
    axis = check.axis(axis, arr.ndim)
    moved = np.moveaxis(arr.astype(np.float64, copy=False), axis, -1)
    n = moved.shape[-1]
    if n == 0:
        raise ValueError(f"h: expected at least one entry along axis {axis}, got 0")
    w = check.positive_int(window, "window", high=n)
    if moved.size == 0:
        return np.moveaxis(np.empty(moved.shape[:-1] + (n - w + 1,)), -1, axis)
    # The largest |h| of each row; NaN where the row holds NaN, inf where it holds inf.
    top = np.maximum(moved.max(axis=-1, keepdims=True), -moved.min(axis=-1, keepdims=True))
    if not np.isfinite(top).all():
        raise ValueError("h: expected finite values (found NaN or inf)")
    return np.moveaxis(_window_means(moved, w, top), -1, axis)


def _window_means(h: np.ndarray, w: int, top: np.ndarray) -> np.ndarray:
    """Means of every ``w`` consecutive entries along the last axis of finite float64 ``h``
    (not empty; ``top``: each row's largest absolute value).

    Window sums are differences of running sums, taken of the deviations from each row's
    mean: the running sums stay near the spread of the values, so the differences keep
    their digits however large the values' common offset. Rows whose running sums could
    pass the largest float (values near 1e308) are first divided by a power of two of
    their own (exact).
    """
    n = h.shape[-1]
    # Deviations are below 2 top, so running sums below 2 n top: safe under 2^1020.
    exponents = None
    if float(top.max()) * 2 * n >= 2.0**1020:
        exponents = np.frexp(top)[1]
        h = np.ldexp(h, -exponents)
    mean = h.mean(axis=-1, keepdims=True)
    sums = np.empty(h.shape[:-1] + (n + 1,))
    sums[..., 0] = 0.0
    np.cumsum(h - mean, axis=-1, out=sums[..., 1:])
    out = sums[..., w:] - sums[..., :-w]
    out /= w
    out += mean
    if exponents is None:
        return out
    # Rounding can carry a mean past its row's extremes (a largest value of 1 - 2^-53 to
    # 1.0, which 2^1024 would turn into inf): every window mean lies between them.
    np.clip(out, h.min(axis=-1, keepdims=True), h.max(axis=-1, keepdims=True), out=out)
    return np.ldexp(out, exponents)


def attention_entropy(weights, *, axis=-1, base=None, dtype=None) -> np.ndarray:
    r"""Shannon entropy of rows of attention weights.

    .. math:: H = -\sum_i p_i \ln p_i, \qquad p_i = w_i / \sum_j w_j

    Each row is normalised by its sum (float16 attention rows sum to 1 only within
    rounding), with :math:`0 \ln 0 = 0`. float64, float32, float16 and bfloat16 rows.

    Raises
    ------
    ValueError
        For a row with a negative or non-finite entry, or summing to 0.
    """
    rows, fmt, out_shape = _rows(weights, axis, dtype, "weights")
    h = _core.prob_row_entropy(rows, fmt)
    return h.reshape(out_shape) / check.log_base(base)


@dataclass(frozen=True)
class LogprobAdvantageCovariance:
    """Centred covariance between token log-probabilities and advantages.

    Attributes
    ----------
    covariance : float
        Mean of ``per_token`` over the counted tokens (population covariance).
    per_token : ndarray
        :math:`(\\log\\pi_i - \\overline{\\log\\pi})(A_i - \\bar A)`, NaN where not counted.
    top_indices : ndarray
        Flat indices (``np.unravel_index`` gives positions) of the counted tokens with the
        largest ``per_token``, largest first; equal products in order of position.
    n : int
        Number of counted tokens.
    """

    covariance: float
    per_token: np.ndarray = field(repr=False)
    top_indices: np.ndarray
    n: int


def _reals(a, name: str, kinds: str = "fiu") -> np.ndarray:
    """``a`` as float64: real numbers (float, integer; bool where ``kinds`` has "b")."""
    arr = check.as_array(a, name, "real numbers")
    if arr.dtype.kind not in kinds:
        raise TypeError(f"{name}: expected real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64, copy=False)


#: Entries per block in :func:`_largest`.
_TOP_BLOCK = 1024


def _largest(flat: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest entries of ``flat``, largest first, ties by index;
    NaN entries are never chosen (at least ``k`` entries are numbers).

    ``np.argpartition`` costs about 8 ns an entry for any ``k``. Here the largest entry of
    each block of ``_TOP_BLOCK`` comes first (a NaN-skipping reduction, ~1 ns an entry):
    the k largest entries lie in the blocks whose largest entry is at least the k-th
    largest of the block maxima (k distinct entries reach it), so only those blocks are
    sorted.
    """
    if k == 0:
        return np.empty(0, dtype=np.intp)
    n_blocks = flat.size // _TOP_BLOCK
    if n_blocks > 4 * k:
        body = flat[: n_blocks * _TOP_BLOCK].reshape(n_blocks, _TOP_BLOCK)
        maxima = np.fmax.reduce(body, axis=1)  # NaN only for a block of NaN
        maxima[np.isnan(maxima)] = -np.inf
        kth = np.partition(maxima, n_blocks - k)[n_blocks - k]
        blocks = np.flatnonzero(maxima >= kth)
        cand = (blocks[:, None] * _TOP_BLOCK + np.arange(_TOP_BLOCK)).reshape(-1)
        cand = np.concatenate([cand, np.arange(n_blocks * _TOP_BLOCK, flat.size)])
    else:
        cand = np.arange(flat.size)
    values = flat[cand]
    keep = ~np.isnan(values)
    cand, values = cand[keep], values[keep]
    return cand[np.lexsort((cand, -values))[:k]]


def _mean_over(mask: np.ndarray | None, n: int, gather: bool):
    """The mean over the ``n`` counted tokens of an array, summed in C order: of every
    entry (no mask); with a mask, a dot product with the mask as 0/1 weights (gathering
    the counted tokens costs 3.5 ns a token, more than the rest of the work), or, where an
    uncounted token is not finite (a -inf of padding, and inf * 0 is NaN), ``gather``:
    the mean of the gathered tokens."""
    if mask is None:
        return lambda a: float(a.reshape(-1).mean())
    if gather:
        return lambda a: float(a[mask].mean())
    weights = mask.reshape(-1).astype(np.float64)
    return lambda a: float(a.reshape(-1) @ weights) / n


def logprob_advantage_covariance(
    logprobs, advantages, *, mask=None, top=10
) -> LogprobAdvantageCovariance:
    r"""Per-token centred covariance of log-probability and advantage.

    Under policy-gradient training with softmax policies the change of policy entropy is
    driven by :math:`-\mathrm{Cov}(\log \pi(a|s), A(s, a))` (Cui et al., 2025, "The
    Entropy Mechanism of Reinforcement Learning for Reasoning Language Models"); the few
    tokens of largest centred product drive entropy collapse (their Clip-Cov and KL-Cov
    remedies act on them).

    Parameters
    ----------
    logprobs, advantages : array_like
        Same shape, real.
    mask : array_like of bool, optional
        Which tokens count (e.g. the response tokens); all by default.
    top : int, optional
        How many of the largest per-token covariances to index.
    """
    lp = _reals(logprobs, "logprobs")
    adv = _reals(advantages, "advantages", "fiub")  # binary rewards as bool are 0 and 1
    if lp.shape != adv.shape:
        raise ValueError(
            f"advantages: expected the shape of logprobs {lp.shape}, got {adv.shape}"
        )
    if mask is None:
        m = None
        n = lp.size
    else:
        m = check.as_array(mask, "mask", "bool values")
        if m.dtype != bool:
            raise TypeError(f"mask: expected a boolean array, got dtype {m.dtype}")
        if m.shape != lp.shape:
            raise ValueError(f"mask: expected the shape of logprobs {lp.shape}, got {m.shape}")
        n = int(np.count_nonzero(m))
    if n == 0:
        raise ValueError("mask: expected at least one counted token, got none")
    top = check.positive_int(top, "top", low=0)
    finite = np.isfinite(lp) & np.isfinite(adv)
    everywhere = bool(finite.all())
    if not everywhere and (m is None or bool(np.any(m & ~finite))):
        raise ValueError("logprobs, advantages: expected finite values on counted tokens")
    mean = _mean_over(m, n, gather=not everywhere)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, as one error
        centred = lp - mean(lp)
        centred *= adv - mean(adv)
        covariance = mean(centred)
    per_token = centred if m is None else np.where(m, centred, np.nan)
    if not math.isfinite(covariance):
        raise ValueError("logprobs, advantages: the centred products overflow float64 "
                         "(values near 1e308)")
    top_indices = _largest(per_token.reshape(-1), min(top, n))
    return LogprobAdvantageCovariance(
        covariance=covariance,
        per_token=per_token,
        top_indices=top_indices,
        n=n,
    )


def linear_cross_entropy(
    hidden, weight, targets=None, *, chunk=4096, ignore_index=-100, base=None
) -> dict[str, np.ndarray]:
    r"""Cross-entropy and entropy of ``hidden @ weight.T`` without materialising it.

    The logits of each token (hidden [N, D] times weight [V, D] transposed) are produced
    ``chunk`` vocabulary entries at a time in small tiles (parallel over blocks of
    tokens, matrix products by the ``gemm`` crate) and folded into running shifted sums
    (an online log-sum-exp), so the extra memory is about threads x 256 x chunk values,
    never N x V.

    Parameters
    ----------
    hidden : array_like
        [N, D], float32 or float64.
    weight : array_like
        [V, D], the same dtype.
    targets : array_like of int, optional
        [N] class indices; ``ignore_index`` entries give 0.
    chunk : int, optional
        Vocabulary entries per tile.

    Returns
    -------
    dict of ndarray
        ``"entropy"``, ``"varentropy"``, ``"logsumexp"`` and, with targets,
        ``"cross_entropy"``, each of shape [N].
    """
    h = check.as_array(hidden, "hidden", "floating-point values")
    w = check.as_array(weight, "weight", "floating-point values")
    for name, a in (("hidden", h), ("weight", w)):
        if a.ndim != 2:
            raise ValueError(f"{name}: expected a 2-D array, got {a.ndim} dimension(s)")
        if a.dtype.name not in ("float32", "float64"):
            raise TypeError(f"{name}: expected float32 or float64, got dtype {a.dtype}")
    h, w = check.native_aligned(h), check.native_aligned(w)
    if h.dtype != w.dtype:
        raise TypeError(f"weight: expected the dtype of hidden ({h.dtype}), got {w.dtype}")
    if h.shape[1] != w.shape[1]:
        raise ValueError(
            f"weight: expected shape (V, {h.shape[1]}) to match hidden's columns, got {w.shape}"
        )
    ids = None if targets is None else _class_targets(targets, (h.shape[0],))
    # Wider than the vocabulary is the whole vocabulary at once.
    chunk = min(check.positive_int(chunk, "chunk"), max(w.shape[0], 1))
    res = _core.linear_cross_entropy(
        h, w, ids, ignore_index=_ignore_index(ignore_index), chunk=chunk
    )
    scale = check.log_base(base)
    out = {
        "entropy": res["entropy"] / scale,
        "varentropy": res["varentropy"] / scale**2,
        "logsumexp": res["logsumexp"],
    }
    if ids is not None:
        out["cross_entropy"] = res["nll"] / scale
    return out


#: (exponent bits, mantissa bits) of each format; the sign is one bit.
FLOAT_FIELDS = {"bfloat16": (8, 7), "float16": (5, 10), "float32": (8, 23)}
_BIT_STORAGE = {"bfloat16": np.uint16, "float16": np.uint16, "float32": np.uint32}


@dataclass(frozen=True)
class FloatEntropy:
    """Empirical entropies (bits per value) of the fields of a float tensor.

    Attributes
    ----------
    fmt : str
        "bfloat16", "float16" or "float32".
    n : int
        Number of values.
    sign_bits, exponent_bits, mantissa_bits : int
        Field widths of the format.
    sign_entropy, exponent_entropy, mantissa_entropy : float
        Plug-in entropy of each field's values.
    value_entropy : float
        Plug-in entropy of the whole bit patterns: the order-0 lossless limit.
    exponent_coded_bits : float
        ``sign_bits + exponent_entropy + mantissa_bits``: bits per value when only the
        exponent is entropy-coded (the basis of lossless float compressors).
    """

    fmt: str
    n: int
    sign_bits: int
    exponent_bits: int
    mantissa_bits: int
    sign_entropy: float
    exponent_entropy: float
    mantissa_entropy: float
    value_entropy: float

    @property
    def total_bits(self) -> int:
        """Storage width of one value."""
        return self.sign_bits + self.exponent_bits + self.mantissa_bits

    @property
    def exponent_coded_bits(self) -> float:
        return self.sign_bits + self.exponent_entropy + self.mantissa_bits

    @property
    def exponent_compression_ratio(self) -> float:
        """``total_bits / exponent_coded_bits``."""
        return self.total_bits / self.exponent_coded_bits

    @property
    def value_compression_ratio(self) -> float:
        """``total_bits / value_entropy`` (inf for a constant tensor)."""
        return self.total_bits / self.value_entropy if self.value_entropy else math.inf


def float_entropy(x, fmt=None) -> FloatEntropy:
    """Entropies of the sign, exponent and mantissa fields of floating-point values.

    Counts the values' bit patterns once (a dense table for 16-bit formats) and derives
    every field's histogram from it, so a user sees how far a tensor is from its
    lossless-compression limit: BF16 weights store 8 exponent bits that carry far fewer
    bits of information.

    Parameters
    ----------
    x : array_like
        float16, float32 or ``ml_dtypes.bfloat16`` values of any shape, or their bit
        patterns (uint16 / uint32) with ``fmt`` naming the format.
    fmt : {None, "bfloat16", "float16", "float32"}, optional
        The format; inferred from the dtype when None.

    Returns
    -------
    FloatEntropy
    """
    arr = check.as_array(x, "x", "floating-point values")
    name = arr.dtype.name
    if fmt is None:
        if name not in FLOAT_FIELDS:
            raise TypeError(
                f"x: expected bfloat16, float16 or float32 values (or their bit patterns "
                f"with fmt=), got dtype {arr.dtype}"
            )
        fmt = name
    if not isinstance(fmt, str) or fmt not in FLOAT_FIELDS:
        raise ValueError(f"fmt: expected 'bfloat16', 'float16' or 'float32', got {fmt!r}")
    storage = _BIT_STORAGE[fmt]
    if name == fmt:
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        arr = arr.view(storage)
    elif arr.dtype.newbyteorder("=") != storage:  # bit patterns of either byte order
        raise TypeError(
            f"x: format {fmt} takes {fmt} values or {np.dtype(storage).name} bit patterns, "
            f"got dtype {arr.dtype}"
        )
    if arr.size == 0:
        raise ValueError("x: expected at least one value, got an empty array")
    # Bit patterns: the order of the values does not matter, so any layout flattens as a
    # view where NumPy can (ravel order "K").
    bits = check.native_aligned(arr).ravel(order="K")
    n, sign, exponent, mantissa, value = _core.float_field_entropy(bits, fmt)
    e_bits, m_bits = FLOAT_FIELDS[fmt]
    return FloatEntropy(
        fmt=fmt,
        n=n,
        sign_bits=1,
        exponent_bits=e_bits,
        mantissa_bits=m_bits,
        sign_entropy=sign,
        exponent_entropy=exponent,
        mantissa_entropy=mantissa,
        value_entropy=value,
    )
