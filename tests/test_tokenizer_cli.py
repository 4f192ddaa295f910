"""``entrostat tokenizers eval|sweep`` and ``entrostat corpus distance`` through a
subprocess: the default run gives a valid report; bad input exits 2 with one line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from entrostat.tokenizers import available_pretrained, rank_by_distance


def _run(*args, cache, cwd=None, timeout=600):
    env = dict(os.environ, ENTROSTAT_CACHE_DIR=str(cache))
    return subprocess.run(
        [sys.executable, "-m", "entrostat", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout,
    )


def _one_error_line(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("entrostat: error: ") and "Traceback" not in proc.stderr
    for frag in fragments:
        assert frag in lines[0], lines[0]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def default_report(cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    proc = _run("tokenizers", "eval", "--format", "json", "--output", out / "r.json",
                "--plot", out / "r.png", cache=cache)
    assert proc.returncode == 0, proc.stderr
    return json.loads((out / "r.json").read_text()), out / "r.png"


def test_default_run_is_a_valid_report(default_report):
    doc, png = default_report
    assert doc["schema"] == "entrostat.tokenizers.report" and doc["schema_version"] == 1
    entries = doc["entries"]
    tokenizers = {e["tokenizer"] for e in entries}
    corpora = {e["corpus"] for e in entries}
    want = {"bytes", "bpe:1000", "bpe:4000", "bpe:16000", "bpe:32000", *available_pretrained()}
    assert tokenizers == want
    assert {"code", "prose"} <= corpora
    assert len(entries) == len(tokenizers) * len(corpora)  # every pair, once
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for e in entries:
        m = e["metrics"]
        assert m["n_tokens"] > 0 and m["n_bytes"] > 0
        assert m["bytes_per_token"] == pytest.approx(m["n_bytes"] / m["n_tokens"])
        for k, h in m["conditional_entropy"].items():
            assert m["bits_per_byte"][k] == pytest.approx(m["n_tokens"] * h / m["n_bytes"])
        # Conditioning never raises the plug-in entropy.
        h = [m["conditional_entropy"][str(k)] for k in doc["meta"]["orders"]]
        assert all(a >= b - 1e-9 for a, b in zip(h, h[1:], strict=False))
        assert 0 < m["vocab_used"] <= 1 and 0 <= m["hapax_share"] <= 1
        if e["tokenizer"] == "bytes":
            assert m["bytes_per_token"] == 1.0 and m["unigram_entropy"] <= 8.0
        if e["tokenizer"] in ("bytes", "bpe:1000"):  # byte-level: exact round trips
            assert m["roundtrip_share"] == 1.0
    ref = doc["meta"]["reference"]
    if ref is not None:
        assert all(e["parity"] == pytest.approx(1.0) for e in entries if e["corpus"] == ref)


def test_trained_vocabularies_reach_their_size(default_report):
    doc, _ = default_report
    sizes = {e["tokenizer"]: e["metrics"]["vocab_size"] for e in doc["entries"]}
    for v in (1000, 4000, 16000, 32000):
        assert sizes[f"bpe:{v}"] == v


def test_table_csv_and_markdown_on_a_file(tmp_path, cache):
    text = "the cat sat on the mat\n\nthe dog sat on the log\n"
    (tmp_path / "a.txt").write_text(text)
    table = _run("tokenizers", "eval", "-t", "bytes", "-t", "chars", "-c", tmp_path / "a.txt",
                 "--no-progress", cache=cache)
    assert table.returncode == 0, table.stderr
    assert "bytes" in table.stdout and "chars" in table.stdout and "a.txt" in table.stdout
    proc = _run("tokenizers", "eval", "-t", "bytes", "-c", tmp_path / "a.txt", "-f", "csv",
                "--orders", "1,2", cache=cache)
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == 1 and rows[0]["tokenizer"] == "bytes"
    assert float(rows[0]["bytes_per_token"]) == 1.0
    md = _run("tokenizers", "eval", "-t", "bytes", "-c", tmp_path / "a.txt", "-f", "markdown",
              cache=cache)
    assert md.returncode == 0 and md.stdout.count("| bytes") >= 1


def test_id_shards_skip_encoding(tmp_path, cache):
    ids = np.random.default_rng(0).integers(0, 500, 5000).astype(np.uint16)
    np.save(tmp_path / "ids.npy", ids)
    ids.tofile(tmp_path / "ids.bin")
    a = _run("tokenizers", "eval", "-c", tmp_path / "ids.npy", "-f", "json", cache=cache)
    b = _run("tokenizers", "eval", "-c", tmp_path / "ids.bin", "--dtype", "uint16",
             "-f", "json", cache=cache)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    ma = json.loads(a.stdout)["entries"][0]["metrics"]
    mb = json.loads(b.stdout)["entries"][0]["metrics"]
    assert ma.keys() == mb.keys() and ma["n_tokens"] == mb["n_tokens"] == 5000
    assert ma["vocab_size"] == mb["vocab_size"] == int(ids.max()) + 1
    for k, h in ma["conditional_entropy"].items():
        assert h == pytest.approx(mb["conditional_entropy"][k], rel=1e-12)


def test_bad_input_exits_2_with_one_line(tmp_path, cache):
    (tmp_path / "a.txt").write_text("some text\n")
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY garbage")
    (tmp_path / "x.bin").write_bytes(b"\x00" * 8)
    _one_error_line(_run("tokenizers", "eval", "-c", tmp_path / "missing.txt", "-t", "bytes",
                         cache=cache), "missing.txt")
    _one_error_line(_run("tokenizers", "eval", "-c", tmp_path / "a.txt", "-t", "wat:3",
                         cache=cache), "wat:3")
    _one_error_line(_run("tokenizers", "eval", "-c", tmp_path / "bad.npy", cache=cache),
                    "bad.npy")
    _one_error_line(_run("tokenizers", "eval", "-c", tmp_path / "x.bin", "--dtype", "int7",
                         cache=cache), "int7")
    _one_error_line(_run("tokenizers", "eval", "-c", tmp_path / "x.bin", "--dtype", "float32",
                         cache=cache), "float32")
    _one_error_line(_run("tokenizers", "eval", "--orders", "0", cache=cache), "--orders")
    _one_error_line(_run("tokenizers", "eval", "-c", tmp_path / "a.txt", "-t", "bytes",
                         "-o", tmp_path / "no" / "r.json", cache=cache), "does not exist")
    _one_error_line(_run("tokenizers", cache=cache), "eval")
    _one_error_line(_run("corpus", "distance", tmp_path / "a.txt", tmp_path / "nope",
                         cache=cache), "nope")


def test_sweep_command(tmp_path, cache):
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(300)]
    (tmp_path / "train.txt").write_text(
        "\n\n".join(" ".join(rng.choice(words, 40)) for _ in range(300)))
    (tmp_path / "test.txt").write_text(
        "\n\n".join(" ".join(rng.choice(words, 40)) for _ in range(20)))
    proc = _run("tokenizers", "sweep", "--vocab", "300,500", "--train-bytes", "8K,32K",
                "--train", tmp_path / "train.txt", "-c", tmp_path / "test.txt",
                "--orders", "1,2", "-f", "json", "--plot", tmp_path / "s.png", cache=cache)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert [p["tokenizer"] for p in doc["meta"]["sweep"]] == [
        "bpe:300@8K", "bpe:500@8K", "bpe:300@32K", "bpe:500@32K"]
    assert (tmp_path / "s.png").stat().st_size > 10_000


def test_corpus_distance_ranks_the_copy_first(tmp_path, cache):
    rng = np.random.default_rng(2)
    words = [f"w{i}" for i in range(2000)]
    target = " ".join(rng.choice(words, 20_000))
    (tmp_path / "target.txt").write_text(target)
    (tmp_path / "copy.txt").write_text(target[: len(target) // 2])
    (tmp_path / "other.txt").write_text(" ".join(rng.choice([f"z{i}" for i in range(50)], 9000)))
    proc = _run("corpus", "distance", tmp_path / "target.txt", tmp_path / "other.txt",
                tmp_path / "copy.txt", "-f", "json", cache=cache)
    assert proc.returncode == 0, proc.stderr
    ranking = json.loads(proc.stdout)["ranking"]
    # Half of the target: C(xy) - C(x) ~ nothing new, so NCD ~ 1 - C(half)/C(target) ~ 0.5.
    assert ranking[0]["candidate"].endswith("copy.txt") and ranking[0]["ncd"] < 0.6
    assert ranking[1]["candidate"].endswith("other.txt") and ranking[1]["ncd"] > 0.8


def _corpora(doc):
    return {e["corpus"]: (e["tokenizer"], e["metrics"]["n_tokens"]) for e in doc["entries"]}


def test_field_and_dtype_apply_to_the_corpora_they_fit(tmp_path, cache):
    (tmp_path / "a.txt").write_text("ab cd\n\nef\n")  # 7 bytes of text
    (tmp_path / "x.jsonl").write_text('{"body": "hello"}\n{"body": "again"}\n')
    np.save(tmp_path / "i.npy", np.array([1, 2, 3, 1, 2], dtype=np.int32))
    np.array([7, 7, 8], dtype=np.uint16).tofile(tmp_path / "s.bin")
    base = ("tokenizers", "eval", "-t", "bytes", "--orders", "1", "--no-roundtrip", "-f", "json")
    proc = _run(*base, "-c", tmp_path / "a.txt", "-c", tmp_path / "s.bin", "--dtype", "uint16",
                cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert _corpora(json.loads(proc.stdout)) == {"a.txt": ("bytes", 7), "s.bin": ("ids", 3)}
    proc = _run(*base, "-c", tmp_path / "a.txt", "-c", tmp_path / "x.jsonl", "--field", "body",
                cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert _corpora(json.loads(proc.stdout)) == {"a.txt": ("bytes", 7), "x.jsonl": ("bytes", 10)}
    shards_only = ("-c", tmp_path / "i.npy", "-c", tmp_path / "s.bin", "--dtype", "uint16")
    no_tokenizer = tuple(a for a in base if a not in ("-t", "bytes"))
    proc = _run(*no_tokenizer, *shards_only, cache=cache)
    assert proc.returncode == 0, proc.stderr
    assert _corpora(json.loads(proc.stdout)) == {"i.npy": ("ids", 5), "s.bin": ("ids", 3)}
    # A tokenizer, like --field or --dtype, that no corpus can use is an error.
    _one_error_line(_run(*base, *shards_only, cache=cache),
                    "--tokenizer: every corpus is a token-id shard")
    _one_error_line(_run(*no_tokenizer, "-c", tmp_path / "a.txt", "--vocab-size", "9",
                         cache=cache), "--vocab-size 9 applies to token-id shards")
    _one_error_line(_run(*base, "-c", tmp_path / "a.txt", "-c", tmp_path / "i.npy",
                         "--dtype", "uint16", cache=cache), "--dtype uint16 applies", ".bin")
    _one_error_line(_run(*base, "-c", tmp_path / "a.txt", "--field", "body", cache=cache),
                    "--field body applies", "JSONL", "nor --train")
    _one_error_line(_run(*base, "--train", tmp_path / "a.txt", cache=cache),
                    "--train: only with --corpus;")


def test_reference_and_duplicate_names(tmp_path, cache):
    for folder, text in (("x", "héllo wörld"), ("y", "hello world")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(text, encoding="utf-8")
    args = ("tokenizers", "eval", "-t", "chars", "-c", tmp_path / "x" / "a.txt",
            "-c", tmp_path / "y" / "a.txt", "--no-roundtrip", "-f", "json")
    proc = _run(*args, "--reference", "y/a.txt", cache=cache)
    assert proc.returncode == 0, proc.stderr
    parity = {e["corpus"]: e["parity"] for e in json.loads(proc.stdout)["entries"]}
    assert parity == {"x/a.txt": pytest.approx(11 / 13), "y/a.txt": 1.0}
    _one_error_line(_run(*args, "--reference", "nope", cache=cache),
                    "--reference: no corpus is named 'nope'", "'x/a.txt', 'y/a.txt'")


def test_sweep_rejects_token_shards(tmp_path, cache):
    (tmp_path / "a.txt").write_text("some text\n\nmore text\n")
    np.save(tmp_path / "ids.npy", np.arange(100, dtype=np.uint16))
    base = ("tokenizers", "sweep", "--vocab", "300", "--train-bytes", "1K")
    _one_error_line(_run(*base, "--train", tmp_path / "ids.npy", "-c", tmp_path / "a.txt",
                         cache=cache), "--train: ", "ids.npy is a token-id shard")
    _one_error_line(_run(*base, "--train", tmp_path / "a.txt", "-c", tmp_path / "ids.npy",
                         cache=cache), "--corpus: ", "ids.npy is a token-id shard")


def test_corpus_distance_globs_and_max_bytes(tmp_path, cache):
    rng = np.random.default_rng(3)
    target = " ".join(rng.choice([f"w{i}" for i in range(500)], 4000))
    (tmp_path / "target.txt").write_text(target)
    (tmp_path / "c").mkdir()
    for name in ("b_copy.txt", "a_copy.txt"):  # equal NCDs: the glob's sorted order stays
        (tmp_path / "c" / name).write_text(target[:5000])
    (tmp_path / "c" / "0_other.txt").write_text(" ".join(rng.choice(["x", "yy", "z"], 3000)))
    proc = _run("corpus", "distance", tmp_path / "target.txt", tmp_path / "c" / "*.txt",
                "--max-bytes", "4K", "-f", "json", cache=cache)
    assert proc.returncode == 0, proc.stderr
    ranking = json.loads(proc.stdout)["ranking"]
    names = ["a_copy.txt", "b_copy.txt", "0_other.txt"]
    assert [os.path.basename(r["candidate"]) for r in ranking] == names
    want = rank_by_distance([str(tmp_path / "c" / n) for n in names], tmp_path / "target.txt",
                            max_bytes=4096)
    assert [r["ncd"] for r in ranking] == [d for _, d in want]
    _one_error_line(_run("corpus", "distance", tmp_path / "target.txt", tmp_path / "c" / "*.md",
                         cache=cache), "*.md", "matches no files")
    _one_error_line(_run("corpus", "distance", tmp_path / "target.txt", tmp_path / "c",
                         "--max-bytes", "1M,2M", cache=cache), "--max-bytes", "'1M,2M'")


@pytest.mark.slow
def test_full_default_corpus_through_the_cli(cache, tmp_path):
    """``--full``: the whole standard library and every aligned catalog language (the
    byte tokenizer only, so nothing is trained): more held-out code and at least as many
    languages as the small default, and every byte is one token."""
    out = tmp_path / "full.json"
    proc = _run("tokenizers", "eval", "--full", "--tokenizer", "bytes", "--format", "json",
                "--output", out, cache=cache)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["meta"]["default_size"] == "full"
    entries = {e["corpus"]: e for e in doc["entries"]}
    assert {e["tokenizer"] for e in doc["entries"]} == {"bytes"}
    from entrostat.tokenizers import _default as D

    small = D.default_corpus("small")
    small_bytes = {c.name: c.total_bytes() for c in small.test}
    assert entries["code"]["metrics"]["n_bytes"] > small_bytes["code"]
    assert entries["prose"]["metrics"]["n_bytes"] > 0
    parallel = [name for name in entries if name.startswith("parallel:")]
    assert len(parallel) >= len([n for n in small_bytes if n.startswith("parallel:")])
    for e in doc["entries"]:
        assert e["metrics"]["n_tokens"] == e["metrics"]["n_bytes"], e["corpus"]
