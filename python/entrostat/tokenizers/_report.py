"""A report of tokenizers evaluated on corpora: JSON, CSV, Markdown, terminal tables, plots.

One :class:`Entry` holds the :class:`~entrostat.tokenizers._metrics.TokenMetrics` of one
tokenizer on one corpus plus timings; a :class:`Report` is a list of entries and a ``meta``
dict. The JSON form is versioned (``SCHEMA``, ``SCHEMA_VERSION``) and documented in
``docs/tokenizers.md``; it round-trips exactly through :meth:`Report.to_json` /
:meth:`Report.from_json`, infinities included (written as ``"inf"``/``"-inf"``; NaN is
``null``, read back as NaN, or as None in a field that may be None).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import numbers
import shutil
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .. import _validate
from ._metrics import COVERAGE_SHARES, TokenMetrics

__all__ = ["SCHEMA", "SCHEMA_VERSION", "NORMALISATION", "PLOT_PANELS", "Entry", "Report"]

SCHEMA = "entrostat.tokenizers.report"
SCHEMA_VERSION = 1

_DICT_KEYS = ("conditional_entropy", "bits_per_byte", "coverage_tokens")
_ENTRY_FIELDS = ("tokenizer", "corpus", "group", "language", "encode_seconds",
                 "metrics_seconds", "parity")
_ENTRY_DERIVED = ("mb_per_s",)
_MISSING = "-"  # what tables show for a value that was not measured


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Entry:
    """The metrics of one tokenizer on one corpus.

    Attributes
    ----------
    tokenizer : str
        Tokenizer spec or name.
    corpus : str
        Corpus name.
    group : str or None
        Kind of corpus: ``"code"``, ``"prose"``, ``"parallel"`` or None.
    language : str or None
        Natural or programming language of the corpus.
    metrics : TokenMetrics
        The metrics.
    encode_seconds : float or None
        Wall time spent in the encoder (None for pre-tokenised id shards); the counting
        of the previous batch runs meanwhile and shares the cores.
    metrics_seconds : float or None
        Wall time the counting added: the final metrics plus, while encoding, the waits
        for counting that the encoding did not hide (a batch is counted while the next
        one encodes) and the round-trip decoding.
    parity : float or None
        Tokens per byte of this corpus divided by tokens per byte of the reference corpus,
        same tokenizer: > 1 means this corpus costs more tokens per byte. (Petrov et al.
        2023 define parity per parallel sentence, i.e. per unit of content; per byte, the
        ratio also carries the UTF-8 length of each script.)

    References
    ----------
    A. Petrov, E. La Malfa, P. H. S. Torr and A. Bibi, "Language model tokenizers
    introduce unfairness between languages", NeurIPS 2023.
    """

    tokenizer: str
    corpus: str
    group: str | None
    language: str | None
    metrics: TokenMetrics
    encode_seconds: float | None
    metrics_seconds: float | None
    parity: float | None = None

    @property
    def mb_per_s(self) -> float | None:
        """Encoding throughput, ``metrics.n_bytes / 1e6 / encode_seconds`` (None if unknown)."""
        n_bytes, secs = self.metrics.n_bytes, self.encode_seconds
        if n_bytes is None or secs is None or not secs > 0:
            return None
        return n_bytes / 1e6 / secs

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the fields, ``metrics`` as a dict, and the derived ``mb_per_s``."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _ENTRY_FIELDS[:4]}
        out["metrics"] = self.metrics.to_dict()
        for name in (*_ENTRY_FIELDS[4:], *_ENTRY_DERIVED):
            out[name] = getattr(self, name)
        return _plain(out)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Entry:
        """Inverse of :meth:`to_dict` (``mb_per_s`` is recomputed, not read)."""
        return _entry_from_dict(d, "entry")


def _entry_from_dict(d: Any, where: str) -> Entry:
    """An entry read from JSON; errors name the path, e.g. ``entries[0].metrics.n_tokens``."""
    # group, language, timings and parity may be left out (null) in hand-written files.
    _check_keys(d, required={"tokenizer", "corpus", "metrics"},
                allowed={*_ENTRY_FIELDS, *_ENTRY_DERIVED, "metrics"}, what=where)
    kwargs = {name: _read_value(_ENTRY_HINTS[name], d.get(name), f"{where}.{name}")
              for name in _ENTRY_FIELDS}
    return Entry(metrics=_metrics_from_dict(d["metrics"], f"{where}.metrics"), **kwargs)


def _check_keys(d: Any, *, required: set[str], allowed: set[str], what: str) -> None:
    if not isinstance(d, Mapping):
        raise ValueError(f"{what}: expected an object, got {type(d).__name__}")
    missing = sorted(required - d.keys())
    unknown = sorted(d.keys() - allowed)
    if missing or unknown:
        parts = [f"missing {missing}" if missing else "", f"unknown {unknown}" if unknown else ""]
        raise ValueError(f"{what}: {', '.join(p for p in parts if p)} "
                         f"(schema {SCHEMA} version {SCHEMA_VERSION})")


def _nullable(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


_METRIC_HINTS = typing.get_type_hints(TokenMetrics)
_ENTRY_HINTS = typing.get_type_hints(Entry)
_METRIC_FIELDS = {f.name: f for f in dataclasses.fields(TokenMetrics)}
_METRIC_REQUIRED = {name for name, f in _METRIC_FIELDS.items()
                    if f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING}

# JSON has no token for infinities: they are written as these strings (NaN as null).
_INF = {"inf": math.inf, "-inf": -math.inf}


def _invalid(path: str, expected: str, value: Any) -> ValueError:
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return ValueError(f"{path}: expected {expected}, got {shown} ({type(value).__name__})")


def _read_int(value: Any, path: str, nullable: bool) -> int | None:
    """A count: a non-negative integer (not a bool, not a float such as 5.0)."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise _invalid(path, "a non-negative integer" + (" or null" if nullable else ""), value)
    return int(value)


