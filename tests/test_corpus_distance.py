"""Tests of ``entrostat.tokenizers._distance``: normalised compression distance (NCD).

Checks are invariants of the NCD (identity near 0, unrelated inputs near 1, symmetry),
closed forms recomputed from the codecs themselves, the equivalence of the input forms
(text, bytes, file, folder, documents), and the window argument that motivates the
defaults: gzip cannot see a repeat beyond 32 KiB, zstd and lzma with a sized window can.
"""

from __future__ import annotations

import bz2
import lzma
import os
import random
import sys
import zlib
from pathlib import Path

import pytest

from entrostat.tokenizers._distance import (
    CODECS,
    DEFAULT_LEVELS,
    compression_distance,
    rank_by_distance,
)

WORDS = ("the of and to in is was for that with as on by at from his her which an be this "
         "are or had not have it were but one all their they has been its who more she "
         "would also first after new two other some time when into only most there over "
         "city river year people during school between world under state war family "
         "music album team game series season film church house").split()


def prose(n_bytes: int, seed: int) -> str:
    """Pseudo-English: sentences of random common words, about ``n_bytes`` long."""
    rnd = random.Random(seed)
    out, size = [], 0
    while size < n_bytes:
        words = [rnd.choice(WORDS) for _ in range(rnd.randint(6, 16))]
        sentence = " ".join(words).capitalize() + ". "
        out.append(sentence)
        size += len(sentence)
    return "".join(out)[:n_bytes]


def noise(n_bytes: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n_bytes)


def digits(n_bytes: int, seed: int) -> str:
    rnd = random.Random(seed)
    return "".join(rnd.choice("0123456789") for _ in range(n_bytes))


def ncd_by_hand(a: bytes, b: bytes, compress) -> float:
    ca, cb, cab = len(compress(a)), len(compress(b)), len(compress(a + b))
    return (cab - min(ca, cb)) / max(ca, cb)


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("codec", ["gzip", "lzma", "zstd"])
def test_identical_text_is_near_zero(codec):
    x = prose(4000, seed=1)
    # Real compressors can make C(xx) a hair below C(x), hence the small negative slack.
    assert -0.01 < compression_distance(x, x, codec=codec) < 0.1


def test_bz2_identity_is_far_from_zero_but_below_unrelated():
    # bzip2 codes xx at 0.3-0.5 of C(x) extra even inside one 900 kB block (Cebrian et
    # al. 2005): still a distance, but a poor one; documented in compression_distance.
    x = prose(4000, seed=1)
    d_same = compression_distance(x, x, codec="bz2")
    assert 0.1 < d_same < 0.6
    assert d_same < compression_distance(x, noise(4000, 2), codec="bz2") - 0.3


@pytest.mark.parametrize("codec", CODECS)
def test_unrelated_random_bytes_are_near_one(codec):
    # 20 kB each: enough for bz2's fixed overhead (hundreds of bytes) not to matter.
    d = compression_distance(noise(20_000, 1), noise(20_000, 2), codec=codec)
    assert abs(d - 1) < 0.05


@pytest.mark.parametrize("codec", CODECS)
def test_symmetric_within_tolerance(codec):
    a, b = prose(5000, seed=1), prose(5000, seed=2)
    d_ab = compression_distance(a, b, codec=codec)
    d_ba = compression_distance(b, a, codec=codec)
    assert abs(d_ab - d_ba) < 0.05
    # Two texts of one vocabulary are closer than text and noise.
    assert d_ab < compression_distance(a, noise(5000, 3), codec=codec)


def test_gzip_and_bz2_match_the_closed_form():
    a, b = prose(3000, seed=4).encode(), prose(2000, seed=5).encode()
    assert compression_distance(a, b, codec="gzip") == ncd_by_hand(
        a, b, lambda x: zlib.compress(x, 9))
    assert compression_distance(a, b, codec="bz2", level=3) == ncd_by_hand(
        a, b, lambda x: bz2.compress(x, 3))


def test_lzma_matches_the_closed_form():
    a, b = prose(3000, seed=4).encode(), prose(2000, seed=5).encode()

    def raw_lzma(x: bytes) -> bytes:
        # Dictionary: the smallest power of two >= the input (4 KiB at least).
        dict_size = max(4096, 1 << (len(x) - 1).bit_length())
        filters = [{"id": lzma.FILTER_LZMA2, "preset": 6, "dict_size": dict_size}]
        return lzma.compress(x, format=lzma.FORMAT_RAW, filters=filters)

    assert compression_distance(a, b, codec="lzma") == ncd_by_hand(a, b, raw_lzma)


