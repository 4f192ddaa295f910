"""Bad input to the tokenizer report and its CLI: sizes, --plot, flag names in messages,
typed JSON on load, infinities through JSON, table widths, lone surrogates in the
compression distance. All in-process and fast (the evaluation itself is stubbed out)."""

from __future__ import annotations

import dataclasses
import json
import math
import sys

import pytest

import entrostat.tokenizers as tokenizers_pkg
from entrostat import cli
from entrostat._cli_tokenizers import _naming_flags
from entrostat.tokenizers._distance import compression_distance
from entrostat.tokenizers._metrics import TokenMetrics
from entrostat.tokenizers._report import Entry, Report


def metrics(**changes) -> TokenMetrics:
    m = TokenMetrics(
        n_tokens=1000, n_documents=3, vocab_size=512, n_types=300, n_bytes=4000,
        n_chars=3900, n_words=700, bytes_per_token=4.0, chars_per_token=3.9,
        fertility=1000 / 700, roundtrip_share=1.0, unigram_entropy=7.5,
        shannon_efficiency=7.5 / 9, shannon_efficiency_types=7.5 / math.log2(300), alpha=2.5,
        renyi_entropy=6.0, renyi_efficiency=6.0 / 9, renyi_efficiency_types=6.0 / math.log2(300),
        estimator="plugin", conditional_entropy={1: 7.5, 2: 5.0},
        bits_per_byte={1: 1.875, 2: 1.25}, vocab_used=300 / 512, hapax_share=0.2,
        coverage_tokens={0.5: 20, 0.9: 120, 0.99: 250},
    )
    return dataclasses.replace(m, **changes)


def entry(**changes) -> Entry:
    e = Entry("bpe:512", "a.txt", "prose", "en", metrics(), encode_seconds=0.5,
              metrics_seconds=0.1, parity=1.2)
    return dataclasses.replace(e, **changes)


@pytest.fixture
def report() -> Report:
    return Report.create([entry(), entry(tokenizer="bytes", parity=None)], corpus="test")


def run_cli(capsys, *argv) -> tuple[int, str]:
    """``entrostat ARGV`` in-process: the exit status and the one error line."""
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1, err
    assert lines[0].startswith("entrostat: error: ") and "Traceback" not in err
    return rc, lines[0]


@pytest.fixture
def no_run(monkeypatch):
    """evaluate and sweep replaced by a stub that says it was reached: an up-front check
    that fails must exit before it; one that passes reaches it."""

    def reached(*args, **kwargs):
        raise ValueError("reached the evaluation")

    monkeypatch.setattr(tokenizers_pkg, "evaluate", reached)
    monkeypatch.setattr(tokenizers_pkg, "sweep", reached)


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("size", ["inf", "1e400", "-inf", "nan", "0.1", "0.0001K", ","])
def test_train_bytes_rejects_non_finite_and_sub_byte_sizes(capsys, size):
    rc, line = run_cli(capsys, "tokenizers", "sweep", f"--train-bytes={size}")
    assert rc == 2
    assert "--train-bytes" in line and repr(size) in line


@pytest.mark.parametrize("size", ["inf", "1e400", "0.1"])
def test_max_bytes_rejects_non_finite_and_sub_byte_sizes(capsys, tmp_path, size):
    (tmp_path / "a.txt").write_text("some text\n")
    rc, line = run_cli(capsys, "corpus", "distance", tmp_path / "a.txt", tmp_path / "a.txt",
                       "--max-bytes", size)
    assert rc == 2 and "--max-bytes" in line and repr(size) in line


def test_sub_byte_message_says_why(capsys):
    _, line = run_cli(capsys, "tokenizers", "sweep", "--train-bytes", "0.1")
    assert "at least 1 byte" in line
    _, line = run_cli(capsys, "tokenizers", "sweep", "--train-bytes", "inf")
    assert "finite" in line


# --------------------------------------------------------------------------- --plot


@pytest.mark.parametrize("command", ["eval", "sweep"])
def test_plot_without_matplotlib_fails_before_the_run(capsys, monkeypatch, no_run, tmp_path,
                                                      command):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    rc, line = run_cli(capsys, "tokenizers", command, "--plot", tmp_path / "p.png")
    assert rc == 2
    assert "--plot needs matplotlib" in line and "entrostat[plot]" in line


@pytest.mark.parametrize("command", ["eval", "sweep"])
@pytest.mark.parametrize("name", ["p.xyz", "p.PNG.bak"])
def test_plot_with_a_format_matplotlib_cannot_write_fails_before_the_run(
        capsys, no_run, tmp_path, command, name):
    rc, line = run_cli(capsys, "tokenizers", command, "--plot", tmp_path / name)
    assert rc == 2
    suffix = name.rsplit(".", 1)[1]
    assert "--plot" in line and f".{suffix} files" in line and "png" in line


