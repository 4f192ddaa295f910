"""Tests of ``entrostat.tokenizers._report``: JSON round trips, CSV, Markdown, tables, plots.

The metrics are built by hand with every field given, their derived fields computed from
their definitions (bytes/token = n_bytes / n_tokens, bits/byte = n_tokens H_k / n_bytes, ...),
so that the flat outputs can be checked against independent arithmetic.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import re
import struct
import sys
import types
from datetime import datetime

import pytest

from entrostat.tokenizers._metrics import COVERAGE_SHARES, TokenMetrics
from entrostat.tokenizers._report import (
    PLOT_PANELS,
    SCHEMA,
    SCHEMA_VERSION,
    Entry,
    Report,
    _key_columns,
)

TOKENIZERS = ("gpt2", "cl100k_base", "o200k_base", "bert-base-uncased")
CORPORA = (("python-stdlib", "code", "python"), ("rust-std", "code", "rust"),
           ("wiki-en", "prose", "en"), ("flores-de", "parallel", "de"),
           ("flores-ja", "parallel", "ja"))


def make_metrics(n_tokens: int, n_bytes: int | None, vocab_size: int, n_types: int, h1: float,
                 *, orders: int = 4, alpha: float = 2.5, estimator: str = "plugin",
                 hapax: float = 0.25) -> TokenMetrics:
    """A consistent TokenMetrics: every field given, derived ones from their definitions."""
    n_words = None if n_bytes is None else n_bytes // 6
    n_chars = None if n_bytes is None else n_bytes - n_bytes // 20
    cond = {k: h1 * (1.0, 0.71, 0.52, 0.43, 0.39, 0.37)[k - 1] for k in range(1, orders + 1)}
    renyi = 0.8 * h1
    return TokenMetrics(
        n_tokens=n_tokens, n_documents=17, vocab_size=vocab_size, n_types=n_types,
        n_bytes=n_bytes, n_chars=n_chars, n_words=n_words,
        bytes_per_token=None if n_bytes is None else n_bytes / n_tokens,
        chars_per_token=None if n_chars is None else n_chars / n_tokens,
        fertility=None if n_words is None else n_tokens / n_words,
        roundtrip_share=None if n_bytes is None else 1.0,
        unigram_entropy=h1, shannon_efficiency=h1 / math.log2(vocab_size),
        shannon_efficiency_types=h1 / math.log2(n_types), alpha=alpha, renyi_entropy=renyi,
        renyi_efficiency=renyi / math.log2(vocab_size),
        renyi_efficiency_types=renyi / math.log2(n_types), estimator=estimator,
        conditional_entropy=cond,
        bits_per_byte=None if n_bytes is None else {k: n_tokens * h / n_bytes
                                                    for k, h in cond.items()},
        vocab_used=n_types / vocab_size, hapax_share=hapax,
        coverage_tokens={s: max(1, int(n_types * s**3)) for s in COVERAGE_SHARES},
    )


def make_entry(tokenizer: str, corpus: tuple[str, str | None, str | None], i: int,
               j: int) -> Entry:
    vocab = (50_257, 100_277, 200_019, 30_522)[i % 4]
    n_bytes = 2_000_000 + 150_000 * j
    bpt = (3.2 + 0.45 * i) * (0.55 if corpus[2] == "ja" else 1.0) * (1.15 if j < 2 else 1)
    n_tokens = int(n_bytes / bpt)
    n_types = min(vocab, 9_000 + 3_000 * i + 500 * j)
    return Entry(tokenizer, corpus[0], corpus[1], corpus[2],
                 make_metrics(n_tokens, n_bytes, vocab, n_types, 9.1 + 0.35 * i - 0.2 * j),
                 encode_seconds=0.05 + 0.02 * i + 0.01 * j, metrics_seconds=0.01 * (j + 1),
                 parity=(1.0 + 0.2 * j / (1 + i)) if corpus[1] == "parallel" else None)


def big_report() -> Report:
    """4 tokenizers x 5 corpora, orders 1..4."""
    entries = [make_entry(t, c, i, j) for j, c in enumerate(CORPORA)
               for i, t in enumerate(TOKENIZERS)]
    return Report.create(entries, corpus="demo corpora", notes=["hand-made metrics"])


@pytest.fixture
def report() -> Report:
    """Three entries: two text corpora and an id shard (no bytes, no timings)."""
    shard = Entry("gpt2", "shard.bin", None, None,
                  make_metrics(1_000, None, 50_257, 400, 7.5, orders=3), None, 0.25)
    entries = [make_entry("gpt2", CORPORA[2], 0, 0), make_entry("o200k_base", CORPORA[2], 2, 0),
               make_entry("gpt2", CORPORA[3], 0, 3), shard]
    return Report.create(entries, corpus="test corpora", notes=["a note"], seed=3)


def strict_loads(text: str):
    """json.loads that refuses NaN, Infinity and -Infinity tokens."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- entries


