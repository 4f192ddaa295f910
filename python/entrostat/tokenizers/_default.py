"""The built-in default corpus: text that every machine running entrostat already has.

``entrostat tokenizers eval`` with no arguments must give a real report on a fresh
machine without downloading anything, so the default corpus is assembled from

* **code**: the Python standard library sources (each ``.py`` file one document);
* **prose**: the English docstrings of those sources (one document per docstring);
* **parallel text**: gettext ``.mo`` message catalogs of the system (``/usr/share/locale``
  ...), aligned sentence by sentence across languages, English being the ``msgid``.

The code and prose are split by *file* with :func:`train_test_split`: a file's source and
its docstrings fall on the same side, so a held-out docstring was never seen inside a
training file either. Documents of a test side that also occur on the training side
(identical files or docstrings) are dropped. The parallel corpora are evaluation-only.

Everything is deterministic for a given machine: files are read in sorted order, the
split uses a fixed seed, and the language choice depends only on the catalogs present.
"""

from __future__ import annotations

import ast
import math
import os
import re
import struct
import sys
import sysconfig
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._corpora import TextCorpus, train_test_split

__all__ = ["SIZES", "DefaultCorpus", "default_corpus"]

#: Sizes :func:`default_corpus` builds.
SIZES = ("small", "full")
#: Seed of the train/test split of the standard library files.
SEED = 0
#: Docstrings shorter than this many characters are labels, not prose.
MIN_DOCSTRING_CHARS = 40

# Languages taken first when their catalogs cover enough messages, in this order, so the
# parallel corpora span many scripts: Latin, Cyrillic, Japanese, Han, Arabic, Devanagari,
# Hangul, Greek, Hebrew, Thai, Tamil, then more widely translated languages.
_PREFERRED_LANGUAGES = (
    "de", "fr", "es", "ru", "ja", "zh_CN", "ar", "hi",
    "ko", "el", "he", "th", "ta", "tr", "fa", "uk", "pt_BR", "it", "pl", "vi", "id", "bn",
)  # fmt: skip
# A catalog domain is used when at least this share of the languages has it.
_DOMAIN_MIN_SHARE = 0.25
# Languages whose catalogs (by size) are smaller than this share of the largest are
# not considered at all.
_LANGUAGE_MIN_SHARE = 0.15
# A preferred language is added while the messages common to all chosen languages stay
# at least this share of the largest preferred language's messages.
_PREFERRED_KEEP = 0.1
# Further languages are added while the common messages stay at least this share of
# what the preferred languages had in common.
_FILL_KEEP = 0.8
# Fewer common messages than this do not make a parallel corpus.
_MIN_MESSAGES = 20
# "Messages" that are not translations of their msgid.
_NOT_TRANSLATIONS = frozenset({b"translator-credits", b"translator_credits", b"TRANSLATORS"})
_LOCALE_FOLDER = re.compile(r"^([a-z]{2,3}(?:_[A-Za-z]{2,4})?)(?:\.[\w-]+)?(?:@[\w-]+)?$")
_CHARSET = re.compile(rb"charset=\s*([-\w.:]+)", re.IGNORECASE)
_TEST_FOLDERS = frozenset({"test", "tests", "idle_test"})
_THIRD_PARTY_FOLDERS = frozenset({"site-packages", "dist-packages"})


@dataclass(frozen=True)
class _Plan:
    """How much of the available text a size takes."""

    include_tests: bool  # read the test suites of the standard library too
    max_file_bytes: int | None  # skip larger source files
    source_bytes: int | None  # source read and parsed for docstrings (every k-th file)
    code_bytes: int | None  # code documents (a spread sample of those files)
    test_share: float  # share of files held out
    max_languages: int | None  # languages besides English in the parallel corpora
    parse_languages: int | None  # candidate languages whose catalogs are read


_PLANS = {
    # Every k-th library file up to 128 KiB (no test suites), ~12 MB of source: its
    # docstrings and ~4 MB of code from the same files. With 15% of the files held out,
    # the training text is ~4.7 MB (enough for BPE to reach 32k merges) and the test
    # corpora 0.25-0.6 MB.
    "small": _Plan(False, 1 << 17, 12_000_000, 4_000_000, 0.15, 8, 16),
    "full": _Plan(True, None, None, None, 0.1, None, None),
}


