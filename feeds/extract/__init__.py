"""Pure, bilingual extraction of carmaker/tech partnership deals from news items.

    extract(item, registry=None) -> list[Deal]
        item: {"id", "published": "YYYY-MM-DD", "title", "summary", "content"?, "lang"?}
    score(gold, predicted) -> dict   (gold in the format of shared/extraction/dev_news.jsonl)

No I/O beyond loading the shipped registry (feeds/data/companies.json); automata and regexes
are built once per process (per registry for the matcher).

Pipeline, one module per step: discourse.layout (headline, lead, body) -> normalize
(traditional -> simplified, full-width -> ASCII, length-preserving) -> mentions (Aho-Corasick,
longest match, brands and JV names resolved to owners) -> gate (one literal prefilter pass for
every cue pattern) -> segment (sentences, clauses) -> hedges (sentence vetoes: denial,
speculation, lawsuit, recall, executive move, sales/ranking/earnings, stock moves) -> discourse
(background: past-anchored, descriptions of ownership, enumerations) -> lexicon (kind/stage
cues) -> dates -> deals (pairing parties by clause, headline and lead first, the body only as
detail or, for its own acts, under review; choosing kind/stage/date and a confidence).

Decisions worth knowing:
- Joint-venture names (上汽大众, 华晨宝马, Dongfeng Nissan) resolve to the partner whose
  brand the venture sells; they never add both parents to a deal.
- A named joint venture (lexicon.VENTURE: 光束汽车, Leapmotor International, Horse Powertrain ...)
  makes a group of exactly its two parents a joint-venture deal, and a sentence naming only the
  venture ("光束汽车…量产下线") lends its cues to that group. An appositive naming the owners of a
  deal's object ("a 10% stake in Horse Powertrain, jointly owned by Renault and Geely") adds
  them to the buyer's deal. A carmaker named only through the models a deal serves ("for future
  Audi models") is no party when two other companies make the deal.
- A deal needs two different companies and a kind cue in a sentence that is not vetoed; a
  company acting alone never makes a deal.
- "10日" means that day in the publication month (the previous month if the day is later
  than publication); a weekday means the latest such day not after publication ("on Thursday"
  in an article published on a Thursday is that day; "last Thursday" is the one before);
  "last week"/"上周" is reported at month precision; dates after publication, and bounds
  ("to 2040", "from September", "至2041年"), are never event dates.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Deal
from .score import score  # light: no lexicons

if TYPE_CHECKING:
    from .deals import extract
    from .lexicon import alliance_names

__all__ = ["Deal", "alliance_names", "extract", "score"]


def __getattr__(name: str) -> Any:
    """The extractor's modules compile their lexicons on import (~0.4 s, megabytes of patterns): loaded when
    first used, so a process that only imports a helper of this package (the web: `normalize`) never pays."""
    if name == "extract":
        from .deals import extract as found
    elif name == "alliance_names":
        from .lexicon import alliance_names as found  # type: ignore[assignment]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = found
    return found
