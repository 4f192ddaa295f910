"""``entrostat divergence P Q`` and ``entrostat mi X Y``: numbers equal the Python API's,
whatever the format and chunking, and bad input exits 2 with one line."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import assert_cli_error as assert_error
from conftest import run_cli as run
from conftest import run_cli_json as run_json

import entrostat as es
from entrostat import _cli_io, _cli_pairs

N = 4000


def write_text(path, values, header=None):
    lines = ([header] if header else []) + [str(v) for v in np.asarray(values).tolist()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(1)
    x = rng.integers(-30, 70, N)
    y = (x // 3 + rng.integers(0, 9, N)).astype(np.int64)
    return x, y


@pytest.fixture
def files(tmp_path, pair):
    x, y = pair
    np.save(tmp_path / "x.npy", x.astype(np.int32))
    np.save(tmp_path / "y.npy", y)
    (y + 10).astype(np.uint16).tofile(tmp_path / "y10.bin")
    return {
        "x.npy": str(tmp_path / "x.npy"),
        "y.npy": str(tmp_path / "y.npy"),
        "x.txt": write_text(tmp_path / "x.txt", x, header="label"),
        "y.txt": write_text(tmp_path / "y.txt", y),
        "y10.bin": str(tmp_path / "y10.bin"),
        "dir": tmp_path,
    }


# --------------------------------------------------------------------------- mi


@pytest.mark.parametrize("fx, fy", [("x.npy", "y.npy"), ("x.txt", "y.npy"),
                                    ("x.npy", "y.txt"), ("x.txt", "y.txt")])
@pytest.mark.parametrize("chunk", [None, "7", "1000"])
def test_mi_equals_mutual_info(capsys, files, pair, fx, fy, chunk):
    """Two passes, chunked (text chunks end at lines, so the files' chunks differ in
    length), give the numbers of the in-memory functions."""
    x, y = pair
    extra = ["--chunk-size", chunk] if chunk else []
    (row,) = run_json(capsys, "mi", files[fx], files[fy], *extra)
    assert row["n"] == N
    assert row["support_x"] == np.unique(x).size and row["support_y"] == np.unique(y).size
    assert row["support_xy"] == np.unique(np.stack([x, y]), axis=1).shape[1]
    assert row["mutual_info"] == pytest.approx(float(es.mutual_info(x, y)), rel=1e-12)
    assert row["entropy_x"] == pytest.approx(float(es.entropy(x)), rel=1e-12)
    assert row["entropy_y"] == pytest.approx(float(es.entropy(y)), rel=1e-12)
    assert row["joint_entropy"] == pytest.approx(float(es.joint_entropy(x, y)), rel=1e-12)
    assert row["normalized_mutual_info"] == pytest.approx(
        float(es.normalized_mutual_info(x, y)), rel=1e-12)
    assert row["unit"] == "nats" and row["estimator"] == "plugin"


@pytest.mark.parametrize("estimator", ["miller_madow", "grassberger", "chao_shen",
                                       "jackknife", "shrink", "nsb"])
def test_mi_estimators_and_base(capsys, files, pair, estimator):
    x, y = pair
    (row,) = run_json(capsys, "mi", files["x.npy"], files["y.txt"], "-e", estimator,
                      "-b", "2", "--nmi", "max")
    want = es.mutual_info(x, y, estimator=estimator, base=2)
    assert row["mutual_info"] == pytest.approx(float(want), rel=1e-10, abs=1e-12)
    assert row["normalized_mutual_info"] == pytest.approx(
        float(es.normalized_mutual_info(x, y, method="max", estimator=estimator)),
        rel=1e-10, abs=1e-12)
    assert row["unit"] == "bits" and row["nmi_method"] == "max"


@pytest.mark.parametrize("xs, ys", [
    # ranges whose product passes 2^64: the pairs are coded by rank
    ([-(2**62), 2**62, 5, 5, -(2**62)], [0, 2**63 + 7, 2**63 + 7, 3, 0]),
    # int64 extremes with uint64 extremes, one wide range times a range of 1
    ([-(2**63), 2**63 - 1, 0, 0, 1], [2**64 - 1, 2**64 - 1, 2**64 - 1, 2**64 - 1, 2**64 - 1]),
    ([7, 7, 7, 7, 7], [0, 2**64 - 1, 5, 0, 2**64 - 1]),
])
def test_mi_wide_labels_coded_exactly(capsys, tmp_path, xs, ys):
    """Labels near the 64-bit limits: the pair codes stay exact (no float64 on the way),
    in text files whose chunks are parsed as int64 or uint64 each."""
    x = np.array(xs, dtype=np.int64)
    y = np.array(ys, dtype=np.uint64)
    fx = write_text(tmp_path / "x.txt", x)
    fy = write_text(tmp_path / "y.txt", y)
    for extra in ([], ["--chunk-size", "1"]):
        (row,) = run_json(capsys, "mi", fx, fy, *extra)
        assert row["support_xy"] == len(set(zip(xs, ys, strict=True)))
        assert row["mutual_info"] == pytest.approx(float(es.mutual_info(x, y)), abs=1e-15)


def test_mi_constant_labelings(capsys, tmp_path):
    fx = write_text(tmp_path / "x.txt", [3] * 10)
    fy = write_text(tmp_path / "y.txt", [1, 2] * 5)
    (row,) = run_json(capsys, "mi", fx, fy)
    assert row["mutual_info"] == 0.0 and row["normalized_mutual_info"] == 0.0
    (row,) = run_json(capsys, "mi", fx, fx)
    assert row["normalized_mutual_info"] == 1.0


def test_mi_raw_bin_and_table(capsys, files, pair):
    x, y = pair
    rc, out, err = run(capsys, "mi", files["x.npy"], files["y10.bin"], "--dtype", "uint16")
    assert rc == 0, err
    head, body = out.splitlines()
    assert head.split()[:3] == ["x", "y", "n"]
    assert "mutual_info [nats]" in head and "normalized_mutual_info [" not in head
    assert f"{float(es.mutual_info(x, y + 10)):.6f}" in body


def test_mi_errors(capsys, files, tmp_path):
    short = tmp_path / "short.npy"
    np.save(short, np.arange(5))
    assert_error(*run(capsys, "mi", files["x.npy"], str(short)), "4000 labels", "5",
                 "equal lengths")
    short_txt = write_text(tmp_path / "short.txt", [1, 2, 3])
    assert_error(*run(capsys, "mi", files["x.npy"], short_txt), "4000 labels", "3 labels")
    assert_error(*run(capsys, "mi", files["x.npy"], str(tmp_path / "nope.npy")),
                 "nope.npy: no such file")
    floats = tmp_path / "f.npy"
    np.save(floats, np.ones(N))
    assert_error(*run(capsys, "mi", files["x.npy"], str(floats)), "float data")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    assert_error(*run(capsys, "mi", str(empty), files["y.txt"]), "empty.txt: no labels")
    assert_error(*run(capsys, "mi", files["x.npy"], files["y.npy"], "-e", "bogus"),
                 "estimator")
    assert_error(*run(capsys, "mi", files["x.npy"]), "Y")


# --------------------------------------------------------------------------- divergence


def test_divergence_labels_default_kl_js(capsys, files, pair):
    x, y = pair
    rows = run_json(capsys, "divergence", files["x.txt"], files["y.npy"])
    assert [r["measure"] for r in rows] == ["kl", "js"]
    kl, js = rows
    assert kl["value"] is None  # x holds values y never takes: inf, null in JSON
    assert math.isinf(float(es.kl_divergence_labels(x, y)))
    assert js["value"] == pytest.approx(float(es.js_divergence_labels(x, y)), rel=1e-12)
    assert kl["n_p"] == kl["n_q"] == N
    assert kl["support"] == np.union1d(x, y).size


@pytest.mark.parametrize("chunk", [None, "13"])
def test_divergence_labels_every_measure(capsys, files, pair, chunk):
    x, y = pair
    extra = ["--chunk-size", chunk] if chunk else []
    measures = "kl,js,js_distance,cross_entropy,renyi,cs,hellinger,tv"
    rows = run_json(capsys, "divergence", files["x.npy"], files["y.txt"], "-m", measures,
                    "--alpha", "0.5", "--pseudocount", "0.5", "-b", "2", *extra)
    assert [r["measure"] for r in rows] == measures.split(",")
    union = np.union1d(x, y)
    p = np.array([np.sum(x == v) for v in union]) + 0.5
    q = np.array([np.sum(y == v) for v in union]) + 0.5
    want = {
        "kl": es.kl_divergence(p, q, base=2), "js": es.js_divergence(p, q, base=2),
        "js_distance": es.js_distance(p, q, base=2),
        "cross_entropy": es.cross_entropy(p, q, base=2),
        "renyi": es.renyi_divergence(p, q, 0.5, base=2),
        "cs": es.cs_divergence(p, q, base=2), "hellinger": es.hellinger(p, q),
        "tv": es.total_variation(p, q),
    }
    for r in rows:
        assert r["value"] == pytest.approx(float(want[r["measure"]]), rel=1e-12)
        assert r["unit"] == (None if r["measure"] in ("hellinger", "tv") else "bits")
        assert r["alpha"] == (0.5 if r["measure"] == "renyi" else None)
        assert r["pseudocount"] == 0.5
    assert float(want["kl"]) == pytest.approx(
        float(es.kl_divergence_labels(x, y, pseudocount=0.5, base=2)), rel=1e-12)


def test_divergence_zhang_grabchak(capsys, files, pair):
    x, y = pair
    (row,) = run_json(capsys, "divergence", files["y.npy"], files["x.npy"], "-m", "kl",
                      "-e", "zhang_grabchak")
    want = es.kl_divergence_labels(y, x, estimator="zhang_grabchak")
    assert np.isfinite(want)
    assert row["value"] == pytest.approx(float(want), rel=1e-12)
    assert row["estimator"] == "zhang_grabchak"


def test_divergence_raw_bin(capsys, files, pair):
    x, y = pair
    (row,) = run_json(capsys, "divergence", files["y10.bin"], files["y.npy"], "-m", "tv",
                      "--dtype", "uint16")
    assert row["value"] == pytest.approx(float(es.total_variation(
        *(np.bincount(v - x.min() + 10, minlength=200) for v in (y + 10, y)))), rel=1e-12)


def test_divergence_dist(capsys, tmp_path):
    p = np.array([0.5, 0.25, 0.25, 0.0])
    q = np.array([2, 1, 3, 2])  # counts: normalised
    np.save(tmp_path / "p.npy", p)
    fq = write_text(tmp_path / "q.csv", q, header="count")
    rows = run_json(capsys, "divergence", str(tmp_path / "p.npy"), fq, "--input", "dist",
                    "-m", "kl,cross_entropy,renyi,tv", "--alpha", "2")
    qn = q / q.sum()
    kl = sum(pi * math.log(pi / qi) for pi, qi in zip(p, qn, strict=True) if pi > 0)
    got = {r["measure"]: r["value"] for r in rows}
    assert got["kl"] == pytest.approx(kl, rel=1e-12)
    assert got["cross_entropy"] == pytest.approx(
        -sum(pi * math.log(qi) for pi, qi in zip(p, qn, strict=True) if pi > 0), rel=1e-12)
    assert got["renyi"] == pytest.approx(math.log(np.sum(p**2 / qn)), rel=1e-12)
    assert got["tv"] == pytest.approx(0.5 * np.abs(p - qn).sum(), rel=1e-12)
    assert all(r["bins"] == 4 for r in rows)


def test_divergence_formats(capsys, files):
    args = ("divergence", files["x.npy"], files["y.npy"], "-m", "js,tv")
    rc, out, err = run(capsys, *args, "-f", "csv")
    assert rc == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["measure"] for r in rows] == ["js", "tv"]
    assert rows[1]["unit"] == "" and rows[1]["alpha"] == ""
    rc, out, err = run(capsys, *args, "-f", "markdown")
    assert rc == 0 and out.startswith("<!-- input labels, estimator plugin")
    assert out.splitlines()[1].startswith("| p | q | measure |")
    rc, out, err = run(capsys, *args)
    lines = out.splitlines()
    assert lines[0].split() == ["p", "q", "measure", "n_p", "n_q", "support", "value", "unit"]
    assert lines[2].split()[-1] == "-"  # tv has no unit
    out_file = files["dir"] / "div.json"
    rc, out, err = run(capsys, *args, "-f", "json", "-o", out_file)
    assert rc == 0 and out == ""
    assert [r["measure"] for r in json.loads(out_file.read_text())] == ["js", "tv"]


def test_divergence_errors(capsys, files, tmp_path):
    fx, fy = files["x.npy"], files["y.npy"]
    assert_error(*run(capsys, "divergence", fx, fy, "-m", "renyi"), "--alpha")
    assert_error(*run(capsys, "divergence", fx, fy, "-m", "renyi", "--alpha", "1"),
                 "other than 1")
    assert_error(*run(capsys, "divergence", fx, fy, "-m", "kl,bogus"), "bogus", "hellinger")
    assert_error(*run(capsys, "divergence", fx, fy, "-e", "zhang_grabchak"),
                 "kl only", "kl,js")
    assert_error(*run(capsys, "divergence", fx, fy, "-m", "kl", "-e", "zhang_grabchak",
                      "--pseudocount", "1"), "--pseudocount")
    assert_error(*run(capsys, "divergence", fx, fy, "--pseudocount", "-1"), "pseudocount")
    assert_error(*run(capsys, "divergence", fx, fy, "--pseudocount", "nan"), "pseudocount")
    floats = tmp_path / "w.npy"
    np.save(floats, np.array([0.2, 0.8]))
    assert_error(*run(capsys, "divergence", str(floats), fy), "float data", "--input dist")
    # --input dist
    three = tmp_path / "three.npy"
    np.save(three, np.ones(3))
    for name, values, frag in [
        ("neg.npy", np.array([0.5, -0.1, 0.6]), "-0.1 at index 1"),
        ("nan.npy", np.array([0.5, np.nan, 0.5]), "nan at index 1"),
        ("zero.npy", np.zeros(3), "all weights are 0"),
        ("two.npy", np.ones((2, 3)), "1-D"),
        ("bool.npy", np.ones(3, dtype=bool), "real dtype"),
        ("short.npy", np.ones(2), "2 weights"),
    ]:
        np.save(tmp_path / name, values)
        assert_error(*run(capsys, "divergence", tmp_path / name, three, "--input", "dist"),
                     name, frag)
    bad_txt = tmp_path / "bad.txt"
    bad_txt.write_text("p\n0.5\nx\n")
    assert_error(*run(capsys, "divergence", bad_txt, three, "--input", "dist"), "bad.txt:3",
                 "one number per line")
    assert_error(*run(capsys, "divergence", str(floats), str(floats), "--input", "dist",
                      "--pseudocount", "1"), "--input labels")
    assert_error(*run(capsys, "divergence", floats, floats, "--input", "dist", "--dtype",
                      "uint8"), "--dtype applies to --input labels")
    assert_error(*run(capsys, "divergence", floats, floats, "--input", "dist", "-e",
                      "zhang_grabchak", "-m", "kl"), "--estimator applies")
    assert_error(*run(capsys, "divergence", fx, str(tmp_path / "none.npy")), "no such file")
    raw = tmp_path / "raw.dat"
    raw.write_bytes(b"\x00\x01\x02")
    assert_error(*run(capsys, "divergence", str(raw), str(floats), "--input", "dist"),
                 "binary data")


# --------------------------------------------------------------------------- progress, subprocess


@pytest.mark.parametrize("command, passes", [("mi", 2), ("divergence", 1)])
def test_progress_counts_every_pass(capsys, files, monkeypatch, command, passes):
    monkeypatch.setattr(_cli_io, "PROGRESS_MIN_BYTES", 0)
    bars = []

    class Spy(_cli_io.Progress):
        def __init__(self, label, total, enabled, stream=None):
            super().__init__(label, total, enabled, stream)
            self.seen = []
            bars.append(self)

        def update(self, done):
            self.seen.append(done)
            super().update(done)

    monkeypatch.setattr(_cli_pairs, "Progress", Spy)
    fx, fy = files["x.npy"], files["y.txt"]
    run_json(capsys, command, fx, fy, "--chunk-size", "500")
    (bar,) = bars
    assert bar.enabled
    assert bar.total == passes * (os.path.getsize(fx) + os.path.getsize(fy))
    assert bar.seen == sorted(bar.seen)
    assert 0.95 * bar.total < bar.seen[-1] <= bar.total  # .npy headers are not counted
    run_json(capsys, command, fx, fy, "--no-progress")
    assert not bars[-1].enabled


def test_subprocess(files):
    def entrostat(*argv):
        return subprocess.run([sys.executable, "-m", "entrostat", *map(str, argv)],
                              capture_output=True, text=True, timeout=60)

    proc = entrostat("mi", files["x.npy"], files["y.npy"], "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["n"] == N
    proc = entrostat("divergence", files["x.npy"], files["dir"] / "missing.npy")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().endswith("missing.npy: no such file")
    assert len(proc.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- edge cases


def test_text_named_file_stays_text_with_dtype(capsys, tmp_path):
    """--dtype reads non-.npy files as raw binary, but not files named .txt / .csv / .tsv:
    a text file beside a raw shard is read as text."""
    txt = write_text(tmp_path / "l4.txt", [1, 2, 3, 4])
    shard = tmp_path / "t4.bin"
    np.array([1, 2, 3, 4], dtype=np.uint16).tofile(shard)
    kl, _ = run_json(capsys, "divergence", txt, shard, "--dtype", "uint16")
    assert kl["value"] == 0.0 and kl["support"] == 4
    (row,) = run_json(capsys, "mi", txt, shard, "--dtype", "uint16")
    assert row["mutual_info"] == pytest.approx(math.log(4), rel=1e-12)
    (row,) = run_json(capsys, "entropy", txt, "--dtype", "uint16")
    assert row["n"] == 4


def test_renyi_of_order_inf(capsys, tmp_path):
    p, q = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    (row,) = run_json(capsys, "divergence", tmp_path / "p.npy", tmp_path / "q.npy",
                      "--input", "dist", "-m", "renyi", "--alpha", "inf")
    assert row["value"] == pytest.approx(math.log(2.5), rel=1e-12)  # log max p/q
    assert row["value"] == pytest.approx(float(es.renyi_divergence(p, q, np.inf)), rel=1e-15)


def test_weights_near_the_largest_float_and_quoted_header(capsys, tmp_path):
    big = tmp_path / "big.txt"
    big.write_text('"weight"\n1e308\n1e308\n')
    q = write_text(tmp_path / "q.txt", [0.2, 0.8])
    (row,) = run_json(capsys, "divergence", big, q, "--input", "dist", "-m", "kl")
    assert row["value"] == pytest.approx(float(es.kl_divergence([0.5, 0.5], [0.2, 0.8])),
                                         rel=1e-12)


def test_npy_header_promising_more_than_the_file(capsys, tmp_path):
    path = tmp_path / "lying.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
        f.write(np.ones(4).tobytes())
    q = write_text(tmp_path / "q.txt", [0.2, 0.8])
    assert_error(*run(capsys, "divergence", path, q, "--input", "dist"), "lying.npy",
                 "unreadable .npy file")


def test_messages_point_to_the_right_option(capsys, tmp_path, files):
    probs = write_text(tmp_path / "probs.txt", [0.5, 0.5])
    assert_error(*run(capsys, "divergence", probs, probs), "probs.txt:1",
                 "--input dist")
    # a library argument name ("x:") means nothing on the command line
    mixed = tmp_path / "mixed.txt"
    # 64-byte text blocks: 21 lines of "-1" fill the first, the large label is the second
    mixed.write_text("-1\n" * 21 + f"{2**64 - 1}\n")
    x22 = write_text(tmp_path / "x22.txt", range(22))
    rc, out, err = run(capsys, "mi", x22, mixed, "--chunk-size", "2")
    assert_error(rc, out, err, "mixed.txt: a label does not fit")
    assert "x:" not in err
    fx, fy = files["x.npy"], files["y.npy"]
    assert_error(*run(capsys, "divergence", fx, fy, "--alpha", "2"),
                 "--alpha applies to --measure renyi")
    assert_error(*run(capsys, "mi", fx, fy, "--chunk-size", str(2**40)), "at most")


def test_repeated_measure_options_add_up(capsys, files):
    rows = run_json(capsys, "divergence", files["x.npy"], files["y.npy"], "-m", "tv",
                    "-m", "js,tv", "--measure", "hellinger")
    assert [r["measure"] for r in rows] == ["tv", "js", "hellinger"]


def test_pipes(capsys, tmp_path):
    """Label files are read twice (or memory-mapped): a pipe gets a clear error. Weight
    vectors are read whole, so a pipe serves."""
    import threading

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    x4 = write_text(tmp_path / "x4.txt", [1, 2, 3, 4])
    assert_error(*run(capsys, "mi", x4, fifo), "fifo: not a regular file")
    assert_error(*run(capsys, "entropy", fifo), "fifo: not a regular file")

    def feed():
        with open(fifo, "w") as f:
            f.write("0.5\n0.5\n")

    writer = threading.Thread(target=feed)
    writer.start()
    q = write_text(tmp_path / "q.txt", [0.2, 0.8])
    (row,) = run_json(capsys, "divergence", fifo, q, "--input", "dist", "-m", "tv")
    writer.join(timeout=10)
    assert row["value"] == pytest.approx(0.3, rel=1e-12)