def test_long_window_codecs_see_far_repeats_and_gzip_does_not():
    # A 96 KiB random block repeated: the repeat lies beyond gzip's 32 KiB window.
    r = noise(96 << 10, seed=7)
    assert compression_distance(r, r, codec="gzip") > 0.9
    assert compression_distance(r, r, codec="zstd") < 0.01
    assert compression_distance(r, r, codec="lzma") < 0.01


def test_default_levels():
    assert DEFAULT_LEVELS == {"gzip": 9, "bz2": 9, "lzma": 6, "zstd": 9}
    a, b = prose(2000, seed=1), prose(2000, seed=2)
    for codec, level in DEFAULT_LEVELS.items():
        assert compression_distance(a, b, codec=codec) == compression_distance(
            a, b, codec=codec, level=level)
    assert compression_distance(a, b) == compression_distance(a, b, codec="zstd")


# --------------------------------------------------------------------------- input forms


def test_input_forms_agree(tmp_path):
    a1, a2, b = prose(1500, seed=1), prose(1200, seed=2), prose(2000, seed=3)
    whole = compression_distance(a1 + a2, b)
    assert compression_distance((a1 + a2).encode(), b.encode()) == whole
    (tmp_path / "a.txt").write_text(a1 + a2, encoding="utf-8")
    assert compression_distance(tmp_path / "a.txt", b) == whole
    # A folder: its files in sorted relative-path order; hidden files skipped.
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "2.txt").write_text(a2, encoding="utf-8")
    (folder / "1.txt").write_text(a1, encoding="utf-8")
    (folder / ".hidden").write_text("ignored", encoding="utf-8")
    assert compression_distance(folder, b) == whole
    # Documents are joined by a newline.
    assert compression_distance([a1, a2.encode()], b) == compression_distance(
        a1 + "\n" + a2, b)
    assert compression_distance(iter([a1, a2]), b) == compression_distance(a1 + "\n" + a2, b)


def test_max_bytes_takes_a_prefix(tmp_path):
    a, b = prose(6000, seed=1), prose(6000, seed=2)
    assert compression_distance(a, b, max_bytes=2500) == compression_distance(
        a[:2500], b[:2500], max_bytes=None)
    # Non-ASCII text: the prefix is counted in bytes, not characters.
    c = "naïve café " * 300
    assert compression_distance(c, b, max_bytes=1001) == compression_distance(
        c.encode()[:1001], b[:1001])
    (tmp_path / "a.txt").write_text(a, encoding="utf-8")
    assert compression_distance(tmp_path / "a.txt", b, max_bytes=2500) == (
        compression_distance(a[:2500], b[:2500]))


# --------------------------------------------------------------------------- ranking


def test_copy_of_part_of_target_ranks_first():
    target = prose(20_000, seed=10)
    candidates = {
        "digits": digits(5000, seed=1),
        "other prose": prose(5000, seed=11),
        "copy": target[6000:11_000],
        "noise": noise(5000, seed=2),
    }
    ranked = rank_by_distance(candidates, [target])
    assert [name for name, _ in ranked][0] == "copy"
    assert [name for name, _ in ranked][1] == "other prose"
    distances = [d for _, d in ranked]
    assert distances == sorted(distances)


def test_rank_distances_equal_pairwise_distances(tmp_path):
    target = prose(4000, seed=20)
    (tmp_path / "target.txt").write_text(target, encoding="utf-8")
    (tmp_path / "p.txt").write_text(prose(3000, seed=21), encoding="utf-8")
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "part.txt").write_text(target[:1000], encoding="utf-8")
    # In a sequence, str and Path are both paths; labels are the paths as given.
    candidates = [str(tmp_path / "p.txt"), tmp_path / "q"]
    for tgt in (str(tmp_path / "target.txt"), tmp_path / "target.txt", target.encode(),
                [target]):
        ranked = dict(rank_by_distance(candidates, tgt, codec="lzma", workers=2))
        assert list(ranked) == [str(tmp_path / "q"), str(tmp_path / "p.txt")]
        for c in candidates:
            assert ranked[os.fspath(c)] == compression_distance(
                Path(c), tmp_path / "target.txt", codec="lzma")
    # A mapping takes texts (a str is a text there, as in compression_distance).
    named = dict(rank_by_distance({"t": target[:1000], "u": "some text " * 50}, [target]))
    assert named["t"] == compression_distance(target[:1000], target)
    assert named["u"] == compression_distance("some text " * 50, target)