def _read_float(value: Any, path: str, nullable: bool) -> float | None:
    """A number; null is None where the field may be None, NaN where it may not."""
    if value is None:
        return None if nullable else math.nan
    if isinstance(value, str) and value in _INF:
        return _INF[value]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _invalid(path, 'a number, null, "inf" or "-inf"', value)
    return value


def _read_str(value: Any, path: str, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _invalid(path, "a string" + (" or null" if nullable else ""), value)
    return value


_READERS: dict[type, Callable[[Any, str, bool], Any]] = {
    int: _read_int, float: _read_float, str: _read_str}


def _read_key(key: Any, path: str, kind: type) -> Any:
    """A key of ``conditional_entropy``/``bits_per_byte`` (an order >= 1) or of
    ``coverage_tokens`` (a share in (0, 1]), written as a string."""
    try:
        value = kind(key) if isinstance(key, str) else key
    except ValueError:
        value = None
    ok = (isinstance(value, int) and value >= 1) if kind is int else (
        isinstance(value, float) and 0 < value <= 1)
    if isinstance(value, bool) or not ok:
        what = "an n-gram order (an integer >= 1)" if kind is int else "a share in (0, 1]"
        raise ValueError(f"{path}: key {key!r} is not {what}")
    return value


def _read_value(hint: Any, value: Any, path: str) -> Any:
    """``value`` read from JSON as the type ``hint`` of a field says; ValueError naming
    ``path`` and the expected type otherwise."""
    nullable = _nullable(hint)
    base = next(a for a in typing.get_args(hint) if a is not type(None)) if nullable else hint
    if typing.get_origin(base) is dict:
        if value is None:
            return None if nullable else {}
        if not isinstance(value, Mapping):
            raise _invalid(path, "an object" + (" or null" if nullable else ""), value)
        kind, item = typing.get_args(base)
        return {_read_key(k, path, kind): _READERS[item](v, f"{path}[{k!r}]", False)
                for k, v in value.items()}
    return _READERS[base](value, path, nullable)


def _metrics_from_dict(d: Any, where: str) -> TokenMetrics:
    _check_keys(d, required=_METRIC_REQUIRED, allowed=set(_METRIC_FIELDS), what=where)
    return TokenMetrics(**{name: _read_value(_METRIC_HINTS[name], v, f"{where}.{name}")
                           for name, v in d.items()})


def _plain(obj: Any) -> Any:
    """JSON-plain copy: str keys, lists for tuples, None for NaN, "inf"/"-inf" for
    infinities, Python scalars."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (bool, str)) or obj is None:
        return obj
    if hasattr(obj, "item") and callable(obj.item):  # NumPy scalars
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        # JSON has no NaN or infinity; strict parsers reject Python's tokens. Infinities
        # are kept as strings (a Renyi alpha of inf, a fertility with no words), which
        # the reader turns back into floats where the schema has a number.
        return None if math.isnan(obj) else "inf" if obj > 0 else "-inf"
    return obj


# --------------------------------------------------------------------------- columns


def _share_label(share: float) -> str:
    """``0.9 -> "90"``, ``0.999 -> "99.9"``: a coverage share as a percent for names."""
    return f"{share * 100:.10g}"


def _orders(entries: Iterable[Entry]) -> list[int]:
    return sorted({k for e in entries for k in e.metrics.conditional_entropy}
                  | {k for e in entries for k in (e.metrics.bits_per_byte or {})})


def _shares(entries: Iterable[Entry]) -> list[float]:
    return sorted(set(COVERAGE_SHARES) | {s for e in entries for s in e.metrics.coverage_tokens})


_SCALAR_METRICS = tuple(name for name in _METRIC_FIELDS if name not in _DICT_KEYS)


def _fmt_fixed(digits: int) -> Callable[[Any], str]:
    return lambda v: f"{v:.{digits}f}"


def _fmt_percent(v: float) -> str:
    return f"{100 * v:.1f}%"


def _fmt_int(v: int) -> str:
    return f"{v:,}"


def _fmt_rate(v: float) -> str:
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


@dataclass(frozen=True)
class _Column:
    """A key metric of the tables: header (``\\n`` where it may wrap), getter, format."""

    header: str
    get: Callable[[Entry], Any]
    fmt: Callable[[Any], str]

    @property
    def flat_header(self) -> str:
        """The header on one line: ``"bytes/\\ntoken" -> "bytes/token"``."""
        return self.header.replace("/\n", "/").replace("\n", " ")

    def width(self, entries: Sequence[Entry]) -> int:
        """Characters the column needs: its widest header line or cell."""
        return max(*(len(line) for line in self.header.split("\n")),
                   *(len(self.cell(e)) for e in entries))

    def cell(self, entry: Entry) -> str:
        value = self.get(entry)
        if value is None:
            return _MISSING
        if isinstance(value, float) and math.isnan(value):
            return "nan"
        return self.fmt(value)


def _conditional(k: int) -> Callable[[Entry], Any]:
    return lambda e: e.metrics.conditional_entropy.get(k)


def _bits_per_byte(k: int) -> Callable[[Entry], Any]:
    return lambda e: (e.metrics.bits_per_byte or {}).get(k)


def _coverage(share: float) -> Callable[[Entry], Any]:
    return lambda e: e.metrics.coverage_tokens.get(share)


def _attr(name: str) -> Callable[[Entry], Any]:
    return lambda e: getattr(e.metrics, name)


def _key_columns(entries: Sequence[Entry]) -> tuple[list[_Column], list[_Column]]:
    """The key metrics, as two groups: compression/context, and vocabulary use."""
    orders = _orders(entries)
    top = orders[-1] if orders else 1
    fix2, fix3 = _fmt_fixed(2), _fmt_fixed(3)
    compression = [
        _Column("bytes/\ntoken", _attr("bytes_per_token"), fix2),
        _Column("tokens/\nword", _attr("fertility"), fix2),
        _Column("H1", _attr("unigram_entropy"), fix2),
        *(_Column(f"H(t|{k - 1}\nprev)", _conditional(k), fix2)
          for k in orders if 2 <= k <= 4),
        _Column(f"bits/byte\norder {top}", _bits_per_byte(top), fix3),
        _Column("parity", lambda e: e.parity, fix2),
        _Column("MB/s", lambda e: e.mb_per_s, _fmt_rate),
    ]
    vocabulary = [
        _Column("Shannon\neff. |V|", _attr("shannon_efficiency"), fix3),
        _Column("Shannon eff.\ntypes", _attr("shannon_efficiency_types"), fix3),
        _Column("Renyi\neff. |V|", _attr("renyi_efficiency"), fix3),
        _Column("Renyi eff.\ntypes", _attr("renyi_efficiency_types"), fix3),
        _Column("vocab\nused", _attr("vocab_used"), _fmt_percent),
        _Column("types for\n90% cov.", _coverage(0.9), _fmt_int),
        _Column("hapax", _attr("hapax_share"), _fmt_percent),
        _Column("round\ntrips", _attr("roundtrip_share"), _fmt_percent),
    ]
    return compression, vocabulary


def _by_corpus(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Entries grouped by corpus, corpora in order of first appearance."""
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        groups.setdefault(e.corpus, []).append(e)
    return groups


def _corpus_label(entries: Sequence[Entry]) -> str:
    e = entries[0]
    about = ", ".join(x for x in (e.group, e.language) if x)
    return f"{e.corpus} ({about})" if about else e.corpus


def _common(values: Iterable[Any]) -> Any:
    """The one distinct value, or the sorted list of them when they differ."""
    distinct = sorted(set(values), key=repr)
    return distinct[0] if len(distinct) == 1 else distinct


def _describe(value: Any) -> str:
    """A value of :func:`_common` for a caption: lists joined by slashes."""
    return "/".join(map(str, value)) if isinstance(value, list) else str(value)


# --------------------------------------------------------------------------- report


#: How the normalised metrics are defined, recorded in ``meta["normalisation"]``.
NORMALISATION = {
    "bytes_per_token": "n_bytes / n_tokens",
    "fertility": "n_tokens / n_words",
    "shannon_efficiency": "unigram_entropy / log2(vocab_size)",
    "shannon_efficiency_types": "unigram_entropy / log2(n_types)",
    "renyi_efficiency": "renyi_entropy / log2(vocab_size)",
    "renyi_efficiency_types": "renyi_entropy / log2(n_types)",
    "bits_per_byte": "n_tokens * conditional_entropy[k] / n_bytes",
    "vocab_used": "n_types / vocab_size",
    "parity": "(n_tokens / n_bytes) / (n_tokens / n_bytes of the reference corpus), "
              "same tokenizer",
    "mb_per_s": "n_bytes / 1e6 / encode_seconds",
}

#: Panels :meth:`Report.plot` draws by default (any numeric CSV column can be added).
PLOT_PANELS = ("bytes_per_token", "renyi_efficiency", "unigram_entropy", "conditional_entropy",
               "bits_per_byte", "parity")


@dataclass
class Report:
    """Tokenizers evaluated on corpora.

    Attributes
    ----------
    entries : list of Entry
        One per (tokenizer, corpus).
    meta : dict
        Free-form, JSON-plain description of the run (stored in JSON form: tuples become
        lists, NaN becomes None, infinities the strings ``"inf"`` and ``"-inf"``).
        :meth:`create` fills the documented keys ``entrostat_version``, ``created``,
        ``orders``, ``alpha``, ``estimator``, ``corpus``, ``normalisation`` and ``notes``.

    Notes
    -----
    The JSON schema is documented in ``docs/tokenizers.md`` (schema
    ``"entrostat.tokenizers.report"``, version 1).
    """

    entries: list[Entry]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.meta, Mapping):
            raise TypeError(f"meta must be a dict, not {type(self.meta).__name__}")
        self.entries = list(self.entries)
        for i, e in enumerate(self.entries):
            if not isinstance(e, Entry):
                raise TypeError(f"entries[{i}] is {type(e).__name__}, not Entry")
        self.meta = _plain(self.meta)

    @classmethod
    def create(cls, entries: Iterable[Entry], *, corpus: str | None = None,
               notes: Sequence[str] = (), **extra: Any) -> Report:
        """A report whose ``meta`` records the version, time and settings of the run.

        ``orders``, ``alpha`` and ``estimator`` are read from the entries' metrics (a list
        when the entries disagree); ``corpus`` describes the corpora; ``normalisation``
        states how the normalised metrics are defined (``NORMALISATION``), so that a JSON
        file explains itself; ``notes`` are free-text remarks (caveats, settings);
        ``extra`` keys are added as given.
        """
        from .._core import __version__

        entries = list(entries)
        meta: dict[str, Any] = {
            "entrostat_version": __version__,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "orders": _orders(entries),
            "alpha": _common(e.metrics.alpha for e in entries) if entries else None,
            "estimator": _common(e.metrics.estimator for e in entries) if entries else None,
            "corpus": corpus,
            "normalisation": dict(NORMALISATION),
            "notes": list(notes),
        }
        meta.update(extra)
        return cls(entries, meta)

    # ------------------------------------------------------------------ JSON

    def to_dict(self) -> dict[str, Any]:
        """The JSON-plain form (schema ``SCHEMA``, version ``SCHEMA_VERSION``)."""
        return {"schema": SCHEMA, "schema_version": SCHEMA_VERSION, "meta": _plain(self.meta),
                "entries": [e.to_dict() for e in self.entries]}

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON: no NaN/Infinity tokens; NaN is ``null`` and infinities are the
        strings ``"inf"`` and ``"-inf"``, read back as floats by :meth:`from_json`."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        """Inverse of :meth:`to_dict`; ``ValueError`` for another schema or version, or for
        a value of the wrong type (the message names its path, such as
        ``entries[0].metrics.n_tokens``, and the type expected)."""
        if not isinstance(d, Mapping) or d.get("schema") != SCHEMA:
            found = d.get("schema") if isinstance(d, Mapping) else type(d).__name__
            raise ValueError(f"not an entrostat tokenizer report: schema is {found!r}, "
                             f"expected {SCHEMA!r}")
        version = d.get("schema_version")
        if type(version) is not int or version != SCHEMA_VERSION:
            newer = " (written by a newer entrostat?)" if isinstance(version, int) else ""
            raise ValueError(f"unsupported schema_version {version!r}{newer}; this entrostat "
                             f"reads version {SCHEMA_VERSION}")
        _check_keys(d, required={"schema", "schema_version", "meta", "entries"},
                    allowed={"schema", "schema_version", "meta", "entries"}, what="report")
        if not isinstance(d["meta"], Mapping) or not isinstance(d["entries"], list):
            raise ValueError("report: meta must be an object and entries a list")
        entries = [_entry_from_dict(e, f"entries[{i}]") for i, e in enumerate(d["entries"])]
        return cls(entries, dict(d["meta"]))

    @classmethod
    def from_json(cls, text: str | bytes) -> Report:
        """Read :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    # ------------------------------------------------------------------ flat tables

    def columns(self) -> list[str]:
        """Column names of :meth:`to_csv` and :meth:`to_pandas`."""
        orders = _orders(self.entries)
        return [
            "tokenizer", "corpus", "group", "language", *_SCALAR_METRICS,
            *(f"cond_entropy_{k}" for k in orders),
            *(f"bits_per_byte_{k}" for k in orders),
            *(f"coverage_{_share_label(s)}" for s in _shares(self.entries)),
            "encode_seconds", "metrics_seconds", "parity", "mb_per_s",
        ]

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per entry, keyed by :meth:`columns` (None where not measured)."""
        orders, shares = _orders(self.entries), _shares(self.entries)
        out = []
        for e in self.entries:
            m = e.metrics
            row: dict[str, Any] = {"tokenizer": e.tokenizer, "corpus": e.corpus,
                                   "group": e.group, "language": e.language}
            row.update({name: getattr(m, name) for name in _SCALAR_METRICS})
            row.update({f"cond_entropy_{k}": m.conditional_entropy.get(k) for k in orders})
            row.update({f"bits_per_byte_{k}": (m.bits_per_byte or {}).get(k) for k in orders})
            row.update({f"coverage_{_share_label(s)}": m.coverage_tokens.get(s)
                        for s in shares})
            row.update(encode_seconds=e.encode_seconds, metrics_seconds=e.metrics_seconds,
                       parity=e.parity, mb_per_s=e.mb_per_s)
            out.append(row)
        return out

    def to_csv(self) -> str:
        """CSV, one row per entry; empty cells for None, ``nan`` for NaN, full precision."""
        cols = self.columns()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        for row in self.rows():
            writer.writerow(["" if row[c] is None else repr(row[c]) if isinstance(row[c], float)
                             else row[c] for c in cols])
        return out.getvalue()

    def to_pandas(self):
        """A ``pandas.DataFrame`` with the :meth:`to_csv` columns, one row per entry."""
        try:
            import pandas as pd
        except ImportError as err:
            raise ImportError("Report.to_pandas needs pandas: pip install pandas "
                              "(or use Report.to_csv / Report.rows)") from err
        return pd.DataFrame(self.rows(), columns=self.columns())

    # ------------------------------------------------------------------ text tables

    def _caption(self) -> str:
        alpha = _describe(_common(e.metrics.alpha for e in self.entries))
        estimator = _describe(_common(e.metrics.estimator for e in self.entries))
        return (f"entropies in bits ({estimator} estimator); Renyi alpha = {alpha}; "
                "eff. = efficiency, normalised by log2 |V| or by log2 of the types seen; "
                "tokens/word = fertility; parity = tokens/byte relative to the reference "
                "corpus")

    def to_markdown(self) -> str:
        """GitHub-flavoured Markdown: a caption, then one table per corpus."""
        if not self.entries:
            return "_no entries_\n"
        compression, vocabulary = _key_columns(self.entries)
        cols = compression + vocabulary
        head = ["tokenizer", *(c.flat_header for c in cols)]
        caption = self._caption()
        parts = [caption[0].upper() + caption[1:] + ".\n"]
        for entries in _by_corpus(self.entries).values():
            lines = [f"**{_md_escape(_corpus_label(entries))}**", "",
                     "| " + " | ".join(_md_escape(h) for h in head) + " |",
                     "|:---|" + "---:|" * len(cols)]
            lines += ["| " + " | ".join([_md_escape(e.tokenizer), *(c.cell(e) for c in cols)])
                      + " |" for e in entries]
            parts.append("\n".join(lines) + "\n")
        return "\n".join(parts)

    def to_table(self, width: int | None = None, *, color: bool = False) -> str:
        """Text tables for a terminal (readable at 100 columns), rows grouped by corpus.

        Two tables: compression and context (bytes/token, tokens/word, H1, H(t | k prev)
        for k <= 3, bits/byte at the highest order, parity, MB/s), then vocabulary use
        (Shannon and Renyi efficiencies, vocabulary used, types covering 90% of the tokens,
        hapax share). A table too wide for ``width`` continues in a second block.
        ``width`` (a positive integer, in characters) defaults to the terminal's; a
        narrow one folds the names and continues the tables over more blocks. ``color``
        adds ANSI styles.
        """
        from rich.console import Console
        from rich.text import Text

        if width is None:
            width = shutil.get_terminal_size((100, 24)).columns
        else:
            width = _validate.positive_int(width, "width")
        console = Console(file=io.StringIO(), width=width, force_terminal=color,
                          color_system="standard" if color else None, highlight=False)
        if not self.entries:
            console.print("(no entries)")
            return console.file.getvalue()
        groups = _by_corpus(self.entries)
        # Tokenizer names are indented under their corpus; very long ones fold, and
        # so does the name column on a narrow terminal, to leave room for the numbers.
        name_w = min(max(len("tokenizer"), *(len(e.tokenizer) + _INDENT for e in self.entries)),
                     max(_NAME_MAX if width >= 100 else width // 3, len("tokenizer")))
        titles = ("Compression and context", "Vocabulary use")
        for title, cols in zip(titles, _key_columns(self.entries), strict=True):
            widths = [c.width(self.entries) for c in cols]
            for i, chunk in enumerate(_chunks(list(zip(cols, widths, strict=True)),
                                              width - name_w)):
                heading = title if i == 0 else f"{title} (continued)"
                console.print(Text(heading, style="bold"))
                header = _rich_table(name_w, chunk, show_header=True)
                console.print(header)
                console.print("\u2500" * (name_w + sum(w + _GAP for _, w in chunk)),
                              style="dim", overflow="crop", no_wrap=True)
                for entries in groups.values():
                    table = _rich_table(name_w, chunk, title=_corpus_label(entries))
                    for e in entries:
                        table.add_row(" " * _INDENT + e.tokenizer, *(c.cell(e) for c, _ in chunk))
                    console.print(table)
                console.print()
        console.print(self._caption(), style="dim")
        return console.file.getvalue()

    def parity_table(self) -> dict[str, dict[str, float]]:
        """``{tokenizer: {language (or corpus): parity}}`` of the entries with a parity."""
        out: dict[str, dict[str, float]] = {}
        for e in self.entries:
            if e.parity is not None:
                out.setdefault(e.tokenizer, {})[e.language or e.corpus] = e.parity
        return out

    # ------------------------------------------------------------------ plot

    def plot(self, path: str | Any, *, metrics: Sequence[str] | None = None,
             dpi: int = 150) -> None:
        """Save a grid of small panels comparing the tokenizers (PNG, or as ``path`` says).

        Default panels (``PLOT_PANELS``): bytes/token, Renyi efficiency (by |V|), H1 --
        grouped bars, corpora on the x axis --, conditional entropy and bits/byte against
        the n-gram order (all corpora pooled: total bits over total tokens or bytes; the
        band spans the corpora), and parity per language. One colour per tokenizer.
        ``metrics`` picks and orders panels: names from ``PLOT_PANELS`` or any numeric
        column of :meth:`columns` (drawn as bars).

        Uses matplotlib's object API with the Agg renderer (no pyplot, no window, no change
        to the global backend).
        """
        _plot(self, path, PLOT_PANELS if metrics is None else metrics, dpi)


_INDENT = 2  # tokenizer names under their corpus
_NAME_MAX = 32  # widest tokenizer column; longer names fold
_GAP = 2  # spaces between table columns


def _chunks(cols: list[tuple[_Column, int]], room: int) -> list[list[tuple[_Column, int]]]:
    """Consecutive runs of columns that fit in ``room`` characters (at least one each)."""
    chunks: list[list[tuple[_Column, int]]] = [[]]
    used = 0
    for col, w in cols:
        if chunks[-1] and used + w + _GAP > room:
            chunks.append([])
            used = 0
        chunks[-1].append((col, w))
        used += w + _GAP
    return chunks


def _rich_table(name_w: int, chunk: list[tuple[_Column, int]], *, show_header: bool = False,
                title: str | None = None):
    """A borderless rich table with fixed column widths, so stacked tables align."""
    from rich.table import Table
    from rich.text import Text

    # Two spaces between columns: one of right padding plus one of left padding.
    table = Table(box=None, show_header=show_header, header_style="bold", pad_edge=False,
                  padding=(0, 1), title=None if title is None else Text(title, style="bold"),
                  title_justify="left")
    table.add_column("tokenizer", width=name_w, overflow="fold", vertical="bottom")
    for col, w in chunk:
        table.add_column(col.header, width=w, justify="right", no_wrap=True, overflow="crop")
    return table


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")




# --------------------------------------------------------------------------- plotting

_PLOT_STYLE = {
    "font.size": 8.5, "axes.titlesize": 9.5, "axes.titleweight": "bold",
    "axes.labelsize": 8.5, "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 9,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "axes.axisbelow": True, "grid.alpha": 0.3, "grid.linewidth": 0.6,
}


def _import_matplotlib(caller: str = "Report.plot"):
    """matplotlib, Figure and Patch, or an ImportError naming ``caller`` and the extra."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError as err:
        raise ImportError(f'{caller} needs matplotlib: pip install "entrostat[plot]"') from err
    return matplotlib, Figure, Patch