def test_mb_per_s_is_bytes_over_seconds():
    e = make_entry("gpt2", CORPORA[0], 0, 0)
    assert e.mb_per_s == pytest.approx(e.metrics.n_bytes / 1e6 / e.encode_seconds, rel=1e-15)
    assert dataclasses.replace(e, encode_seconds=None).mb_per_s is None
    assert dataclasses.replace(e, encode_seconds=0.0).mb_per_s is None
    shard = dataclasses.replace(e, metrics=dataclasses.replace(e.metrics, n_bytes=None))
    assert shard.mb_per_s is None


def test_create_fills_meta(report):
    meta = report.meta
    assert meta["orders"] == [1, 2, 3, 4]
    assert meta["alpha"] == 2.5 and meta["estimator"] == "plugin"
    assert meta["corpus"] == "test corpora" and meta["notes"] == ["a note"] and meta["seed"] == 3
    assert meta["normalisation"]["renyi_efficiency_types"] == "renyi_entropy / log2(n_types)"
    assert datetime.fromisoformat(meta["created"]).tzinfo is not None
    from entrostat import __version__
    assert meta["entrostat_version"] == __version__


def test_report_rejects_non_entries():
    with pytest.raises(TypeError, match=r"entries\[0\]"):
        Report([{"tokenizer": "gpt2"}])


# --------------------------------------------------------------------------- JSON


def test_json_round_trip_is_exact(report):
    back = Report.from_json(report.to_json())
    assert back == report
    m = back.entries[0].metrics
    assert all(type(k) is int for k in m.conditional_entropy)
    assert all(type(k) is int for k in m.bits_per_byte)
    assert all(type(k) is float for k in m.coverage_tokens)
    assert all(type(v) is int for v in m.coverage_tokens.values())
    assert type(m.n_tokens) is int and type(m.n_bytes) is int
    assert back.entries[3].metrics.n_bytes is None and back.entries[3].encode_seconds is None
    # Compact form too, and the dict form without JSON in between.
    assert Report.from_json(report.to_json(indent=None)) == report
    assert Report.from_dict(report.to_dict()) == report


def test_json_schema_fields(report):
    d = strict_loads(report.to_json())
    assert list(d) == ["schema", "schema_version", "meta", "entries"]
    assert d["schema"] == SCHEMA == "entrostat.tokenizers.report"
    assert d["schema_version"] == SCHEMA_VERSION == 1
    assert set(d["meta"]) >= {"entrostat_version", "created", "orders", "alpha", "estimator",
                              "corpus", "normalisation", "notes"}
    metric_fields = {f.name for f in dataclasses.fields(TokenMetrics)}
    assert len(d["entries"]) == len(report.entries)
    for e, entry in zip(d["entries"], report.entries, strict=True):
        assert set(e) == {"tokenizer", "corpus", "group", "language", "metrics",
                          "encode_seconds", "metrics_seconds", "parity", "mb_per_s"}
        assert set(e["metrics"]) == metric_fields
        assert e["metrics"]["conditional_entropy"] == {
            str(k): v for k, v in entry.metrics.conditional_entropy.items()}
        assert e["mb_per_s"] == entry.mb_per_s


