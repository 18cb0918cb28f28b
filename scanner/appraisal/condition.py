"""A listing's condition as one of ours (new, used, refurbished, for parts), from what the
marketplace says in its condition field or, failing that, in the title."""

from __future__ import annotations

import re
from functools import lru_cache

from models.tables import Condition

# Wording of each condition, in priority order: "Used – Like New" is used, "New, unused" new,
# "Good - Refurbished" refurbished, and "for parts" beats everything.
_WORDING: tuple[tuple[Condition, str], ...] = (
    (
        Condition.FOR_PARTS,
        r"for parts|not working|defekt|ジャンク|pour pi[eè]ces|hors service|ne fonctionne pas|no funciona|"
        r"\bbroken\b|kaputt|故障|salvage",
    ),
    (Condition.REFURBISHED, r"refurb|renewed|generalüberholt|reconditionn|reacondicionado"),
    (
        Condition.USED,
        r"\bused\b|like.new|pre-?owned|gebraucht|second.hand|occasion|usado|中古|傷|汚れ|scratch|stain|\bwear|"
        r"excellent|very good|\bgood\b|\bfair\b|acceptable|\bgut\b|hervorragend|neuwertig|bon [ée]tat",
    ),
    (Condition.NEW, r"\bnew\b|open.box|\bneu\b|brandneu|\bneuf\b|\bnuevo\b|新品|未使用|未開封"),
)
#: One pass over the text finds every condition it names (a title is read for each listing seen).
_ANY_WORDING = re.compile("|".join(f"(?P<{condition.name}>{words})" for condition, words in _WORDING))
_PRIORITY = {condition: rank for rank, (condition, _) in enumerate(_WORDING)}


@lru_cache(maxsize=65536)
def normalize_condition(text: str | None) -> Condition | None:
    """Map a marketplace's condition wording to ours; None when it says nothing we know."""
    if not text:
        return None
    named = {Condition[match.lastgroup] for match in _ANY_WORDING.finditer(text.casefold()) if match.lastgroup}
    return min(named, key=_PRIORITY.__getitem__, default=None)


def condition_class(condition: str | None, title: str) -> Condition | None:
    """The condition field first — unless the title says the item is broken, which sellers do
    under any condition field — then the title."""
    from_title = normalize_condition(title)
    if from_title is Condition.FOR_PARTS:
        return from_title
    return normalize_condition(condition) or from_title
