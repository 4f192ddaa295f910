"""``entrostat divergence P Q`` and ``entrostat mi X Y``: statistics of two files.

``divergence`` compares two distributions. By default P and Q are samples of labels
(the formats of ``entrostat entropy``), each counted chunk by chunk with
:class:`entrostat.Counts` and compared over the union of their values; with
``--input dist`` they are two vectors of bin weights (probabilities or counts, one per
bin, .npy or one number per line) of equal length.

``mi`` takes X and Y as the two columns of one sample of pairs ``(x_i, y_i)``: two label
files of equal length. A first pass counts each file; a second counts the pairs, each
coded exactly in one ``uint64`` (mixed radix over the two value ranges, or the ranks of
the values among those seen when the ranges are too wide), so no file is held in memory.
"""

from __future__ import annotations

import argparse
import io
import math
import os
from collections.abc import Callable, Iterator

import numpy as np

from . import _pair_codes, _validate
from ._cli_io import (
    NPY_MAGIC,
    InputError,
    Progress,
    Source,
    add_file_options,
    check_output,
    file_error,
    load_npy,
    one_line,
    open_source,
    parse_float,
    render,
    show_progress,
    skip_header,
    unit_name,
)
from .discrete import _NMI_METHODS, Counts, _nmi_of, _plugin_clip
from .divergence import (
    _label_counts,
    cross_entropy,
    cs_divergence,
    hellinger,
    js_distance,
    js_divergence,
    kl_divergence,
    kl_divergence_labels,
    renyi_divergence,
    total_variation,
)

#: The measures of ``entrostat divergence``: name -> f(p, q, alpha, base).
MEASURES: dict[str, Callable] = {
    "kl": lambda p, q, a, b: kl_divergence(p, q, base=b),
    "js": lambda p, q, a, b: js_divergence(p, q, base=b),
    "js_distance": lambda p, q, a, b: js_distance(p, q, base=b),
    "cross_entropy": lambda p, q, a, b: cross_entropy(p, q, base=b),
    "renyi": lambda p, q, a, b: renyi_divergence(p, q, a, base=b),
    "cs": lambda p, q, a, b: cs_divergence(p, q, base=b),
    "hellinger": lambda p, q, a, b: hellinger(p, q),
    "tv": lambda p, q, a, b: total_variation(p, q),
}
DEFAULT_MEASURES = ("kl", "js")
#: Measures without a logarithm, so without a unit.
UNITLESS = ("hellinger", "tv")
DIV_ESTIMATORS = ("plugin", "zhang_grabchak")


def _measures_arg(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in MEASURES]
    if not names or bad:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated measures from {', '.join(MEASURES)}, got {text!r}"
        )
    return list(dict.fromkeys(names))