@pytest.mark.parametrize("name", ["p.png", "p.PDF", "p.svg", "plot"])
def test_plot_formats_matplotlib_writes_pass_the_check(capsys, no_run, tmp_path, name):
    rc, line = run_cli(capsys, "tokenizers", "eval", "--plot", tmp_path / name)
    assert rc == 2 and "reached the evaluation" in line


# --------------------------------------------------------------------------- flag names


def test_vocab_size_is_checked_as_the_flag(capsys, no_run):
    rc, line = run_cli(capsys, "tokenizers", "eval", "--vocab-size", "0")
    assert rc == 2 and "--vocab-size" in line and "vocab_size" not in line


def test_sweep_vocab_error_names_the_flag(capsys):
    # sweep itself refuses 256 (byte-level BPE needs > 256); the CLI names --vocab.
    rc, line = run_cli(capsys, "tokenizers", "sweep", "--vocab", "256", "--train-bytes", "1K")
    assert rc == 2
    assert line == "entrostat: error: --vocab: expected an integer >= 257, got 256"


@pytest.mark.parametrize(("message", "kind", "want"), [
    ("vocab_sizes, train_bytes: expected at least one value each", ValueError,
     "--vocab, --train-bytes: expected at least one value each"),
    ("max_bytes must be a positive integer or None, got 0", ValueError,
     "--max-bytes must be a positive integer or None, got 0"),
    ("corpora: expected at least one corpus", ValueError,
     "--corpus: expected at least one corpus"),
    ("test: expected a sequence of corpora, got a single str", TypeError,
     "--corpus: expected a sequence of corpora, got a single str"),
])
def test_library_errors_are_renamed_to_flags(message, kind, want):
    def cmd(args):
        raise kind(message)

    with pytest.raises(kind) as info:
        _naming_flags(cmd)(None)
    assert str(info.value) == want


@pytest.mark.parametrize("message", [
    "ids: token id 9 is outside the vocabulary", "--corpus: x holds no text",
    "some words: then more", "expected a size, got 'x'",
])
def test_other_errors_pass_unchanged(message):
    err = ValueError(message)

    def cmd(args):
        raise err

    with pytest.raises(ValueError) as info:
        _naming_flags(cmd)(None)
    assert info.value is err


# --------------------------------------------------------------------------- typed JSON


_BAD_VALUES = [
    ("metrics.n_tokens", "many", "a non-negative integer"),
    ("metrics.n_tokens", -5, "a non-negative integer"),
    ("metrics.n_tokens", True, "a non-negative integer"),
    ("metrics.n_tokens", 5.0, "a non-negative integer"),
    ("metrics.n_tokens", None, "a non-negative integer"),
    ("metrics.n_bytes", "4k", "a non-negative integer or null"),
    ("metrics.unigram_entropy", "x", "a number"),
    ("metrics.unigram_entropy", False, "a number"),
    ("metrics.fertility", [1.0], "a number"),
    ("metrics.estimator", 3, "a string"),
    ("metrics.conditional_entropy", [7.5], "an object"),
    ("tokenizer", 5, "a string"),
    ("tokenizer", None, "a string"),
    ("corpus", ["a"], "a string"),
    ("language", 1, "a string or null"),
    ("encode_seconds", "fast", "a number"),
    ("metrics_seconds", True, "a number"),
    ("parity", "p", "a number"),
]


@pytest.mark.parametrize(("path", "value", "expected"), _BAD_VALUES)
def test_from_dict_rejects_values_of_the_wrong_type(report, path, value, expected):
    d = json.loads(report.to_json())
    target = d["entries"][1]
    *parents, key = path.split(".")
    for p in parents:
        target = target[p]
    target[key] = value
    with pytest.raises(ValueError) as info:
        Report.from_dict(d)
    msg = str(info.value)
    assert msg.startswith(f"entries[1].{path}: expected {expected}"), msg
    with pytest.raises(ValueError, match=rf"^entries\[1\]\.{path}: "):
        Report.from_json(json.dumps(d))