def _colours(matplotlib, n: int) -> list:
    if n <= 10:
        return [matplotlib.colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [matplotlib.colormaps["tab20"](i) for i in range(n)]
    cmap = matplotlib.colormaps["turbo"]
    return [cmap(i / (n - 1)) for i in range(n)]


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _float(v: Any) -> float:
    return math.nan if v is None else float(v)


def _check_panels(report: Report, panels: Sequence[str]) -> list[str]:
    if isinstance(panels, str):
        panels = [panels]
    numeric = {c for c in report.columns() if c not in ("tokenizer", "corpus", "group",
                                                          "language", "estimator")}
    bad = [p for p in panels if p not in PLOT_PANELS and p not in numeric]
    if bad or not panels:
        raise ValueError(f"unknown metrics {bad}; choose from {', '.join(PLOT_PANELS)} or a "
                         "numeric column of Report.columns()")
    return list(panels)


class _Panel:
    """Draws one panel; ``categories`` (x positions) and ``bars`` size it in the figure."""

    def __init__(self, title: str, ylabel: str, categories: int, draw: Callable[[Any], None],
                 *, bars: bool = True) -> None:
        self.title, self.ylabel, self.categories, self.draw = title, ylabel, categories, draw
        self.bars = bars


def _not_measured(ax) -> None:
    ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes,
            color="0.5")
    ax.set_xticks([])
    ax.set_yticks([])