def test_json_with_nan_and_inf_is_strict_json(report):
    e = report.entries[0]
    m = dataclasses.replace(e.metrics, unigram_entropy=math.nan, renyi_efficiency=math.inf,
                            hapax_share=-math.inf, bytes_per_token=math.nan,
                            conditional_entropy={1: math.nan, 2: 3.0})
    bad = Report([dataclasses.replace(e, metrics=m, parity=math.nan)], {"x": math.nan})
    text = bad.to_json()
    d = strict_loads(text)  # raises on NaN / Infinity tokens
    em = d["entries"][0]["metrics"]
    # NaN is null; infinities are the strings "inf" / "-inf".
    assert em["unigram_entropy"] is None and em["renyi_efficiency"] == "inf"
    assert em["hapax_share"] == "-inf" and em["conditional_entropy"]["1"] is None
    assert d["meta"]["x"] is None and d["entries"][0]["parity"] is None
    back = Report.from_json(text).entries[0]
    # NaN in fields that cannot be None reads back as NaN; in optional ones as None.
    assert math.isnan(back.metrics.unigram_entropy)
    assert back.metrics.renyi_efficiency == math.inf and back.metrics.hapax_share == -math.inf
    assert math.isnan(back.metrics.conditional_entropy[1])
    assert back.metrics.conditional_entropy[2] == 3.0
    assert back.metrics.bytes_per_token is None and back.parity is None


def _mutations():
    def set_(key, value):
        return lambda d: d.__setitem__(key, value)

    def entry_metrics(f):
        return lambda d: f(d["entries"][0]["metrics"])

    return {
        "schema name": set_("schema", "entrostat.other"),
        "no schema": lambda d: d.pop("schema"),
        "newer version": set_("schema_version", 2),
        "version as text": set_("schema_version", "1"),
        "version as float": set_("schema_version", 1.0),
        "no entries": lambda d: d.pop("entries"),
        "extra top key": set_("extra", 1),
        "entries not a list": set_("entries", {}),
        "missing metric": entry_metrics(lambda m: m.pop("n_tokens")),
        "unknown metric": entry_metrics(lambda m: m.__setitem__("surprise", 1.0)),
        "bad dict key": entry_metrics(lambda m: m["conditional_entropy"].__setitem__("x", 1.0)),
        "missing entry key": lambda d: d["entries"][0].pop("corpus"),
    }


@pytest.mark.parametrize("mutation", list(_mutations()))
def test_wrong_schema_raises_value_error(report, mutation):
    d = json.loads(report.to_json())
    _mutations()[mutation](d)
    with pytest.raises(ValueError):
        Report.from_dict(d)
    with pytest.raises(ValueError):
        Report.from_json(json.dumps(d))


def test_from_json_rejects_non_report():
    with pytest.raises(ValueError, match="schema"):
        Report.from_json("[1, 2]")
    with pytest.raises(ValueError):
        Report.from_json("{not json")


# --------------------------------------------------------------------------- CSV, pandas


