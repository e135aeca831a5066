"""A literal prefilter for the cue regexes: one Aho-Corasick pass per article instead of
dozens of regex searches per clause.

Python's `re` tries every alternative of a large alternation at every position, so a lexicon
of a few hundred alternatives costs ~50 µs per sentence per pattern. Almost every alternative
contains a literal word ("签署", "agreement", "stake"); `triggers` reads them from the parsed
pattern. A pattern can only match where one of its triggers occurs (lower-cased), so
`Gate.hits(text)` finds all triggers of all patterns in one pass and `Hits.may(name, start,
end)` says whether running the real regex on that span can succeed. A pattern with an
alternative that has no literal (`\\d+%`) has no triggers and always runs.
"""
from __future__ import annotations

import importlib
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import ahocorasick

from .units import key_units, units

# The regex parser is private but stable since Python 3.11 (the project's floor); typed as Any on purpose.
sre_parse: Any = importlib.import_module("re._parser")

__all__ = ["Gate", "Hits", "triggers"]

_LITERAL = sre_parse.LITERAL
_IN = sre_parse.IN
_SUBPATTERN = sre_parse.SUBPATTERN
_BRANCH = sre_parse.BRANCH
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", sre_parse.MAX_REPEAT)}


def _best(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The requirement with the longest shortest string: the most selective one."""
    return max(candidates, key=lambda c: (min(len(s) for s in c), -len(c)), default=None)


def _required(items: Iterable[Any]) -> frozenset[str] | None:
    """A set of strings one of which every match of this sequence contains, or None."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset(("".join(run)).lower() for _ in (0,)))
            run.clear()

    for op, av in items:
        if op is _LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is _SUBPATTERN:
            inner = _required(av[-1])
        elif op is _BRANCH:
            parts = [_required(b) for b in av[1]]
            known = [p for p in parts if p is not None]
            inner = None if len(known) < len(parts) else frozenset[str]().union(*known)
        elif op in _REPEATS and av[0] >= 1:
            inner = _required(av[2])
        elif op is _IN and av and all(o is _LITERAL for o, _ in av):  # "跌|涨" is parsed as [跌涨]
            inner = frozenset(chr(v).lower() for _, v in av)
        else:
            inner = None
        if inner:
            candidates.append(inner)
    flush()
    best = _best([c for c in candidates if all(c)])
    return best


def triggers(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case strings one of which every match contains; None when some alternative has none."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # noqa: BLE001 - an unparseable pattern simply always runs
        return None
    return _required(parsed)


def split_alternatives(source: str) -> list[str]:
    """The top-level alternatives of a pattern source; an alternative that is a whole
    "(?i:...)" group is split inside it too, each part keeping the flag."""
    parts, depth, cls, i, cur = [], 0, False, 0, []
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            cur.append(source[i:i + 2])
            i += 2
            continue
        if cls:
            cls = ch != "]"
        elif ch == "[":
            cls = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    out: list[str] = []
    for part in parts:
        if part.startswith("(?i:") and part.endswith(")") and _balanced(part[4:-1]):
            out.extend(f"(?i:{inner})" for inner in split_alternatives(part[4:-1]))
        else:
            out.append(part)
    return out


def _balanced(source: str) -> bool:
    """Whether a group's inside is one balanced expression (so "(?i:a)|(?i:b)" is not taken as one group)."""
    depth, cls, i = 0, False, 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if cls:
            cls = ch != "]"
        elif ch == "[":
            cls = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
        i += 1
    return depth == 0


class Hits:
    """Where the triggers of each part of each pattern occur in one text."""

    __slots__ = ("_gate", "_all", "_positions", "_owners", "_names", "_spans", "_by_name", "memo")

    def __init__(self, gate: Gate, everything: bool = False,
                 occurrences: list[tuple[int, tuple[int, ...], tuple[str, ...]]] | None = None) -> None:
        self._gate = gate
        self._all = everything
        occurrences = sorted(occurrences or ())
        self._positions = [occ[0] for occ in occurrences]
        self._owners = [occ[1] for occ in occurrences]
        self._names = [occ[2] for occ in occurrences]
        self._spans: dict[tuple[int, int], dict[str, list[re.Pattern[str]]]] = {}
        self._by_name: dict[str, list[int]] | None = None  # per pattern name, where any of its triggers occurs
        self.memo: dict[tuple[Any, ...], object] = {}  # per-article results callers choose to keep (a sentence's veto)

    def _index(self) -> dict[str, list[int]]:
        """Trigger positions by pattern name: built on the first search, then one bisection per question."""
        by_name: dict[str, list[int]] = {}
        for pos, names in zip(self._positions, self._names, strict=True):
            for n in names:
                if n in by_name:
                    by_name[n].append(pos)
                else:
                    by_name[n] = [pos]
        self._by_name = by_name
        return by_name

    def _somewhere(self, name: str, start: int, end: int) -> bool:
        """A trigger of `name` lies in [start, end): one bisection, no per-span work."""
        by_name = self._by_name
        found = (self._index() if by_name is None else by_name).get(name)
        if not found:
            return False
        i = bisect_left(found, start)
        return i < len(found) and found[i] < end

    def named_in(self, start: int, end: int) -> dict[str, list[re.Pattern[str]]] | None:
        """The parts, by pattern name, whose triggers occur inside [start, end); None when
        there is no prefilter (every part may match). Cached per span: a sentence or clause is
        asked about many patterns."""
        if self._all:
            return None
        cached = self._spans.get((start, end))
        if cached is None:
            cached = self._spans[(start, end)] = self._collect(start, end)
        return cached

    def _collect(self, start: int, end: int) -> dict[str, list[re.Pattern[str]]]:
        out: dict[str, list[re.Pattern[str]]] = {}
        seen: set[int] = set()
        names, parts = self._gate.part_name, self._gate.part_rx
        positions = self._positions
        for ids in self._owners[bisect_left(positions, start):bisect_left(positions, end)]:
            for part in ids:
                if part not in seen:
                    seen.add(part)
                    name = names[part]
                    if name in out:
                        out[name].append(parts[part])
                    else:
                        out[name] = [parts[part]]
        return out

    def may(self, name: str, start: int, end: int) -> bool:
        """Whether pattern `name` can match inside text[start:end]. (Asked per date pattern per
        sentence, so the span's cached answer is read first, without further calls.)"""
        live = self._spans.get((start, end))
        if live is None:
            if self._all:
                return True
            live = self._spans[(start, end)] = self._collect(start, end)
        return name in live

    def search(self, name: str, text: str, start: int = 0, end: int | None = None, offset: int = 0) -> re.Match[str] | None:
        """A match of pattern `name` in text[start:end] (not necessarily the leftmost), or None.
        `offset` places `text` in the article the hits were found in."""
        end = len(text) if end is None else end
        parts: Sequence[re.Pattern[str]]
        if self._all:
            parts = self._gate.parts_of[name]
        elif not self._somewhere(name, start + offset, end + offset):
            return None
        else:
            live = self._spans.get((start + offset, end + offset))
            if live is None:
                live = self._spans[(start + offset, end + offset)] = self._collect(start + offset, end + offset)
            parts = live.get(name, ())
        for rx in parts:
            m = rx.search(text, start, end)
            if m:
                return m
        return None

    def finditer(self, name: str, text: str, offset: int = 0) -> Iterator[re.Match[str]]:
        """Matches of every part of pattern `name` that can match in `text`, part by part."""
        live = self.named_in(offset, offset + len(text))
        for rx in (self._gate.patterns_parts(name) if live is None else live.get(name, ())):
            yield from rx.finditer(text)


class Gate:
    """Named patterns, each split into its alternatives, with their triggers matched in one pass."""

    def __init__(self, patterns: Mapping[str, re.Pattern[str]]) -> None:
        self.patterns = dict(patterns)
        self.parts: dict[str, list[tuple[int, re.Pattern[str]]]] = {}
        owners: dict[str, list[int]] = {}
        always: set[int] = set()
        self.part_name: list[str] = []
        self.part_rx: list[re.Pattern[str]] = []
        n = 0
        for name, rx in self.patterns.items():
            self.parts[name] = []
            for source in split_alternatives(rx.pattern):
                part = re.compile(source, rx.flags)
                self.parts[name].append((n, part))
                self.part_name.append(name)
                self.part_rx.append(part)
                words = triggers(part)
                if words is None:
                    always.add(n)
                else:
                    for w in words:
                        owners.setdefault(w, []).append(n)
                n += 1
        self.always = frozenset(always)
        self.parts_of: dict[str, tuple[re.Pattern[str], ...]] = {name: tuple(rx for _, rx in parts) for name, parts in self.parts.items()}
        self._automaton = ahocorasick.Automaton()
        for word, ids in owners.items():
            names = tuple(dict.fromkeys(self.part_name[p] for p in ids))
            self._automaton.add_word(key_units(word), (len(word), tuple(ids), names))
        self._empty = not owners
        if owners:
            self._automaton.make_automaton()

    def patterns_parts(self, name: str) -> list[re.Pattern[str]]:
        return list(self.parts_of[name])

    def hits(self, text: str) -> Hits:
        """All trigger positions in `text` (matched lower-cased; same length as text)."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a character whose lower case is longer: no prefilter
            return Hits(self, everything=True)
        occurrences: list[tuple[int, tuple[int, ...], tuple[str, ...]]] = []
        if not self._empty:
            occurrences = [((end >> 1) - length + 1, ids, names) for end, (length, ids, names) in self._automaton.iter(units(lowered))
                           if end & 1]  # an even end straddles two characters (see units.py)
        return Hits(self, occurrences=occurrences)

    def search(self, hits: Hits, name: str, text: str, start: int, end: int) -> re.Match[str] | None:
        """`patterns[name]` found in text[start:end], trying only the alternatives that can match."""
        return hits.search(name, text, start, end)