def _bar_panel(report: Report, title: str, ylabel: str, value: Callable[[Entry], Any],
               colours: dict[str, Any], *, by_language: bool = False,
               reference: float | None = None) -> _Panel:
    """Grouped bars: x = corpus (or language), one bar per tokenizer."""
    entries = [e for e in report.entries if value(e) is not None]
    label = (lambda e: e.language or e.corpus) if by_language else (lambda e: e.corpus)
    cats = _unique(label(e) for e in entries)
    toks = [t for t in colours if any(e.tokenizer == t for e in entries)]
    cells = {(e.tokenizer, label(e)): _float(value(e)) for e in entries}

    def draw(ax) -> None:
        if not entries:
            _not_measured(ax)
            return
        # Bars of one category fill 80% of the slot, narrower when there are few.
        width = min(0.8, 0.22 * len(toks)) / len(toks)
        for j, tok in enumerate(toks):
            xs = [i + (j - (len(toks) - 1) / 2) * width for i in range(len(cats))]
            ys = [cells.get((tok, c), math.nan) for c in cats]
            ax.bar(xs, ys, width=width * 0.92, color=colours[tok], label=tok)
        if reference is not None:
            ax.axhline(reference, color="0.3", linewidth=0.8, linestyle="--")
        long_labels = sum(len(c) for c in cats) > 40
        ax.set_xticks(range(len(cats)), cats, rotation=35 if long_labels else 0,
                      ha="right" if long_labels else "center", rotation_mode="anchor")
        ax.set_xlim(-0.6, len(cats) - 0.4)
        ax.grid(axis="x", visible=False)

    return _Panel(title, ylabel, len(cats), draw)