def test_csv_rows_and_values(report):
    rows = list(csv.reader(io.StringIO(report.to_csv())))
    header, body = rows[0], rows[1:]
    assert header == report.columns()
    assert len(body) == len(report.entries)
    assert all(len(r) == len(header) for r in body)
    assert header[:5] == ["tokenizer", "corpus", "group", "language", "n_tokens"]
    for name in ("cond_entropy_1", "cond_entropy_4", "bits_per_byte_4", "coverage_50",
                 "coverage_90", "coverage_99", "parity", "mb_per_s"):
        assert name in header
    assert "cond_entropy_5" not in header
    for row, e in zip(body, report.entries, strict=True):
        cell = dict(zip(header, row, strict=True))
        m = e.metrics
        assert cell["tokenizer"] == e.tokenizer and cell["corpus"] == e.corpus
        assert cell["group"] == (e.group or "") and cell["language"] == (e.language or "")
        assert int(cell["n_tokens"]) == m.n_tokens
        assert float(cell["unigram_entropy"]) == m.unigram_entropy  # repr: exact
        assert float(cell["cond_entropy_2"]) == m.conditional_entropy[2]
        assert int(cell["coverage_90"]) == m.coverage_tokens[0.9]
        if m.n_bytes is None:  # the id shard: nothing per byte, no order 4, no timing
            assert cell["bytes_per_token"] == cell["bits_per_byte_1"] == ""
            assert cell["cond_entropy_4"] == cell["mb_per_s"] == cell["encode_seconds"] == ""
        else:
            assert float(cell["bytes_per_token"]) == m.n_bytes / m.n_tokens
            assert float(cell["bits_per_byte_3"]) == pytest.approx(
                m.n_tokens * m.conditional_entropy[3] / m.n_bytes, rel=1e-14)
            assert float(cell["mb_per_s"]) == pytest.approx(
                m.n_bytes / 1e6 / e.encode_seconds, rel=1e-14)
        assert cell["parity"] == ("" if e.parity is None else repr(e.parity))


def test_to_pandas_without_pandas_says_what_to_install(report, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match="pip install pandas"):
        report.to_pandas()


def test_to_pandas_passes_rows_and_columns(report, monkeypatch):
    calls = []
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda data, columns: calls.append((data, columns)) or "frame"
    monkeypatch.setitem(sys.modules, "pandas", fake)
    assert report.to_pandas() == "frame"
    (data, columns), = calls
    assert columns == report.columns() and data == report.rows()
    assert [r["tokenizer"] for r in data] == [e.tokenizer for e in report.entries]


# --------------------------------------------------------------------------- Markdown, table


def _markdown_tables(text: str) -> list[list[list[str]]]:
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            if current is None:
                current = []
                tables.append(current)
            # Cells split at pipes not escaped by a backslash.
            current.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])])
        else:
            current = None
    return tables


def test_markdown_one_row_per_entry(report):
    tables = _markdown_tables(report.to_markdown())
    assert len(tables) == 3  # one per corpus: wiki-en, flores-de, shard.bin
    rows = []
    for t in tables:
        head, sep, *body = t
        assert head[0] == "tokenizer" and all(set(c) <= set(":-") for c in sep)
        assert all(len(r) == len(head) for r in (sep, *body))
        rows += body
    assert [r[0] for r in rows] == ["gpt2", "o200k_base", "gpt2", "gpt2"]
    assert len(rows) == len(report.entries)
    head = tables[0][0]
    e = report.entries[0]
    assert rows[0][head.index("bytes/token")] == f"{e.metrics.bytes_per_token:.2f}"
    assert rows[3][head.index("bytes/token")] == "-"  # the id shard


def test_markdown_escapes_pipes(report):
    e = dataclasses.replace(report.entries[0], tokenizer="a|b")
    text = Report([e]).to_markdown()
    assert "a\\|b" in text
    (table,) = _markdown_tables(text)
    assert len(table[2]) == len(table[0])


