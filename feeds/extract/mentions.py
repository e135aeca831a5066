"""Company mentions: one Aho-Corasick pass over the text, leftmost-longest, no overlaps.

Decision on joint-venture names (上汽大众, 一汽-大众, 华晨宝马, 东风日产, Dongfeng Nissan ...):
they are listed as brands of the partner whose brand the venture sells (Volkswagen, BMW,
Nissan ...). A venture name is how the press names that carmaker's China business, so a
deal signed by "Dongfeng Nissan" is labelled with Nissan; mapping it to both parents would
turn every such two-party deal into a wrong three-party one. Because the longest match
wins, the 大众 inside 上汽大众 and the 长城 inside 长城汽车 never produce a second mention.

Blocker phrases (日产量, 大众市场 ...) are ordinary words that contain a company name;
they are added to the automaton with no company so that, being longer, they win and hide it.
"""
from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import ahocorasick

from feeds.registry import Registry

from .normalize import normalize
from .units import key_units, units

__all__ = ["Mention", "Matcher", "matcher_for", "find_mentions"]

_BLOCKERS: tuple[str, ...] = (
    "日产量", "日产能", "平均日产", "大众化", "大众市场", "社会大众", "普通大众", "广大大众", "大众消费",
    "万里长城", "长安街", "津津乐道", "理想状态", "理想的", "小米粥", "通用技术", "Great Wall of China",
)


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int  # exclusive
    company_id: str
    surface: str


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


# The same test as a set lookup, for the per-match loop of `Matcher.find`.
_WORD_CHARS = frozenset(ch for ch in map(chr, range(128)) if _is_word_char(ch))


class Matcher:
    """Built once per registry; `find` is a pure function of the (normalised) text."""

    __slots__ = ("_automaton", "names")

    def __init__(self, registry: Registry) -> None:
        automaton = ahocorasick.Automaton()
        names: dict[str, str] = {}
        for company in registry.companies():
            names[company.id] = company.name
            for surface in company.surfaces():
                # A canonical name that is an ordinary lower-case word ('smart') is matched
                # only through its aliases, never bare.
                if surface == company.name and surface.islower() and surface.isascii():
                    continue
                key = normalize(surface.strip())
                if len(key) < 2 or key_units(key) in automaton:
                    continue  # first owner wins; one-letter keys would be noise
                automaton.add_word(key_units(key), (len(key), company.id, key, _is_word_char(key[0]), _is_word_char(key[-1])))
        for phrase in _BLOCKERS:
            key = normalize(phrase)
            automaton.add_word(key_units(key), (len(key), "", key, _is_word_char(key[0]), _is_word_char(key[-1])))
        automaton.make_automaton()
        self._automaton = automaton
        self.names = names

    def find(self, text: str) -> list[Mention]:
        """Mentions in `text` (already normalised), longest match first, then leftmost."""
        found: list[tuple[int, int, int, str, str]] = []  # (-length, start, end, company, key): sorts longest, then leftmost
        n = len(text)
        for last_unit, (length, cid, key, word_start, word_end) in self._automaton.iter(units(text)):
            if not last_unit & 1:
                continue  # straddles two characters (see units.py)
            last = last_unit >> 1
            start = last - length + 1
            # a name that starts or ends with a letter must not sit inside a longer word
            if word_start and start > 0 and text[start - 1] in _WORD_CHARS:
                continue
            if word_end and last + 1 < n and text[last + 1] in _WORD_CHARS:
                continue
            found.append((-length, start, last + 1, cid, key))
        if not found:
            return []
        found.sort()
        taken = bytearray(n)  # 1 where a longer (or earlier) match already stands
        chosen: list[Mention] = []
        for _, start, end, cid, key in found:
            if taken.find(1, start, end) >= 0:
                continue
            taken[start:end] = b"\x01" * (end - start)
            if cid:
                chosen.append(Mention(start, end, cid, key))
        chosen.sort(key=lambda m: m.start)
        return _drop_owner_descriptors(text, chosen)


# "Geely-owned Volvo Cars", "东风旗下岚图": the owner only describes the next company.
_OWNER_DESCRIPTOR = re.compile(r"\s*(?:-owned|-backed|-controlled|旗下的?|控股的|持股的)\s*")


# "Volkswagen said its Audi unit signed ...": the parent only speaks for its unit.
_ITS_BEFORE = re.compile(r"\bits\s+$")
_UNIT_AFTER = re.compile(r"\s+(?:unit|brand|subsidiary|division|arm)\b")


def _drop_owner_descriptors(text: str, mentions: list[Mention]) -> list[Mention]:
    dropped: set[int] = set()
    for i, m in enumerate(mentions):
        nxt = mentions[i + 1] if i + 1 < len(mentions) else None
        if nxt is not None and nxt.company_id != m.company_id:
            gap = _OWNER_DESCRIPTOR.match(text, m.end)
            if gap and nxt.start - gap.end() <= 12:
                dropped.add(i)
        if i and _ITS_BEFORE.search(text, max(0, m.start - 6), m.start) and _UNIT_AFTER.match(text, m.end):
            prev = mentions[i - 1]
            if prev.company_id != m.company_id and m.start - prev.end <= 40:
                dropped.add(i - 1)
    return [m for i, m in enumerate(mentions) if i not in dropped]


_MATCHERS: weakref.WeakKeyDictionary[Registry, Matcher] = weakref.WeakKeyDictionary()


def matcher_for(registry: Registry) -> Matcher:
    """The matcher for a registry, built on first use (registries are immutable)."""
    matcher = _MATCHERS.get(registry)
    if matcher is None:
        matcher = _MATCHERS[registry] = Matcher(registry)
    return matcher


def find_mentions(text: str, registry: Registry) -> list[Mention]:
    return matcher_for(registry).find(normalize(text))
