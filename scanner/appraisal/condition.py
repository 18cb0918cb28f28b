"""A listing's condition as one of ours (new, used, refurbished, for parts), from what the
marketplace says in its condition field or, failing that, in the title."""

from __future__ import annotations

import re

from models.tables import Condition

# In this order: "Used – Like New" is used, "New, unused" new, "Good - Refurbished" refurbished.
_CONDITION_WORDS: tuple[tuple[Condition, re.Pattern[str]], ...] = (
    (
        Condition.FOR_PARTS,
        re.compile(
            r"for parts|not working|defekt|ジャンク|pour pi[eè]ces|hors service|ne fonctionne pas|"
            r"no funciona|\bbroken\b|kaputt|故障|salvage",
            re.IGNORECASE,
        ),
    ),
    (Condition.REFURBISHED, re.compile(r"refurb|renewed|generalüberholt|reconditionn|reacondicionado", re.IGNORECASE)),
    (
        Condition.USED,
        re.compile(
            r"\bused\b|like.new|pre-?owned|gebraucht|second.hand|occasion|usado|中古|傷|汚れ|scratch|stain|"
            r"\bwear|excellent|very good|\bgood\b|\bfair\b|acceptable|\bgut\b|hervorragend|neuwertig|bon [ée]tat",
            re.IGNORECASE,
        ),
    ),
    (
        Condition.NEW,
        re.compile(
            r"\bnew\b|open.box|\bneu\b|brandneu|\bneuf\b|\bnuevo\b|新品|未使用|未開封", re.IGNORECASE
        ),
    ),
)


def normalize_condition(text: str | None) -> Condition | None:
    """Map a marketplace's condition wording to ours; None when it says nothing we know."""
    if not text:
        return None
    for condition, pattern in _CONDITION_WORDS:
        if pattern.search(text):
            return condition
    return None


def condition_class(condition: str | None, title: str) -> Condition | None:
    """The condition field first — unless the title says the item is broken, which sellers do
    under any condition field — then the title."""
    from_title = normalize_condition(title)
    if from_title is Condition.FOR_PARTS:
        return from_title
    return normalize_condition(condition) or from_title