_ORDER_SPREAD = 0.5  # widest sideways spread of one order's points (orders are 1 apart)


def _pooled(entries: Sequence[Entry], k: int, per_byte: bool) -> tuple[float, float, float]:
    """Pooled value over corpora at order k, and its per-corpus min and max.

    Conditional entropy: total bits over total tokens, sum n_t H_k / sum n_t; bits per
    byte: total bits over total bytes, sum n_t H_k / sum n_bytes.
    """
    bits = units = 0.0
    values = []
    for e in entries:
        m = e.metrics
        h = m.conditional_entropy.get(k)
        denom = m.n_bytes if per_byte else m.n_tokens
        if h is None or not math.isfinite(h) or not denom:
            continue
        bits += m.n_tokens * h
        units += denom
        values.append(m.n_tokens * h / denom)
    if not values:
        return math.nan, math.nan, math.nan
    return bits / units, min(values), max(values)


def _order_panel(report: Report, title: str, ylabel: str, per_byte: bool,
                 colours: dict[str, Any]) -> _Panel:
    """A line per tokenizer against the n-gram order, pooled over corpora.

    With several corpora, a vertical bar at each point spans the per-corpus values
    (tokenizers shifted sideways a little, so that their bars do not hide each other).
    """
    orders = _orders(report.entries)
    many = len(_unique(e.corpus for e in report.entries)) > 1
    # Spread the tokenizers over at most _ORDER_SPREAD of the unit spacing between orders,
    # so each order's group stays apart from the next however many tokenizers there are.
    shift = min(0.05, _ORDER_SPREAD / max(1, len(colours) - 1)) if many else 0.0

    def draw(ax) -> None:
        if not orders:
            _not_measured(ax)
            return
        for j, (tok, colour) in enumerate(colours.items()):
            entries = [e for e in report.entries if e.tokenizer == tok]
            ys, lo, hi = zip(*(_pooled(entries, k, per_byte) for k in orders), strict=True)
            xs = [k + (j - (len(colours) - 1) / 2) * shift for k in orders]
            ax.plot(xs, ys, marker="o", markersize=3.5, linewidth=1.4, color=colour,
                    label=tok)
            if many:
                ax.vlines(xs, lo, hi, color=colour, linewidth=1.0, alpha=0.45)
        ax.set_xticks(orders)
        ax.set_xlabel("order k (k-1 previous tokens)"
                      + ("; bars: range over corpora" if many else ""))

    return _Panel(title + (", all corpora" if many else ""), ylabel, len(orders), draw,
                  bars=False)