def _nonnegative_arg(text: str) -> float:
    v = parse_float(text)
    if not (v >= 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return v


def _alpha_arg(text: str) -> float:
    v = parse_float(text)
    if not v >= 0:  # inf is an order too (the max-log-ratio divergence)
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or inf, got {text!r}")
    if v == 1.0:
        raise argparse.ArgumentTypeError("expected an order other than 1 (use --measure kl)")
    return v


def add_commands(commands) -> None:
    """Register ``divergence`` and ``mi`` on the top-level subparsers."""
    p = commands.add_parser(
        "divergence",
        help="divergences between two distributions (label samples or weight vectors)",
        description=(
            "Divergences of P from Q. By default P and Q are two samples of integer labels, "
            "each counted chunk by chunk (files larger than memory are fine) and compared "
            "over the union of their values; with --input dist they are two vectors of "
            "bin weights (probabilities or counts) of equal length, normalised to sum to 1."
        ),
        epilog=(
            "Measures: kl = KL(P||Q), js = Jensen-Shannon divergence, js_distance = its "
            "square root, cross_entropy = H(P, Q), renyi = Renyi divergence of order "
            "--alpha, cs = Cauchy-Schwarz divergence, hellinger, tv = total variation. "
            "KL and cross-entropy are inf where P has mass and Q has none (give "
            "--pseudocount, or --estimator zhang_grabchak for KL). Label files: as for "
            "'entrostat entropy'. Weight files: .npy (1-D, integer or float) or text, one "
            "number per line. Bad input exits with status 2."
        ),
    )
    p.add_argument("p", metavar="P", help="labels (or weights) of the first distribution")
    p.add_argument("q", metavar="Q", help="labels (or weights) of the second distribution")
    p.add_argument(
        "-m", "--measure", type=_measures_arg, action="extend", default=None,
        metavar="M[,M...]",
        help=f"one or more of {', '.join(MEASURES)}, comma-separated or repeated "
        "(default: kl,js)",
    )
    p.add_argument(
        "--input", choices=("labels", "dist"), default="labels",
        help="labels: P and Q are samples of labels (default); dist: vectors of bin weights",
    )
    p.add_argument(
        "-e", "--estimator", choices=DIV_ESTIMATORS, default="plugin", metavar="E",
        help="labels only: plugin (default), or zhang_grabchak (bias-corrected KL, "
        "always finite; --measure kl only)",
    )
    p.add_argument(
        "--pseudocount", type=_nonnegative_arg, default=0.0, metavar="A",
        help="labels only: added to every count of the union of values (default: 0)",
    )
    p.add_argument(
        "--alpha", type=_alpha_arg, default=None, metavar="A",
        help="order of the Renyi divergence (needed by --measure renyi)",
    )
    add_file_options(p)
    p.set_defaults(run=_cmd_divergence)

    p = commands.add_parser(
        "mi",
        help="mutual information between two label files (pairs by position)",
        description=(
            "Mutual information I(X; Y) = H(X) + H(Y) - H(X, Y) of the pairs (x_i, y_i) "
            "of two label files of equal length, with the entropies and the normalised "
            "mutual information. Counted chunk by chunk in two passes (files larger "
            "than memory are fine); the numbers equal entrostat.mutual_info(x, y)."
        ),
        epilog=(
            "Formats: as for 'entrostat entropy'. Columns: n = pairs, support_x, "
            "support_y, support_xy = distinct values and pairs, entropy_x, entropy_y, "
            "joint_entropy, mutual_info, normalized_mutual_info (I over the --nmi mean of "
            "H(X) and H(Y), as scikit-learn's normalized_mutual_info_score). Bad input "
            "exits with status 2."
        ),
    )
    p.add_argument("x", metavar="X", help="labels of the first variable")
    p.add_argument("y", metavar="Y", help="labels of the second variable, same length")
    p.add_argument(
        "-e", "--estimator", default="plugin", choices=_validate.ESTIMATORS, metavar="E",
        help=f"entropy estimator: {', '.join(_validate.ESTIMATORS)} (default: plugin)",
    )
    p.add_argument(
        "--nmi", default="arithmetic", choices=_NMI_METHODS, metavar="METHOD",
        help=f"mean in the normalised MI: {', '.join(_NMI_METHODS)} (default: arithmetic)",
    )
    add_file_options(p)
    p.set_defaults(run=_cmd_mi)


# --------------------------------------------------------------------------- reading


def _count_all(sources: list[Source], args, progress: Progress) -> list[Counts]:
    """Each file's labels counted chunk by chunk (the first pass over the files)."""
    out, offset = [], 0
    for src in sources:
        counts = Counts()
        try:
            for values, done in src.chunks(args.chunk_size):
                counts.update(values)
                progress.update(offset + done)
        except (ValueError, TypeError) as err:
            raise file_error(src.path, err) from None
        if counts.n == 0:
            raise InputError(f"{src.path}: no labels")
        out.append(counts)
        offset += src.nbytes
    return out


def _progress(sources: list[Source], args, passes: int) -> Progress:
    total = passes * sum(s.nbytes for s in sources)
    return Progress(" + ".join(s.path for s in sources), total, show_progress(args, total))


def _read_weights(path: str) -> np.ndarray:
    """A 1-D vector of bin weights from .npy or text (one number per line), checked.

    Weight vectors hold one number per bin, so the file is read whole (a pipe will do).
    """
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file")
    regular = os.path.isfile(path)  # else a pipe, which can be read once only
    with open(path, "rb") as f:
        data = f.read(len(NPY_MAGIC)) if regular else f.read()
    if data.startswith(NPY_MAGIC):
        w = _npy_weights(path if regular else io.BytesIO(data), path)
    elif path.lower().endswith(".npy"):
        raise InputError(f"{path}: not a .npy file (no NumPy header)")
    else:
        if regular:
            with open(path, "rb") as f:
                data = f.read()
        if b"\x00" in data:
            raise InputError(f"{path}: binary data; weights are read from .npy or text files")
        w = _text_weights(data, path)
    if w.size == 0:
        raise InputError(f"{path}: no weights")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{path}: weight {float(w[i])!r} at index {i}; expected finite "
                         "numbers >= 0")
    if not np.any(w > 0):
        raise InputError(f"{path}: all weights are 0")
    return w