@dataclass
class DefaultCorpus:
    """The built-in corpus of ``entrostat tokenizers eval``.

    Attributes
    ----------
    train : TextCorpus
        What locally trained tokenizers learn from: the training files' code and prose,
        interleaved by size so that any prefix holds both in the same proportion.
    test : list[TextCorpus]
        Held-out evaluation corpora: ``"code"`` (group ``"code"``), ``"prose"`` (group
        ``"prose"``), then ``"parallel:<lang>"`` (group ``"parallel"``, ``language`` set),
        English first, the other languages sorted. The parallel corpora have the same
        number of documents, document ``i`` being the same message in every language.
    reference : str or None
        Name of the parity reference corpus (``"parallel:en"``); ``None`` when the
        machine has no usable message catalogs (``test`` then holds code and prose only).
    description : str
        One paragraph saying where the text came from, for the report.
    """

    train: TextCorpus
    test: list[TextCorpus]
    reference: str | None
    description: str


def default_corpus(size: str = "small") -> DefaultCorpus:
    """Build the default corpus from the standard library and the system's catalogs.

    Parameters
    ----------
    size : {"small", "full"}
        ``"small"``: a deterministic sample (about 4.7 MB of training text, 0.25-0.6 MB
        of held-out code and prose, 8 languages; builds in about 3 seconds). ``"full"``: the whole
        standard library with its test suites (tens of MB), every docstring, and all the
        languages whose catalogs align well (about 50; builds in tens of seconds).

    Returns
    -------
    DefaultCorpus
    """
    if size not in _PLANS:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    return _build(size, _stdlib_root(), _locale_roots())


def _build(size: str, stdlib: Path, locale_roots: Sequence[Path]) -> DefaultCorpus:
    plan = _PLANS[size]
    files = _sample_sources(stdlib, plan)
    split = _code_and_prose(files, plan)
    train = TextCorpus.from_texts(
        _interleave(split.code_train, split.prose_train), name="default:train"
    )
    test = [
        TextCorpus.from_texts(split.code_test, name="code", group="code"),
        TextCorpus.from_texts(split.prose_test, name="prose", group="prose", language="en"),
    ]
    parallel = _parallel(locale_roots, plan)
    reference = None
    if parallel is not None:
        reference = "parallel:en"
        for language in ["en", *sorted(parallel.languages)]:
            test.append(
                TextCorpus.from_texts(
                    parallel.texts(language),
                    name=f"parallel:{language}",
                    group="parallel",
                    language=language,
                )
            )
    description = _describe(size, stdlib, len(files), plan, split, parallel)
    return DefaultCorpus(train=train, test=test, reference=reference, description=description)


# ------------------------------------------------------------------------ code and prose


def _stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _source_files(root: Path, include_tests: bool) -> list[tuple[str, Path, int]]:
    """``(relative path, path, size)`` of the library's ``.py`` files, sorted."""
    found = []
    for folder, subfolders, names in os.walk(root):
        # Third-party packages are not the standard library; pruning also saves time.
        skip = _THIRD_PARTY_FOLDERS | (frozenset() if include_tests else _TEST_FOLDERS)
        subfolders[:] = [d for d in subfolders if d not in skip and d != "__pycache__"]
        for name in names:
            if name.endswith(".py"):
                path = Path(folder, name)
                found.append((path.relative_to(root).as_posix(), path, path.stat().st_size))
    return sorted(found)


def _every_kth(items: list, weights: Iterable[int], budget: int | None) -> list:
    """Every k-th item, k chosen so the kept weights sum to about ``budget``."""
    if budget is None:
        return list(items)
    step = max(1, math.ceil(sum(weights) / budget))
    return items[::step]