def test_codecs_agree_on_obviously_different_inputs():
    # Part of the target, text of the same vocabulary, random bytes: each codec puts them
    # in this order, with margins of 0.1 or more at these sizes.
    target = prose(8000, seed=30)
    candidates = {"noise": noise(4000, seed=33), "prose": prose(4000, seed=31),
                  "part": target[:4000]}
    orders = {codec: [name for name, _ in rank_by_distance(candidates, target.encode(),
                                                           codec=codec)]
              for codec in CODECS}
    assert all(order == ["part", "prose", "noise"] for order in orders.values()), orders


# --------------------------------------------------------------------------- errors


def test_unknown_codec_names_the_argument_and_choices():
    with pytest.raises(ValueError, match=r"codec='brotli'.*gzip, bz2, lzma, zstd"):
        compression_distance("a", "b", codec="brotli")
    with pytest.raises(ValueError, match="codec"):
        rank_by_distance({"a": "a"}, [b"b"], codec="zip")


@pytest.mark.parametrize("empty", ["", b"", [], [""]])
def test_empty_input_names_the_argument(empty, tmp_path):
    with pytest.raises(ValueError, match=r"\ba is empty"):
        compression_distance(empty, "text")
    with pytest.raises(ValueError, match=r"\bb is empty"):
        compression_distance("text", empty)
    # In rank_by_distance a str target is a path: the empty text goes in as bytes.
    target = empty.encode() if isinstance(empty, str) else empty
    with pytest.raises(ValueError, match="target is empty"):
        rank_by_distance({"x": "text"}, target)
    with pytest.raises(ValueError, match=r"candidates\['x'\] is empty"):
        rank_by_distance({"x": empty}, [b"text"])


def test_empty_folder_and_file(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match=r"\ba is empty"):
        compression_distance(tmp_path / "empty.txt", "text")
    with pytest.raises(ValueError, match=r"\bb is empty"):
        compression_distance("text", tmp_path / "folder")
    (tmp_path / "full.txt").write_text("text", encoding="utf-8")
    with pytest.raises(ValueError, match=r"candidates\[1\] is empty"):
        rank_by_distance([tmp_path / "full.txt", tmp_path / "folder"], [b"text"])
    with pytest.raises(ValueError, match="target is empty"):
        rank_by_distance([tmp_path / "full.txt"], str(tmp_path / "empty.txt"))


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError) as info:
        compression_distance(missing, "text")
    assert info.value.filename == str(missing)
    (tmp_path / "here.txt").write_text("text", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="a str as a path") as info:
        rank_by_distance([tmp_path / "here.txt", str(missing)], [b"target"])
    assert info.value.filename == str(missing)
    with pytest.raises(FileNotFoundError):
        rank_by_distance([tmp_path / "here.txt"], missing)
    # In rank_by_distance a str target is a path, so a text there is reported as missing.
    with pytest.raises(FileNotFoundError, match="pass texts as a mapping"):
        rank_by_distance([tmp_path / "here.txt"], "some target text")


@pytest.mark.parametrize("kwargs", [{"codec": "gzip", "level": 0}, {"codec": "zstd", "level": 23},
                                    {"codec": "lzma", "level": 1.5}, {"max_bytes": 0},
                                    {"max_bytes": -1}])
def test_bad_level_and_max_bytes(kwargs):
    with pytest.raises(ValueError):
        compression_distance("abc", "abd", **kwargs)


def test_bad_types():
    with pytest.raises(TypeError, match="a must be"):
        compression_distance(3, "text")
    with pytest.raises(TypeError, match="documents must be str or bytes"):
        compression_distance(["ok", 4], "text")
    with pytest.raises(TypeError, match=r"^candidates: expected a sequence of paths or a "
                       r"mapping name -> source, got a single str$"):
        rank_by_distance("one/path", [b"target"])
    with pytest.raises(TypeError, match=r"^candidates: expected a sequence .*, got int$"):
        rank_by_distance(3, [b"target"])
    with pytest.raises(TypeError, match="mapping"):
        rank_by_distance([b"bytes"], [b"target"])
    with pytest.raises(ValueError, match="candidates is empty"):
        rank_by_distance([], [b"target"])
    with pytest.raises(ValueError, match="workers"):
        rank_by_distance({"x": "x"}, [b"target"], workers=0)


def test_zstd_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # makes `import zstandard` fail
    with pytest.raises(ImportError, match=r"entrostat\[tokenizers\]"):
        compression_distance("a", "b", codec="zstd")
    assert 0 <= compression_distance("abc" * 100, "abc" * 100, codec="lzma") < 1