def _npy_weights(source, path: str) -> np.ndarray:
    w = load_npy(source, path)
    if w is None:
        return np.empty(0)
    if w.dtype.kind not in "iuf":
        raise InputError(f"{path}: dtype {w.dtype} is not a real dtype; weights must be "
                         "integers or floats")
    if w.ndim != 1:
        raise InputError(f"{path}: expected a 1-D vector of weights, got shape {w.shape}")
    return np.array(w, dtype=np.float64)


def _text_weights(data: bytes, path: str) -> np.ndarray:
    """One number per line; blank lines, ``#`` comments and one header line skipped (as
    for label files)."""
    body, skipped = skip_header(data)
    values = []
    for line_no, raw in enumerate(body.split(b"\n"), skipped + 1):
        item = raw.split(b"#", 1)[0].strip()
        if not item:
            continue
        try:
            values.append(float(item))
        except ValueError:
            shown = item[:40].decode("utf-8", "replace")
            raise InputError(f"{path}:{line_no}: expected one number per line, got "
                             f"{shown!r}") from None
    return np.array(values, dtype=np.float64)


# --------------------------------------------------------------------------- divergence


def _check_divergence_args(args) -> None:
    args.measure = list(dict.fromkeys(args.measure or DEFAULT_MEASURES))
    if "renyi" in args.measure and args.alpha is None:
        raise InputError("--measure renyi needs --alpha (its order, e.g. --alpha 2)")
    if "renyi" not in args.measure and args.alpha is not None:
        raise InputError("--alpha applies to --measure renyi only")
    if args.input == "dist":
        if args.estimator != "plugin":
            raise InputError("--estimator applies to --input labels only")
        if args.pseudocount != 0:
            raise InputError("--pseudocount applies to --input labels only")
        if args.dtype is not None:
            raise InputError("--dtype applies to --input labels only (weights are read "
                             "from .npy or text)")
    elif args.estimator == "zhang_grabchak":
        others = [m for m in args.measure if m != "kl"]
        if others:
            raise InputError(f"--estimator zhang_grabchak estimates kl only, got --measure "
                             f"{','.join(args.measure)}")
        if args.pseudocount != 0:
            raise InputError("--pseudocount applies to the plugin estimator only")


def _divergence_rows(args, p, q, extra: dict, counts=None) -> list[dict]:
    """One row per measure, of the weights ``p``, ``q`` (or, for the Zhang-Grabchak KL,
    of the label ``counts``)."""
    rows = []
    for m in args.measure:
        if m == "kl" and args.estimator == "zhang_grabchak":
            value = kl_divergence_labels(*counts, estimator="zhang_grabchak", base=args.base)
        else:
            value = MEASURES[m](p, q, args.alpha, args.base)
        rows.append({"p": args.p, "q": args.q, "measure": m, **extra, "value": float(value),
                     "unit": None if m in UNITLESS else unit_name(args.base),
                     "alpha": args.alpha if m == "renyi" else None})
    return rows


def _count_labels(args) -> list[Counts]:
    """P and Q counted; a file of numbers that are no labels gets the hint of --input."""
    try:
        sources = [open_source(path, args.dtype) for path in (args.p, args.q)]
        progress = _progress(sources, args, 1)
        try:
            return _count_all(sources, args, progress)
        finally:
            progress.close()
            for src in sources:
                src.array = None  # release the memory maps
    except InputError as err:
        if "float data" in str(err) or "expected one integer per line" in str(err):
            raise InputError(f"{err} (for vectors of bin weights give --input dist)") from None
        raise


def _cmd_divergence(args) -> str:
    check_output(args.output)
    _check_divergence_args(args)
    if args.input == "dist":
        p, q = _read_weights(args.p), _read_weights(args.q)
        if p.size != q.size:
            raise InputError(f"{args.p} has {p.size} weights, {args.q} has {q.size}; "
                             "expected one weight per bin in both")
        rows = _divergence_rows(args, p, q, {"bins": int(p.size)})
        extra_hidden: tuple[str, ...] = ()
    else:
        cp, cq = _count_labels(args)
        p, q = _label_counts(cp, cq, args.pseudocount)
        extra = {"n_p": cp.n, "n_q": cq.n, "support": int(p.size),
                 "estimator": args.estimator, "pseudocount": args.pseudocount}
        rows = _divergence_rows(args, p, q, extra, counts=(cp, cq))
        extra_hidden = ("estimator", "pseudocount")
    title = f"input {args.input}" + (
        f", estimator {args.estimator}, pseudocount {args.pseudocount:g}"
        if args.input == "labels" else "")
    hidden = ("alpha",) if "renyi" not in args.measure else ()
    return render(rows, args.format, floats=("value",), hidden=hidden + extra_hidden,
                  title=title, text=("p", "q", "measure", "unit"))