def _sample_sources(root: Path, plan: _Plan) -> list[tuple[str, str]]:
    """``(relative path, text)`` of the source files a plan reads (empty ones left out)."""
    entries = [
        entry
        for entry in _source_files(root, plan.include_tests)
        if entry[2] > 0 and (plan.max_file_bytes is None or entry[2] <= plan.max_file_bytes)
    ]
    entries = _every_kth(entries, (e[2] for e in entries), plan.source_bytes)
    files = []
    for rel, path, _size in entries:
        text = path.read_bytes().decode("utf-8", "replace").removeprefix("\ufeff")
        if text.strip():
            files.append((rel, text))
    if not files:
        # E.g. a zipped standard library: better an explicit error than empty corpora.
        raise RuntimeError(f"no Python sources found in the standard library folder {root}")
    return files


def _docstrings(source: str) -> list[str]:
    """Module, class and function docstrings of ``source`` (cleaned), or ``[]``."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # Test suites hold deliberately broken files; they have no docstrings to give.
        return []
    found = []
    for node in [tree, *_definitions(tree.body)]:
        doc = ast.get_docstring(node, clean=True)  # inspect.cleandoc
        if doc and len(doc) >= MIN_DOCSTRING_CHARS:
            found.append(doc)
    return found


_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
# Fields of compound statements that hold statements (or handlers/cases holding them).
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _definitions(statements: list[ast.stmt]) -> Iterator[ast.AST]:
    """Class and function definitions among ``statements``, at any depth.

    Definitions only occur in statement blocks, so unlike :func:`ast.walk` this never
    descends into expressions (which are most of the tree, and make ``ast.walk`` slow).
    """
    stack = list(reversed(statements))
    while stack:
        node = stack.pop()
        if isinstance(node, _DEFINITIONS):
            yield node
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if isinstance(block, list):
                stack.extend(reversed(block))


def _unique(docs: Iterable[str], seen: set[str]) -> list[str]:
    """``docs`` without those in ``seen`` or repeated (``seen`` is updated)."""
    kept = []
    for doc in docs:
        if doc not in seen:
            seen.add(doc)
            kept.append(doc)
    return kept


@dataclass
class _Split:
    """Documents of the training and the held-out files."""

    code_train: list[str]
    code_test: list[str]
    prose_train: list[str]
    prose_test: list[str]


def _code_and_prose(files: list[tuple[str, str]], plan: _Plan) -> _Split:
    """Split the files, then take code and docstrings from each side."""
    sources = TextCorpus.from_texts([text for _rel, text in files], name="stdlib")
    train_files, test_files = train_test_split(sources, plan.test_share, SEED)
    seen_code: set[str] = set()
    # Training documents first, so a test document equal to a training one is dropped.
    train_src = _unique(train_files.documents(), seen_code)
    test_src = _unique(test_files.documents(), seen_code)
    with warnings.catch_warnings():
        # Invalid escape sequences in old sources warn at parse time; not our concern.
        warnings.simplefilter("ignore")
        seen_prose: set[str] = set()
        prose_train = _unique((d for text in train_src for d in _docstrings(text)), seen_prose)
        prose_test = _unique((d for text in test_src for d in _docstrings(text)), seen_prose)
    # The code is a smaller sample than the files read for prose (docstrings are ~15% of
    # the source), sized per side so that a few large files cannot skew the share.
    if plan.code_bytes is None:
        code_train, code_test = train_src, test_src
    else:
        code_train = _spread_sample(train_src, (1 - plan.test_share) * plan.code_bytes)
        code_test = _spread_sample(test_src, plan.test_share * plan.code_bytes)
    return _Split(code_train, code_test, prose_train, prose_test)


def _interleave(*lists: list[str]) -> list[str]:
    """Merge lists so that every prefix holds about the same share of each (by size).

    Consumers may train on a prefix of the training text (e.g. a sweep over training
    sizes); a plain concatenation would make small prefixes all code.
    """
    keyed = []
    for rank, docs in enumerate(lists):
        total = max(1, sum(len(doc) for doc in docs))
        done = 0
        for doc in docs:
            keyed.append((done / total, rank, doc))
            done += len(doc)
    keyed.sort(key=lambda item: item[:2])
    return [doc for _, _, doc in keyed]


def _spread_sample(texts: list[str], budget: float) -> list[str]:
    """Texts spread evenly over ``texts`` until about ``budget`` UTF-8 bytes, in order.

    Taken in the order ``0, k, 2k, ..., 1, k + 1, ...`` (``k`` chosen from the budget),
    so the sample covers the whole sorted list and stops as soon as the budget is met.
    """
    sizes = [len(text.encode("utf-8", "surrogatepass")) for text in texts]
    step = max(1, math.ceil(sum(sizes) / max(budget, 1.0)))
    chosen: list[int] = []
    total = 0
    for index in (i for offset in range(step) for i in range(offset, len(texts), step)):
        if total >= budget:
            break
        chosen.append(index)
        total += sizes[index]
    return [texts[i] for i in sorted(chosen)]


# ------------------------------------------------------------------------- parallel text


def _locale_roots() -> list[Path]:
    """System folders of gettext catalogs that exist, without duplicates."""
    candidates = [
        Path("/usr/share/locale"),
        Path("/usr/local/share/locale"),
        Path(sys.prefix, "share", "locale"),
    ]
    roots: list[Path] = []
    for root in candidates:
        if root.is_dir() and all(root.resolve() != r.resolve() for r in roots):
            roots.append(root)
    return roots


def _language_code(folder: str) -> str | None:
    """``"pt_BR"`` for ``pt_BR``, ``"sr"`` for ``sr@latin``; ``None`` for English and C."""
    match = _LOCALE_FOLDER.match(folder)
    if match is None:
        return None
    code = match.group(1)
    if code == "en" or code.startswith("en_"):
        return None  # English is the msgid side
    return code


def _read_mo(path: Path) -> dict[str, str]:
    """Translated singular messages of a ``.mo`` file: ``{msgid: msgstr}``.

    The header (empty msgid), plural entries, translator credits, and entries whose
    msgstr is blank or equals the msgid are left out. A message with a context keeps
    gettext's ``"ctx\\x04msgid"`` key. Strings are decoded with the charset of the header.
    An unreadable or corrupt file gives ``{}``.
    """
    try:
        msgids, msgstrs = _mo_strings(path.read_bytes())
    except (OSError, ValueError, struct.error):
        return {}
    charset = "utf-8"
    if b"" in msgids:  # the header is the translation of the empty msgid
        match = _CHARSET.search(msgstrs[msgids.index(b"")])
        if match is not None:
            charset = match.group(1).decode("ascii")
    try:
        "".encode(charset)
    except LookupError:
        charset = "utf-8"
    messages = {}
    # Filter on the raw bytes (both sides share the charset), then decode the survivors:
    # catalogs hold hundreds of thousands of entries and this runs on every build.
    for raw_id, raw_str in zip(msgids, msgstrs, strict=True):
        # b"\0" in the msgid marks a plural entry (msgid, msgid_plural).
        if not raw_str or not raw_id or b"\0" in raw_id:
            continue
        text_id = raw_id.rpartition(b"\x04")[2]
        if raw_str == text_id or text_id in _NOT_TRANSLATIONS:
            continue
        msgstr = raw_str.decode(charset, "replace")
        if msgstr.strip():
            messages[raw_id.decode(charset, "replace")] = msgstr
    return messages


def _mo_strings(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """Raw msgids and msgstrs of a GNU ``.mo`` file (gettext manual, "The Format of MO
    Files"): a header, then two tables of (length, offset) pairs."""
    magic = data[:4]
    if magic == b"\xde\x12\x04\x95":
        order = "<"
    elif magic == b"\x95\x04\x12\xde":
        order = ">"
    else:
        raise ValueError("not a .mo file")
    revision, count, ids_at, strs_at = struct.unpack_from(order + "4I", data, 4)
    if revision >> 16 > 1:
        raise ValueError(f"unknown .mo revision {revision}")
    tables = []
    for table_at in (ids_at, strs_at):
        pairs = struct.unpack_from(f"{order}{2 * count}I", data, table_at)
        lengths, offsets = pairs[0::2], pairs[1::2]
        if count and max(map(int.__add__, lengths, offsets)) > len(data):
            raise ValueError("string outside the file")
        tables.append([data[at : at + n] for n, at in zip(lengths, offsets, strict=True)])
    return tables[0], tables[1]


@dataclass(frozen=True)
class _Language:
    code: str
    folder: str  # locale folder name, e.g. "sr" or "ca@valencia"
    files: dict[str, Path]  # domain -> .mo file


def _scan_languages(roots: Sequence[Path]) -> dict[str, _Language]:
    """Languages with catalogs, one locale folder each (a variant only if no plain one)."""
    folders: dict[str, str] = {}
    for root in roots:
        for entry in sorted(os.listdir(root)):
            code = _language_code(entry)
            if code is None or not (root / entry / "LC_MESSAGES").is_dir():
                continue
            # "sr" beats "sr@latin": a variant (another script or spelling) only stands
            # in for a language that has no plain folder.
            if code not in folders or entry == code:
                folders[code] = entry
    languages = {}
    for code, folder in sorted(folders.items()):
        files: dict[str, Path] = {}
        for root in roots:
            messages = root / folder / "LC_MESSAGES"
            if messages.is_dir():
                for mo in sorted(messages.glob("*.mo")):
                    files.setdefault(mo.stem, mo)  # the first root wins
        if files:
            languages[code] = _Language(code, folder, files)
    return languages


@dataclass
class _Parallel:
    """Messages translated in every chosen language, in one order for all of them."""

    domains: list[str]
    languages: list[str]
    keys: list[str]  # msgids (with gettext context), sorted
    translations: dict[str, dict[str, tuple[str, Path]]] = field(repr=False)

    def texts(self, language: str) -> list[str]:
        if language == "en":
            # The English text is the msgid, without its context.
            return [key.rpartition("\x04")[2] for key in self.keys]
        table = self.translations[language]
        return [table[key][0] for key in self.keys]

    def sources(self, language: str) -> list[Path]:
        """The ``.mo`` file each message of ``language`` came from."""
        table = self.translations[language]
        return [table[key][1] for key in self.keys]


def _merged_messages(language: _Language, domains: Sequence[str]) -> dict[str, tuple[str, Path]]:
    """``{msgid: (msgstr, file)}`` over ``domains``; the first domain (sorted) wins."""
    merged: dict[str, tuple[str, Path]] = {}
    for domain in domains:
        path = language.files.get(domain)
        if path is not None:
            for key, text in _read_mo(path).items():
                merged.setdefault(key, (text, path))
    return merged


def _parallel(roots: Sequence[Path], plan: _Plan) -> _Parallel | None:
    """Sentence-aligned messages of the system catalogs, or ``None`` if too few."""
    languages = _scan_languages(roots)
    if not languages:
        return None
    domains = _common_domains(languages.values())
    weight = {
        code: sum(lang.files[d].stat().st_size for d in domains if d in lang.files)
        for code, lang in languages.items()
    }
    heaviest = max(weight.values())
    if heaviest == 0:
        return None
    # Catalog sizes stand in for coverage, so only promising catalogs are parsed.
    ranked = sorted(
        (code for code in weight if weight[code] >= _LANGUAGE_MIN_SHARE * heaviest),
        key=lambda code: (-weight[code], code),
    )
    preferred = [code for code in _PREFERRED_LANGUAGES if code in ranked]
    others = [code for code in ranked if code not in preferred]
    if plan.parse_languages is not None:
        others = others[: max(0, plan.parse_languages - len(preferred))]
    candidates = preferred + others
    tables = _Tables(languages, domains)
    chosen = _choose_languages(tables, candidates, preferred, plan.max_languages)
    if not chosen:
        return None
    keys = set.intersection(*(set(tables[code]) for code in chosen))
    if len(keys) < _MIN_MESSAGES:
        return None
    return _Parallel(
        domains=list(domains),
        languages=chosen,
        keys=sorted(keys),
        translations={code: tables[code] for code in chosen},
    )


class _Tables(dict):
    """``{language: merged messages}``, each read on first use (reading is the slow part)."""

    def __init__(self, languages: dict[str, _Language], domains: Sequence[str]):
        super().__init__()
        self._languages = languages
        self._domains = domains

    def __missing__(self, code: str) -> dict[str, tuple[str, Path]]:
        table = self[code] = _merged_messages(self._languages[code], self._domains)
        return table


def _common_domains(languages: Iterable[_Language]) -> list[str]:
    """Catalog domains that many languages have, sorted."""
    languages = list(languages)
    counts: dict[str, int] = {}
    for language in languages:
        for domain in language.files:
            counts[domain] = counts.get(domain, 0) + 1
    needed = max(1, math.ceil(_DOMAIN_MIN_SHARE * len(languages)))
    return sorted(domain for domain, count in counts.items() if count >= needed)


def _choose_languages(
    tables: dict[str, dict[str, tuple[str, Path]]],
    candidates: list[str],
    preferred: list[str],
    max_languages: int | None,
) -> list[str]:
    """Preferred languages first (script diversity), then greedily the best-aligned ones.

    The messages kept are those every chosen language translates, so a language is
    weighed by how many of the common messages it keeps. ``candidates`` are ranked best
    first (ties in the greedy step go to the earlier one); ``tables`` reads on demand.
    """
    limit = len(candidates) if max_languages is None else max_languages
    # Sized against the preferred languages that can be chosen (the others stay unread).
    largest = max((len(tables[code]) for code in preferred[:limit]), default=0)
    chosen: list[str] = []
    common: set[str] | None = None
    for code in preferred:
        if len(chosen) == limit:
            break
        keys = set(tables[code]) if common is None else common & tables[code].keys()
        if len(keys) >= max(_MIN_MESSAGES, _PREFERRED_KEEP * largest):
            chosen.append(code)
            common = keys
    if common is None:
        # No preferred language usable: start from the language with most messages.
        first = max(candidates, key=lambda code: len(tables[code]), default=None)
        if first is None or len(tables[first]) < _MIN_MESSAGES:
            return []
        chosen, common = [first], set(tables[first])
    floor = _FILL_KEEP * len(common)
    while len(chosen) < limit:
        rest = [code for code in candidates if code not in chosen]
        if not rest:
            break
        # max() keeps the first of equals, i.e. the better-ranked candidate.
        best = max(rest, key=lambda code: len(common & tables[code].keys()))
        keys = common & tables[best].keys()
        if len(keys) < floor:
            break
        chosen.append(best)
        common = keys
    return chosen


# ---------------------------------------------------------------------------- description


def _describe(
    size: str,
    stdlib: Path,
    n_files: int,
    plan: _Plan,
    split: _Split,
    parallel: _Parallel | None,
) -> str:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    sample = "all of" if plan.source_bytes is None else "a deterministic sample of"
    n_code = len(split.code_train) + len(split.code_test)
    n_prose = len(split.prose_train) + len(split.prose_test)
    train_bytes = _utf8_size(split.code_train) + _utf8_size(split.prose_train)
    text = (
        f'Default corpus "{size}", built from text already on this machine (nothing is '
        f"downloaded). Code: {n_code} source files, {sample} the Python {version} standard "
        f"library in {stdlib}, one document per file. Prose: {n_prose} English docstrings "
        f"(module, class and function docstrings of at least {MIN_DOCSTRING_CHARS} "
        f"characters) of {n_files} library files. The files were split "
        f"{1 - plan.test_share:.0%}/{plan.test_share:.0%} into training and held-out files "
        f"(seed {SEED}), so a file's code and docstrings stay on one side: locally trained "
        f"tokenizers learned from {len(split.code_train)} files and "
        f"{len(split.prose_train)} docstrings ({_mb(train_bytes)}) and are evaluated on "
        f"{len(split.code_test)} held-out files ({_mb(_utf8_size(split.code_test))}) and "
        f"{len(split.prose_test)} held-out docstrings ({_mb(_utf8_size(split.prose_test))})."
    )
    if parallel is None:
        return text + " No gettext message catalogs were found, so there is no parallel text."
    return text + (
        f" Parallel text: {len(parallel.keys)} user-interface messages of the system's "
        f"gettext catalogs ({len(parallel.domains)} domains, e.g. "
        f"{', '.join(parallel.domains[:4])}) that are translated into all "
        f"{len(parallel.languages)} languages chosen ({', '.join(sorted(parallel.languages))}),"
        " one message per document in the same order for every language; English is the "
        f"original msgid ({_mb(_utf8_size(parallel.texts('en')))})."
    )


def _utf8_size(docs: Iterable[str]) -> int:
    return sum(len(doc.encode("utf-8", "surrogatepass")) for doc in docs)


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.2f} MB"