@pytest.mark.parametrize(("field", "items", "fragment"), [
    ("conditional_entropy", {"x": 1.0}, "key 'x' is not an n-gram order"),
    ("conditional_entropy", {"0": 1.0}, "key '0' is not an n-gram order"),
    ("conditional_entropy", {"1": "high"}, "conditional_entropy['1']: expected a number"),
    ("bits_per_byte", {"2": {}}, "bits_per_byte['2']: expected a number"),
    ("coverage_tokens", {"0.5": None}, "coverage_tokens['0.5']: expected a non-negative"),
    ("coverage_tokens", {"0.5": 2.5}, "coverage_tokens['0.5']: expected a non-negative"),
    ("coverage_tokens", {"half": 3}, "key 'half' is not a share"),
    ("coverage_tokens", {"2": 3}, "key '2' is not a share"),
])
def test_from_dict_rejects_bad_metric_dicts(report, field, items, fragment):
    d = json.loads(report.to_json())
    d["entries"][0]["metrics"][field] = items
    with pytest.raises(ValueError) as info:
        Report.from_dict(d)
    assert str(info.value).startswith(f"entries[0].metrics.{field}")
    assert fragment in str(info.value)


def test_entry_from_dict_names_the_field(report):
    d = report.entries[0].to_dict()
    d["metrics"]["n_types"] = "300"
    with pytest.raises(ValueError, match=r"^entry\.metrics\.n_types: expected a non-negative"):
        Entry.from_dict(d)


def test_valid_nulls_still_read(report):
    d = json.loads(report.to_json())
    e = d["entries"][0]
    e.update(group=None, language=None, encode_seconds=None, parity=None)
    e["metrics"].update(n_bytes=None, fertility=None, unigram_entropy=None, bits_per_byte=None)
    back = Report.from_dict(d).entries[0]
    assert back.group is None and back.encode_seconds is None and back.parity is None
    assert back.metrics.n_bytes is None and back.metrics.fertility is None
    assert math.isnan(back.metrics.unigram_entropy) and back.metrics.bits_per_byte is None


# --------------------------------------------------------------------------- infinities


def test_infinities_round_trip_through_json():
    m = metrics(alpha=math.inf, fertility=math.inf, renyi_efficiency=-math.inf,
                unigram_entropy=math.nan, conditional_entropy={1: math.inf, 2: math.nan},
                bits_per_byte={1: -math.inf})
    r = Report.create([entry(metrics=m, parity=math.inf, encode_seconds=math.nan)])
    text = r.to_json()
    json.loads(text, parse_constant=lambda t: pytest.fail(f"non-standard token {t}"))
    d = json.loads(text)
    assert d["meta"]["alpha"] == "inf" and r.meta["alpha"] == "inf"
    assert d["entries"][0]["metrics"]["alpha"] == "inf"
    assert d["entries"][0]["metrics"]["renyi_efficiency"] == "-inf"
    back = Report.from_json(text)
    bm, be = back.entries[0].metrics, back.entries[0]
    assert bm.alpha == math.inf and bm.fertility == math.inf
    assert bm.renyi_efficiency == -math.inf
    assert bm.conditional_entropy[1] == math.inf and bm.bits_per_byte == {1: -math.inf}
    assert be.parity == math.inf
    # NaN as before: null, read back as NaN, or as None where the field may be None.
    assert math.isnan(bm.unigram_entropy) and math.isnan(bm.conditional_entropy[2])
    assert be.encode_seconds is None
    assert back.meta == r.meta
    assert Report.from_json(back.to_json()).to_json() == text


def test_other_strings_are_not_numbers(report):
    d = json.loads(report.to_json())
    d["entries"][0]["metrics"]["alpha"] = "Infinity"
    with pytest.raises(ValueError, match=r"^entries\[0\]\.metrics\.alpha: .*\"inf\""):
        Report.from_dict(d)


# --------------------------------------------------------------------------- to_table


@pytest.mark.parametrize("width", [0, -1])
def test_to_table_rejects_non_positive_width(report, width):
    with pytest.raises(ValueError, match=r"^width: expected an integer >= 1"):
        report.to_table(width=width)


@pytest.mark.parametrize("width", ["x", 80.0, True])
def test_to_table_rejects_non_integer_width(report, width):
    with pytest.raises(TypeError, match=r"^width: expected an integer"):
        report.to_table(width=width)


def test_to_table_narrowest_width(report):
    text = report.to_table(width=1)
    assert text and all(len(line) <= 1 for line in text.splitlines())


# --------------------------------------------------------------------------- distance


def test_compression_distance_takes_lone_surrogates():
    a, b = "a\ud800 text", "b other"
    raw = a.encode("utf-8", "surrogatepass")
    want = compression_distance(raw, b.encode(), codec="gzip")
    assert compression_distance(a, b, codec="gzip") == want
    assert compression_distance(b, a, codec="gzip") == compression_distance(
        b.encode(), raw, codec="gzip")
    docs = ["x", a]
    assert compression_distance(docs, [b], codec="gzip") == compression_distance(
        b"x\n" + raw, b.encode(), codec="gzip")