def _panels(report: Report, names: Sequence[str], colours: dict[str, Any]) -> list[_Panel]:
    alpha = _describe(_common(e.metrics.alpha for e in report.entries))
    rows = {id(e): row for e, row in zip(report.entries, report.rows(), strict=True)}
    panels = []
    for name in names:
        if name == "bytes_per_token":
            panels.append(_bar_panel(report, "Bytes per token (higher: fewer tokens)",
                                     "bytes / token", _attr("bytes_per_token"), colours))
        elif name == "renyi_efficiency":
            panels.append(_bar_panel(report, f"R\u00e9nyi efficiency (\u03b1 = {alpha}, by |V|)",
                                     r"$H_\alpha\,/\,\log_2|V|$", _attr("renyi_efficiency"),
                                     colours))
        elif name == "unigram_entropy":
            panels.append(_bar_panel(report, "Unigram entropy H1", "bits / token",
                                     _attr("unigram_entropy"), colours))
        elif name == "conditional_entropy":
            panels.append(_order_panel(report, "Conditional entropy H(t | k-1 previous)",
                                       "bits / token", False, colours))
        elif name == "bits_per_byte":
            panels.append(_order_panel(report, "Bits per byte at order k", "bits / byte", True,
                                       colours))
        elif name == "parity":
            panels.append(_bar_panel(report, "Parity per language (1 = reference)",
                                     "tokens/byte vs reference", lambda e: e.parity, colours,
                                     by_language=True, reference=1.0))
        else:  # any numeric flat column
            panels.append(_bar_panel(report, name.replace("_", " "), name,
                                     lambda e, n=name: rows[id(e)][n], colours))
    return panels