@pytest.mark.parametrize("width", [100, 80])
def test_table_fits_width_and_names_everything(width):
    report = big_report()
    text = report.to_table(width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "\x1b[" not in text  # no ANSI codes unless color=True
    for name in (*TOKENIZERS, *(c[0] for c in CORPORA)):
        assert name in text
    for header in ("tokens/", "fertility", "H(t|3", "parity", "MB/s", "Renyi", "hapax", "trips"):
        assert header in text
    # Each corpus heads its group once per table block; at 100 columns both tables fit.
    blocks = sum(line.startswith(("Compression and context", "Vocabulary use"))
                 for line in lines)
    assert blocks == 2 if width == 100 else blocks > 2
    # (a narrow continuation block may fold the heading after its first word)
    assert text.count("python-stdlib") == blocks


def test_narrow_table_folds_long_names_and_keeps_every_value(report):
    long = dataclasses.replace(report.entries[1], tokenizer="hf:org/" + "x" * 60)
    text = Report([long, report.entries[0]]).to_table(width=50)
    assert max(len(line) for line in text.splitlines()) <= 50
    cells = [c.cell(long) for cols in _key_columns([long]) for c in cols]
    words = text.split()
    assert all(cell in words for cell in cells), cells
    # Folded, not cut: the pieces of the name, read in order, give it back once per block.
    pieces = "".join(w for w in words if re.fullmatch(r"(hf:org/)?x+", w))
    blocks = sum(line.startswith(("Compression", "Vocabulary")) for line in text.splitlines())
    assert blocks >= 2 and pieces == long.tokenizer * blocks


def test_table_shows_entry_values(report):
    text = report.to_table(width=120)
    e = report.entries[1]
    assert f"{e.metrics.bytes_per_token:.2f}" in text
    assert f"{e.metrics.renyi_efficiency_types:.3f}" in text
    assert f"{e.metrics.shannon_efficiency_types:.3f}" in text
    assert "Shannon eff." in text and "types" in text
    assert f"{e.mb_per_s:.1f}" in text or f"{e.mb_per_s:.0f}" in text


def test_table_color_adds_ansi(report):
    assert "\x1b[" in report.to_table(width=100, color=True)


def test_parity_table(report):
    assert report.parity_table() == {"gpt2": {"de": report.entries[2].parity}}


# --------------------------------------------------------------------------- plot


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_plot_writes_png(tmp_path):
    path = tmp_path / "report.png"
    big_report().plot(path, dpi=100)
    assert path.stat().st_size > 20_000
    w, h = _png_size(path)
    # Six panels of 20 bars or 4 lines, three to a row: a page wide, two rows high.
    assert 1000 <= w <= 1500 and 500 <= h <= 800


def test_plot_subset_and_generic_column(tmp_path, report):
    path = tmp_path / "few.png"
    report.plot(path, metrics=["fertility", "parity"], dpi=80)
    w, h = _png_size(path)
    assert 300 <= w <= 2000 and 150 <= h <= 800


def test_plot_default_panels_are_known():
    assert PLOT_PANELS == ("bytes_per_token", "renyi_efficiency", "unigram_entropy",
                           "conditional_entropy", "bits_per_byte", "parity")


def test_plot_errors(tmp_path, report, monkeypatch):
    with pytest.raises(ValueError, match="unknown metrics"):
        report.plot(tmp_path / "x.png", metrics=["bogus"])
    with pytest.raises(ValueError, match="unknown metrics"):
        report.plot(tmp_path / "x.png", metrics=["tokenizer"])
    with pytest.raises(ValueError, match="no entries"):
        Report([]).plot(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "entrostat\[plot\]"'):
        report.plot(tmp_path / "x.png")


@pytest.mark.parametrize("n_tokenizers, step", [(3, 0.05), (19, 0.5 / 18)])
def test_order_panels_keep_each_order_apart(n_tokenizers, step):
    """Tokenizers are shifted sideways at each order, 0.05 apart, closer when many, so
    that one order's points spread over at most half the unit spacing of the orders."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from entrostat.tokenizers._report import _order_panel

    names = [f"tok{i}" for i in range(n_tokenizers)]
    report = Report.create([make_entry(t, c, i, j) for j, c in enumerate(CORPORA[:2])
                            for i, t in enumerate(names)])
    colours = {t: "k" for t in names}
    for per_byte in (False, True):
        ax = Figure().subplots()
        _order_panel(report, "t", "y", per_byte, colours).draw(ax)
        xs = [list(line.get_xdata()) for line in ax.get_lines()]
        assert len(xs) == n_tokenizers
        for k, column in zip((1, 2, 3, 4), zip(*xs, strict=True), strict=True):
            offsets = [x - k for x in column]
            assert offsets == pytest.approx([(i - (n_tokenizers - 1) / 2) * step
                                             for i in range(n_tokenizers)])
            assert max(offsets) - min(offsets) <= 0.5 + 1e-12
