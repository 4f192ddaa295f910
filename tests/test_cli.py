"""The ``entrostat`` command line: formats, numbers, chunking and bad input."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from conftest import assert_cli_error as assert_error
from conftest import run_cli as run
from conftest import run_cli_json as run_json

import entrostat as es
from entrostat import _cli_io, cli

N = 3000


@pytest.fixture(scope="module")
def labels():
    rng = np.random.default_rng(0)
    return rng.integers(-20, 180, N).astype(np.int32)


@pytest.fixture
def files(tmp_path, labels):
    npy = tmp_path / "x.npy"
    np.save(npy, labels)
    txt = tmp_path / "x.txt"
    txt.write_text("\n".join(map(str, labels.tolist())) + "\n")
    tokens = (labels + 20).astype(np.uint16)
    binf = tmp_path / "tokens.bin"
    tokens.tofile(binf)
    return {"npy": str(npy), "txt": str(txt), "bin": str(binf), "labels": labels,
            "tokens": tokens, "dir": tmp_path}


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("kind", ["npy", "txt"])
def test_order1_matches_entropy(capsys, files, kind):
    (row,) = run_json(capsys, "entropy", files[kind])
    x = files["labels"]
    assert row["file"] == files[kind]
    assert row["n"] == N
    assert row["support"] == len(np.unique(x))
    assert row["order"] == 1 and row["estimator"] == "plugin" and row["unit"] == "nats"
    assert row["entropy"] == pytest.approx(float(es.entropy(x)), rel=1e-12)
    assert "conditional_entropy" not in row and "stderr" not in row


@pytest.mark.parametrize("order", [1, 3])
def test_total_counts_the_files_as_one_stream(capsys, files, order):
    argv = ("entropy", files["npy"], files["bin"], files["npy"], "--dtype", "uint16", "-k",
            order, "-e", "miller_madow")
    rows = run_json(capsys, *argv, "--total", "--chunk-size", "1000")
    assert [r["file"] for r in rows] == [files["npy"], files["bin"], files["npy"], "(total)"]
    stream = np.concatenate([files["labels"], files["tokens"].astype(np.int64),
                             files["labels"]])
    want = es.NgramCounts(order, stream)
    total = rows[-1]
    assert total["n"] == stream.size and total["support"] == want.support
    assert total["entropy"] == pytest.approx(
        float(want.entropy(estimator="miller_madow")), rel=1e-12)
    if order > 1:
        assert total["conditional_entropy"] == pytest.approx(
            float(want.conditional_entropy(estimator="miller_madow")), rel=1e-12)
    # the per-file rows are those of a run without --total
    assert rows[:-1] == run_json(capsys, *argv)
    rc, out, err = run(capsys, *argv, "--total")
    assert rc == 0, err
    assert out.splitlines()[-1].startswith("(total)")


def test_total_of_files_whose_labels_do_not_fit_together(capsys, tmp_path):
    neg = tmp_path / "neg.txt"
    neg.write_text("-1\n3\n")
    big = tmp_path / "big.txt"
    big.write_text(f"{2**64 - 1}\n")
    rows = run_json(capsys, "entropy", neg, big)  # each file alone is fine
    assert [r["n"] for r in rows] == [2, 1]
    assert_error(*run(capsys, "entropy", neg, big, "--total"), "big.txt: --total:",
                 "does not fit")


def test_raw_bin_with_dtype(capsys, files):
    (row,) = run_json(capsys, "entropy", files["bin"], "--dtype", "uint16", "--base", "2")
    t = files["tokens"]
    assert row["n"] == N
    assert row["unit"] == "bits"
    assert row["entropy"] == pytest.approx(float(es.entropy(t, base=2)), rel=1e-12)


def test_dtype_reads_any_file_as_raw(capsys, files, tmp_path):
    path = tmp_path / "shard.tokens"
    files["labels"].astype(np.int64).tofile(path)
    (row,) = run_json(capsys, "entropy", path, "--dtype", "int64")
    assert row["n"] == N
    assert row["entropy"] == pytest.approx(float(es.entropy(files["labels"])), rel=1e-12)


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("kind", ["npy", "txt", "bin"])
def test_ngram_orders(capsys, files, order, kind):
    extra = ["--dtype", "uint16"] if kind == "bin" else []
    seq = files["tokens"] if kind == "bin" else files["labels"]
    (row,) = run_json(capsys, "entropy", files[kind], "--order", order, *extra)
    assert row["n"] == N
    assert row["order"] == order
    assert row["support"] == es.NgramCounts(order, seq).support
    assert row["entropy"] == pytest.approx(float(es.block_entropy(seq, order)), rel=1e-12)
    assert row["conditional_entropy"] == pytest.approx(
        float(es.conditional_block_entropy(seq, order)), rel=1e-9, abs=1e-12)


def test_nsb_reports_stderr(capsys, files):
    x = files["labels"]
    (row,) = run_json(capsys, "entropy", files["npy"], "-e", "nsb", "-b", "2")
    est = es.entropy(x, estimator="nsb", base=2)
    assert row["entropy"] == pytest.approx(est.value, rel=1e-9)
    assert row["stderr"] == pytest.approx(est.stderr, rel=1e-6)
    (row,) = run_json(capsys, "entropy", files["npy"], "-e", "nsb", "-k", "2")
    est = es.block_entropy(x, 2, estimator="nsb")
    assert row["entropy"] == pytest.approx(est.value, rel=1e-9)
    assert row["stderr"] == pytest.approx(est.stderr, rel=1e-6)
    assert row["conditional_entropy"] == pytest.approx(
        float(es.conditional_block_entropy(x, 2, estimator="nsb")), rel=1e-6)


@pytest.mark.parametrize("estimator", ["miller_madow", "grassberger", "chao_shen",
                                       "jackknife", "shrink"])
def test_other_estimators(capsys, files, estimator):
    (row,) = run_json(capsys, "entropy", files["npy"], "--estimator", estimator)
    assert row["estimator"] == estimator
    expected = float(es.entropy(files["labels"], estimator=estimator))
    assert row["entropy"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("kind", ["npy", "txt", "bin"])
@pytest.mark.parametrize("order", [1, 3])
def test_chunking_does_not_change_results(capsys, files, kind, order):
    extra = ["--dtype", "uint16"] if kind == "bin" else []
    whole = run_json(capsys, "entropy", files[kind], "-k", order, *extra)
    for chunk in (1, 7, 1000):
        parts = run_json(capsys, "entropy", files[kind], "-k", order, "--chunk-size", chunk,
                         *extra)
        assert parts[0]["n"] == whole[0]["n"]
        assert parts[0]["support"] == whole[0]["support"]
        assert parts[0]["entropy"] == pytest.approx(whole[0]["entropy"], rel=1e-12)
        if order > 1:
            assert parts[0]["conditional_entropy"] == pytest.approx(
                whole[0]["conditional_entropy"], rel=1e-9, abs=1e-12)


def test_text_header_comments_blank_lines(capsys, tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("token_id\n# a comment\n3\n\n-4\n  3  \n7 # trailing comment\r\n+7\n7")
    (row,) = run_json(capsys, "entropy", path)
    x = np.array([3, -4, 3, 7, 7, 7])
    assert row["n"] == 6 and row["support"] == 3
    assert row["entropy"] == pytest.approx(float(es.entropy(x)), rel=1e-12)


def test_text_full_uint64_range(capsys, tmp_path):
    u = np.array([2**64 - 1, 2**63, 5, 5, 2**64 - 1, 2**64 - 1], dtype=np.uint64)
    path = tmp_path / "big.txt"
    path.write_text("\n".join(map(str, u.tolist())) + "\n")
    (row,) = run_json(capsys, "entropy", path)
    assert row["support"] == 3
    assert row["entropy"] == pytest.approx(float(es.entropy(u)), rel=1e-12)


def test_several_files_one_row_each(capsys, files):
    rows = run_json(capsys, "entropy", files["npy"], files["txt"], "-k", 2)
    assert [r["file"] for r in rows] == [files["npy"], files["txt"]]
    assert rows[0]["entropy"] == pytest.approx(rows[1]["entropy"], rel=1e-12)


def test_bool_npy(capsys, tmp_path):
    path = tmp_path / "b.npy"
    b = np.array([True, False, False, True, True])
    np.save(path, b)
    (row,) = run_json(capsys, "entropy", path)
    assert row["entropy"] == pytest.approx(float(es.entropy(b)), rel=1e-12)


# --------------------------------------------------------------------------- formats


def test_table_format(capsys, files):
    rc, out, err = run(capsys, "entropy", files["npy"], files["txt"], "-k", 3, "-b", 2)
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["file", "n", "support", "entropy", "[bits]",
                                "conditional_entropy", "[bits]"]
    assert len(lines) == 3
    cells = lines[1].split()
    assert cells[0] == files["npy"]
    assert int(cells[1]) == N
    assert float(cells[3]) == pytest.approx(float(es.block_entropy(files["labels"], 3, base=2)),
                                            abs=1e-6)
    assert float(cells[4]) == pytest.approx(
        float(es.conditional_block_entropy(files["labels"], 3, base=2)), abs=1e-6)
    # aligned columns: every line has the same width up to its last cell
    assert len({len(line) for line in lines}) == 1


def test_csv_format(capsys, files):
    rc, out, err = run(capsys, "entropy", files["npy"], files["txt"], "-k", 2, "-f", "csv")
    assert rc == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2
    assert list(rows[0]) == ["file", "n", "support", "order", "estimator", "unit", "entropy",
                             "conditional_entropy"]
    assert rows[1]["file"] == files["txt"]
    assert int(rows[0]["n"]) == N
    assert float(rows[0]["entropy"]) == float(es.block_entropy(files["labels"], 2))


def test_json_format_is_a_list(capsys, files):
    rc, out, _ = run(capsys, "entropy", files["npy"], "--format", "json")
    assert rc == 0
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict)


def test_markdown_format(capsys, files):
    rc, out, _ = run(capsys, "entropy", files["npy"], "--format", "markdown")
    assert rc == 0
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert len(table) == 3
    assert table[0].startswith("| file | n | support | entropy")


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_output_file(capsys, files, fmt):
    dest = files["dir"] / f"out.{fmt}"
    rc, out, err = run(capsys, "entropy", files["npy"], "--format", fmt, "--output", dest)
    assert rc == 0 and out == "" and err == ""
    text = dest.read_text()
    rc, expected, _ = run(capsys, "entropy", files["npy"], "--format", fmt)
    assert text == expected
    if fmt == "json":
        assert json.loads(text)[0]["n"] == N


# --------------------------------------------------------------------------- help, version


def test_version(capsys):
    rc, out, _ = run(capsys, "--version")
    assert rc == 0
    assert out.strip() == f"entrostat {es.__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["entropy", "--help"], ["-h"]])
def test_help(capsys, argv):
    rc, out, _ = run(capsys, *argv)
    assert rc == 0
    assert "usage: entrostat" in out
    assert "entropy" in out


def test_no_command_is_an_error(capsys):
    assert_error(*run(capsys), "missing command")


# --------------------------------------------------------------------------- bad input


def _bad_files(d):
    rng = np.random.default_rng(1)
    np.save(d / "floats.npy", rng.random(10))
    np.save(d / "empty.npy", np.array([], dtype=np.int64))
    np.save(d / "matrix.npy", np.zeros((3, 4), dtype=np.int32))
    np.save(d / "strings.npy", np.array(["a", "b"]))
    np.save(d / "objects.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    good = (d / "floats.npy").read_bytes()
    (d / "truncated.npy").write_bytes(good[: len(good) - 20])
    (d / "fake.npy").write_bytes(b"this is not numpy\n")
    (d / "empty.txt").write_bytes(b"")
    (d / "header_only.csv").write_text("token\n# nothing else\n\n")
    (d / "words.txt").write_text("1\n2\nthree\n4\n")
    (d / "floats.txt").write_text("1\n2.5\n")
    (d / "two_columns.csv").write_text("1,2\n3,4\n")
    (d / "two_per_line.txt").write_text("1 2\n3 4\n")
    (d / "huge.txt").write_text("1\n99999999999999999999999\n")
    (d / "blob.dat").write_bytes(bytes(range(256)) * 4)
    (d / "tokens.bin").write_bytes(b"\x00\x01" * 10)
    (d / "odd.bin").write_bytes(b"\x00\x01\x02")
    (d / "short.txt").write_text("1\n2\n")
    (d / "archive.npz").write_bytes(b"PK\x03\x04rest")


BAD_CASES = [
    (["missing.npy"], "no such file"),
    (["floats.npy"], "float"),
    (["empty.npy"], "empty"),
    (["matrix.npy"], "1-D"),
    (["strings.npy"], "integer"),
    (["objects.npy"], "objects.npy"),
    (["truncated.npy"], "truncated.npy"),
    (["fake.npy"], "not a .npy"),
    (["empty.txt"], "empty"),
    (["header_only.csv"], "no labels"),
    (["words.txt"], "words.txt:3"),
    (["floats.txt"], "floats.txt:2"),
    (["two_columns.csv"], "one integer per line"),
    (["two_per_line.txt"], "one integer per line"),
    (["huge.txt"], "64-bit"),
    (["blob.dat"], "unknown format"),
    (["tokens.bin"], "--dtype"),
    (["odd.bin", "--dtype", "uint16"], "multiple"),
    (["short.txt", "--order", "3"], "fewer than"),
    (["archive.npz"], ".npz"),
    (["."], "directory"),
    (["short.txt", "--dtype", "float32"], "--dtype"),
    (["short.txt", "--dtype", "notatype"], "--dtype"),
    (["short.txt", "--dtype", "bool"], "--dtype"),
    (["short.txt", "--estimator", "magic"], "--estimator"),
    (["short.txt", "--order", "0"], "--order"),
    (["short.txt", "--order", "9"], "--order"),
    (["short.txt", "--order", "two"], "--order"),
    (["short.txt", "--base", "1"], "--base"),
    (["short.txt", "--base", "-2"], "--base"),
    (["short.txt", "--format", "xml"], "--format"),
    (["short.txt", "--chunk-size", "0"], "--chunk-size"),
    (["short.txt", "--output", "no/such/dir/out.json"], "does not exist"),
    (["short.txt", "--bogus"], "--bogus"),
    ([], "FILE"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD_CASES,
                         ids=[" ".join(a) or "no-files" for a, _ in BAD_CASES])
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, monkeypatch, args, fragment):
    _bad_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert_error(*run(capsys, "entropy", *args), fragment)


def test_bad_file_among_good_ones_fails_before_counting(capsys, files, monkeypatch):
    monkeypatch.setattr(cli, "_count", lambda *a, **k: pytest.fail("counted before checking"))
    assert_error(*run(capsys, "entropy", files["npy"], "missing.npy"), "missing.npy")


def test_library_errors_become_one_line(capsys, tmp_path):
    # 2**64 - 1 does not fit the signed labels counted from the first chunk.
    path = tmp_path / "mixed.txt"
    path.write_text("-1\n" * 400 + f"{2**64 - 1}\n" + "5\n" * 300)
    assert_error(*run(capsys, "entropy", path, "--chunk-size", "1"), "mixed.txt")


# --------------------------------------------------------------------------- progress


def test_progress_line():
    stream = io.StringIO()
    bar = _cli_io.Progress("data.bin", 200_000_000, enabled=True, stream=stream)
    bar.start -= 2.0
    bar.last -= 10.0
    bar.update(50_000_000)
    text = stream.getvalue()
    assert text.startswith("\r") and "data.bin" in text and "25.0%" in text and "MB/s" in text
    bar.close()
    assert stream.getvalue().endswith("\n")  # not a terminal: the line is ended


def test_progress_disabled_and_quiet_for_quick_work():
    stream = io.StringIO()
    off = _cli_io.Progress("x", 10, enabled=False, stream=stream)
    off.start -= 100
    off.last -= 100
    off.update(5)
    off.close()
    quick = _cli_io.Progress("x", 10, enabled=True, stream=stream)
    quick.update(5)  # less than half a second in: nothing drawn
    quick.close()
    assert stream.getvalue() == ""


def test_no_progress_flag(capsys, files, monkeypatch):
    monkeypatch.setattr(_cli_io, "PROGRESS_MIN_BYTES", 0)
    made = []
    real = _cli_io.Progress

    def spy(label, total, enabled, stream=None):
        made.append(enabled)
        return real(label, total, enabled, stream)

    monkeypatch.setattr(cli, "Progress", spy)
    run_json(capsys, "entropy", files["npy"])
    run_json(capsys, "entropy", files["npy"], "--no-progress")
    assert made == [True, False]


# --------------------------------------------------------------------------- subprocess


def _entrostat(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "entrostat", *map(str, argv)],
                          capture_output=True, text=True, cwd=cwd, timeout=60)


def test_subprocess_json(files):
    proc = _entrostat("entropy", files["npy"], files["bin"], "--dtype", "uint16", "-k", "2",
                      "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    rows = json.loads(proc.stdout)
    assert rows[0]["entropy"] == pytest.approx(float(es.block_entropy(files["labels"], 2)))
    assert rows[1]["conditional_entropy"] == pytest.approx(
        float(es.conditional_block_entropy(files["tokens"], 2)))


def test_subprocess_bad_input(files):
    proc = _entrostat("entropy", "definitely-missing.npy", cwd=files["dir"])
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == ["entrostat: error: definitely-missing.npy: no such file"]
    proc = _entrostat("entropy", files["npy"], "--order", "12")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("entrostat: error:")


def test_subprocess_version_and_output(files):
    proc = _entrostat("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"entrostat {es.__version__}"
    dest = files["dir"] / "r.csv"
    proc = _entrostat("entropy", files["txt"], "-f", "csv", "-o", dest)
    assert proc.returncode == 0 and proc.stdout == ""
    (row,) = csv.DictReader(io.StringIO(dest.read_text()))
    assert math.isclose(float(row["entropy"]), float(es.entropy(files["labels"])),
                        rel_tol=1e-12)