_ROW_INCHES = 13.5  # widest row of panels: a page or a screen
_PANEL_INCHES = 4.3  # narrowest panel: three to a row
_PANEL_HEIGHT = 2.9


def _panel_width(panel: _Panel, n_tokenizers: int) -> float:
    """Inches a panel needs: about 0.12 per bar plus a gap per category, so that bars and
    their labels stay legible; line panels (categories = orders) need the minimum."""
    if not panel.bars:
        return _PANEL_INCHES
    need = 0.8 + panel.categories * (0.12 * n_tokenizers + 0.25)
    return min(max(_PANEL_INCHES, need), _ROW_INCHES)


def _rows(widths: Sequence[float]) -> list[list[int]]:
    """Panels packed into rows in order, at most three and ``_ROW_INCHES`` a row."""
    rows: list[list[int]] = [[]]
    used = 0.0
    for i, w in enumerate(widths):
        if rows[-1] and (len(rows[-1]) == 3 or used + w > _ROW_INCHES + 1e-9):
            rows.append([])
            used = 0.0
        rows[-1].append(i)
        used += w
    return rows


def _plot(report: Report, path: Any, names: Sequence[str], dpi: int) -> None:
    matplotlib, Figure, Patch = _import_matplotlib()
    if not report.entries:
        raise ValueError("the report has no entries to plot")
    names = _check_panels(report, names)
    tokenizers = _unique(e.tokenizer for e in report.entries)
    colours = dict(zip(tokenizers, _colours(matplotlib, len(tokenizers)), strict=True))
    with matplotlib.rc_context(_PLOT_STYLE):
        panels = _panels(report, names, colours)
        widths = [_panel_width(p, len(tokenizers)) for p in panels]
        rows = _rows(widths)
        fig_w = max(sum(widths[i] for i in row) for row in rows)
        # The object API with no pyplot: nothing global changes, no GUI backend is touched,
        # and savefig renders with Agg (or the writer the file's suffix asks for).
        fig = Figure(figsize=(fig_w, len(rows) * _PANEL_HEIGHT + 0.5), layout="constrained")
        # One subfigure per row, so that a row of wide bar panels and a row of narrow line
        # panels each get the widths they need.
        for subfig, row in zip(fig.subfigures(len(rows), 1, squeeze=False)[:, 0], rows,
                               strict=True):
            axes = subfig.subplots(1, len(row), squeeze=False,
                                   width_ratios=[widths[i] for i in row])[0]
            for ax, i in zip(axes, row, strict=True):
                panels[i].draw(ax)
                ax.set_title(panels[i].title, loc="left")
                ax.set_ylabel(panels[i].ylabel)
        handles = [Patch(color=c, label=t) for t, c in colours.items()]
        fig.legend(handles=handles, loc="outside upper center", frameon=False,
                   ncols=min(len(handles), max(1, int(fig_w // 1.9))))
        fig.savefig(path, dpi=dpi)
