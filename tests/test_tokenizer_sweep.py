"""The sweep (``entrostat.tokenizers._sweep``): streamed training prefixes, the bytes they
actually hold, and the sweep plot (one colour per vocabulary size, bytes used on the x
axis, no pyplot)."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

from entrostat.tokenizers import Report, TextCorpus, evaluate, sweep
from entrostat.tokenizers._sweep import _Prefix, _size_label, _sweep_figure, plot_sweep


class _Counting(TextCorpus):
    """Documents from a list, counting the passes over them."""

    def __init__(self, docs):
        super().__init__("counting")
        self._docs = list(docs)
        self.passes = 0

    def documents(self):
        self.passes += 1
        yield from self._docs

    def fingerprint(self) -> str:
        return f"counting-{len(self._docs)}"


# ------------------------------------------------------------------------ training prefix


def test_prefix_cuts_at_a_character_and_streams():
    parent = _Counting(["abcd", "éé", "xyz"])  # 4 + 4 + 3 UTF-8 bytes
    six = _Prefix(parent, 6)
    assert parent.passes == 0  # nothing is read until asked
    assert list(six.documents()) == ["abcd", "é"]  # the cut keeps whole characters
    assert list(six.documents()) == ["abcd", "é"] and parent.passes == 2
    assert six.total_bytes() == 6 and six.name == "train[:6B]"
    five = _Prefix(parent, 5)  # the cut falls inside "é": its first byte is dropped
    assert list(five.documents()) == ["abcd", ""] and five.total_bytes() == 4
    whole = _Prefix(parent, 1 << 20)
    assert list(whole.documents()) == parent._docs and whole.total_bytes() == 11
    # The cache key follows the bytes used: equal text, one key; other text, another.
    assert five.fingerprint() == _Prefix(parent, 4).fingerprint()
    assert whole.fingerprint() == _Prefix(parent, 11).fingerprint()
    assert len({five.fingerprint(), six.fingerprint(), whole.fingerprint()}) == 3


def test_sweep_records_bytes_used_and_reuses_equal_prefixes(tmp_path):
    pytest.importorskip("tokenizers")
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(200)]
    train = TextCorpus.from_texts([" ".join(rng.choice(words, 40)) for _ in range(60)])
    total = train.total_bytes()
    assert 8_000 < total < 32 << 10  # so 32K and 64K both ask for more than there is
    test = [TextCorpus.from_texts([" ".join(rng.choice(words, 40)) for _ in range(10)],
                                  name="held")]
    messages = []
    report = sweep([300], [2 << 10, 32 << 10, 64 << 10], train=train, test=test,
                   orders=(1, 2), cache_dir=tmp_path, log=messages.append)
    plan = report.meta["sweep"]
    assert [(p["tokenizer"], p["train_bytes"], p["used_bytes"]) for p in plan] == [
        ("bpe:300@2K", 2048, 2048), ("bpe:300@32K", 32 << 10, total),
        ("bpe:300@64K", 64 << 10, total)]
    assert "training bpe:300 on 2K of text" in messages
    # The two scales past the end train on the same text: one cached tokenizer for both.
    assert len(list(tmp_path.rglob("bpe-300-*.json"))) == 2
    m = {e.tokenizer: e.metrics for e in report.entries}
    assert m["bpe:300@32K"] == m["bpe:300@64K"] != m["bpe:300@2K"]


# ---------------------------------------------------------------------------------- plot

# (tokenizer, vocabulary, bytes asked, bytes used): the larger scale gets less than it asks.
PLAN = [("bpe:300@1K", 300, 1024, 1000), ("bpe:300@4K", 300, 4096, 3000),
        ("bpe:600@1K", 600, 1024, 1000), ("bpe:600@4K", 600, 4096, 3000)]


def _h1(vocab: int, used: int, corpus: str) -> float:
    return vocab / 100 + used / 1000 + (0.5 if corpus == "b" else 0.0)


@pytest.fixture(scope="module")
def sweep_report() -> Report:
    """A sweep report built by hand: real metrics of ``bytes`` on two corpora, renamed
    to the four tokenizers of ``PLAN`` and given a known H1 each."""
    corpora = [TextCorpus.from_texts(["ab ab", "ba ab"], name="a"),
               TextCorpus.from_texts(["abc", "cab"], name="b")]
    base = evaluate(["bytes"], corpora, orders=(1, 2), roundtrip=False)
    entries = [
        dataclasses.replace(e, tokenizer=name,
                            metrics=dataclasses.replace(e.metrics,
                                                        unigram_entropy=_h1(v, used, e.corpus)))
        for name, v, _, used in PLAN for e in base.entries
    ]
    plan = [{"tokenizer": n, "vocab_size": v, "train_bytes": b, "used_bytes": u}
            for n, v, b, u in PLAN]
    return Report.create(entries, sweep=plan)


def _lines(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines()}


def test_sweep_plot_one_colour_per_vocabulary_and_bytes_used(sweep_report):
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex

    fig = _sweep_figure(sweep_report)
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert [ax.get_title(loc="left") for ax in axes] == [
        "Unigram entropy H1", "H(t | 1 previous)", "R\u00e9nyi efficiency (\u03b1 = 2.5, by |V|)",
        "Bits per byte at order 2"]
    colours, styles = [], []
    for ax in axes:
        lines = _lines(ax)
        assert sorted(lines) == ["|V| = 300, a", "|V| = 300, b", "|V| = 600, a", "|V| = 600, b"]
        colours.append({k: to_hex(v.get_color()) for k, v in lines.items()})
        styles.append({k: v.get_linestyle() for k, v in lines.items()})
        for line in lines.values():  # x: the bytes used, not the bytes asked for
            assert list(line.get_xdata()) == [1000, 3000]
        assert ax.get_xlabel() == "training bytes used"
        assert [t.get_text() for t in ax.get_xticklabels()] == ["1000B", "2.9K"]
    # One colour per vocabulary size, the same in every panel and on every corpus;
    # corpora told apart by line style.
    assert all(c == colours[0] for c in colours) and all(s == styles[0] for s in styles)
    c = colours[0]
    assert c["|V| = 300, a"] == c["|V| = 300, b"] != c["|V| = 600, a"] == c["|V| = 600, b"]
    s = styles[0]
    assert s["|V| = 300, a"] == s["|V| = 600, a"] != s["|V| = 300, b"] == s["|V| = 600, b"]
    h1 = _lines(axes[0])["|V| = 600, b"]
    assert list(h1.get_ydata()) == [_h1(600, 1000, "b"), _h1(600, 3000, "b")]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "|V| = 300", "|V| = 600", "held-out: a", "held-out: b"]


def test_plot_sweep_writes_png_without_pyplot(sweep_report, tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")

    def refuse(*args, **kwargs):
        raise AssertionError("plot_sweep must not change matplotlib's global backend")

    # Importing pyplot now fails, and so does switching the backend.
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    monkeypatch.setattr(matplotlib, "use", refuse)
    path = tmp_path / "sweep.png"
    plot_sweep(sweep_report, path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_sweep_needs_a_sweep_report(sweep_report, tmp_path):
    pytest.importorskip("matplotlib")
    plain = Report(sweep_report.entries, {k: v for k, v in sweep_report.meta.items()
                                          if k != "sweep"})
    with pytest.raises(ValueError, match="not a sweep report"):
        plot_sweep(plain, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_plot_sweep_names_itself_without_matplotlib(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"^plot_sweep needs matplotlib"):
        plot_sweep(None, tmp_path / "s.png")


def test_size_labels():
    assert [_size_label(n) for n in (1000, 256 << 10, 1 << 20, 4_089_446, 16 << 30)] == [
        "1000B", "256K", "1M", "3.9M", "16G"]