# --------------------------------------------------------------------------- mi


def _paired_chunks(sx: Source, sy: Source, chunk: int, dtypes: tuple[np.dtype, np.dtype]
                   ) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
    """Equal-length chunks of the two files side by side, and the bytes read so far.

    Text chunks end at line boundaries, so the two files' chunks differ in length; what
    one file has read beyond the other waits for the next chunk. Each chunk is cast to
    its file's dtype from the first pass (exact: every value is one seen there), so
    joining chunks parsed as int64 and as uint64 never goes through float64.
    """
    iters = [sx.chunks(chunk), sy.chunks(chunk)]
    bufs = [np.empty(0, dtype=dt) for dt in dtypes]
    done = [0, 0]
    ended = [False, False]
    while True:
        for i in (0, 1):
            while not ended[i] and bufs[i].size < chunk:
                nxt = next(iters[i], None)
                if nxt is None:
                    ended[i] = True
                    break
                vals, done[i] = nxt
                bufs[i] = np.concatenate([bufs[i], vals.astype(dtypes[i], copy=False)])
        m = min(bufs[0].size, bufs[1].size)
        if m == 0:
            return
        yield bufs[0][:m], bufs[1][:m], done[0] + done[1]
        bufs = [b[m:] for b in bufs]


def _joint_counts(sx: Source, sy: Source, cx: Counts, cy: Counts, args,
                  progress: Progress) -> Counts:
    """Counts of the pairs, each coded in one uint64 (pass 2)."""
    vx, vy = cx.counts()[0], cy.counts()[0]
    how = _pair_codes.plan(vx, vy)
    if how is None:
        raise InputError(f"{sx.path}, {sy.path}: {vx.size} x {vy.size} distinct values "
                         "give more pairs than 64-bit codes hold")
    joint = Counts()
    offset = sx.nbytes + sy.nbytes  # the first pass
    for x, y, done in _paired_chunks(sx, sy, args.chunk_size, (vx.dtype, vy.dtype)):
        joint.update(_pair_codes.pair_codes(x, y, vx, vy, how))
        progress.update(offset + done)
    return joint


def _unequal(args, nx: int, ny: int) -> InputError:
    return InputError(f"{args.x} has {nx} labels, {args.y} has {ny} labels; expected one "
                      "y per x (equal lengths)")


def _cmd_mi(args) -> str:
    check_output(args.output)
    sx, sy = (open_source(path, args.dtype) for path in (args.x, args.y))
    if sx.array is not None and sy.array is not None and sx.array.size != sy.array.size:
        raise _unequal(args, sx.array.size, sy.array.size)
    progress = _progress([sx, sy], args, 2)
    try:
        cx, cy = _count_all([sx, sy], args, progress)
        if cx.n != cy.n:
            raise _unequal(args, cx.n, cy.n)
        try:
            joint = _joint_counts(sx, sy, cx, cy, args, progress)
        except (ValueError, TypeError) as err:
            raise InputError(f"{args.x}, {args.y}: {one_line(err)}") from None
    finally:
        progress.close()
        sx.array = sy.array = None  # release the memory maps
    return _render_mi(args, cx, cy, joint)


def _render_mi(args, cx: Counts, cy: Counts, joint: Counts) -> str:
    est = args.estimator
    hx, hy, hxy = (float(c.entropy(estimator=est)) for c in (cx, cy, joint))  # nats
    unit = _validate.log_base(args.base)
    mi = _plugin_clip(hx + hy - hxy, est)
    nmi = _nmi_of(hx, hy, hxy, cx.support == 1, cy.support == 1, args.nmi, est)
    row = {"x": args.x, "y": args.y, "n": cx.n, "support_x": cx.support,
           "support_y": cy.support, "support_xy": joint.support, "estimator": est,
           "unit": unit_name(args.base), "entropy_x": hx / unit, "entropy_y": hy / unit,
           "joint_entropy": hxy / unit, "mutual_info": mi / unit,
           "normalized_mutual_info": float(nmi), "nmi_method": args.nmi}
    return render([row], args.format,
                  floats=("entropy_x", "entropy_y", "joint_entropy", "mutual_info",
                          "normalized_mutual_info"),
                  hidden=("estimator", "unit", "nmi_method"), unit=row["unit"],
                  unitless=("normalized_mutual_info",),
                  title=f"estimator {est}, normalised by the {args.nmi} mean",
                  text=("x", "y"))
