"""Fuse the lexicon's reading of a clause with the learned heads' reading (intent/head.py).

Rules, per clause (WHY each one):
* the lexicon found degree words, a dismissal, a rank or shouting: it keeps the level. Its grammar
  rules were checked against labelled sets and are exact where they fire;
* the lexicon found objectives but no degree word (it would say plain, level 3): the degree head
  decides, from the clause with its objective words masked. That is where emphasis ("X trumps
  everything"), hedges ("X would be a nice extra") and negations ("forget about X") hide;
  a negated reading also needs a negating word in the clause, because sentence embeddings are known
  to blur negation and a false dismissal costs more than a missed one;
* the objective head names an objective the lexicon missed (slang, typos, paraphrase) only when it is
  confident; its level then comes from the lexicon's degree words or, without any, the degree head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from intent.corpus import ABSENT, DEGREES, MASK, NEGATED
from intent.lexicon import GENERIC_WORDS, PLAIN_WORDS
from omniplan.objectives import OBJECTIVES

#: the degree head overrides the lexicon's default level 3 only at this probability or above.
DEGREE_CONFIDENCE = 0.6
#: a negated reading dismisses the clause's objectives only at this probability or above.
NEGATION_CONFIDENCE = 0.7
#: the objective head adds an objective the lexicon did not find only at this probability or above.
PRESENCE_CONFIDENCE = 0.85

#: words without which a clause is never read as hedged (level 1-2): the degree head alone confuses
#: plain demands that use "low"/"just" with hedges, the lexicon's hedge words are checked first anyway.
HEDGING_WORD = re.compile(
    r"\b(?:would|could|might|maybe|perhaps|possibly|optional\w*|nice|bonus|extra|ideally|prefer\w*|bit|touch"
    r"|slight\w*|somewhat|some extent|moderate\w*|mild\w*|welcome|consider|secondary|lesser|minor|cheap|free|if|tad"
    r"|a little|plus|not (?:too|that|very)|okay|ok|fine|good)\b", re.I)

#: words without which a clause is never read as a dismissal.
NEGATING_WORD = re.compile(
    r"n't\b|\b(?:not|no|never|nor|neither|none|nobody|nothing|without|forget|ignore|ignoring|skip|disregard"
    r"|irrelevant|unimportant|indifferent|whatever|bother|bothered|non-?issue|alone|moot|optional)\b", re.I)


@dataclass(frozen=True)
class LearnedReading:
    """What the heads said about one clause: the decided degree (or None) and confident extra objectives.

    Example: LearnedReading(degree=4, degree_p=0.83, extra={"resources": 0.91}) for "cut mem usage, above all".
    """

    degree: int | None        # 0 = negated, 1..4, None = no confident override
    degree_p: float
    extra: dict[str, float]   # objective -> presence probability, for objectives the lexicon did not find


def masked_clause(lower: str, spans: list[tuple[int, int]]) -> str:
    """The clause with each objective span replaced by MASK (what the degree head was trained on)."""
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out.append(lower[last:start])
        out.append(MASK)
        last = end
    out.append(lower[last:])
    return "".join(out)


def grading_words(masked: str) -> list[str]:
    """Words of a masked clause that could grade a demand: not generic, not a plain demand verb, not MASK."""
    return [w for w in re.findall(r"[a-z][a-z'-]*", masked.lower())
            if w != MASK and w not in GENERIC_WORDS and w not in PLAIN_WORDS]


def decide_degree(probabilities: np.ndarray, clause: str) -> tuple[int | None, float]:
    """The degree head's decision for a (masked) clause, or (None, p) when it is not confident or not backed.

    A graded reading (1, 2 or 4) needs a grading word in the clause ("drive down the wattage" is plain
    whatever the head says); a negated one needs a negating word.
    """
    index = int(probabilities.argmax())
    p = float(probabilities[index])
    level = 0 if DEGREES[index] == "negated" else int(DEGREES[index])
    if level != 3 and level != 0 and not grading_words(clause):
        return None, p
    if level == 0:
        return (0, p) if p >= NEGATION_CONFIDENCE and NEGATING_WORD.search(clause) else (None, p)
    if level in (1, 2) and not HEDGING_WORD.search(clause):
        return None, p
    return (level, p) if p >= DEGREE_CONFIDENCE else (None, p)


def learned_reading(objective_p: np.ndarray, degree_p: np.ndarray, clause: str, lexicon_named: bool) -> LearnedReading:
    """Combine the two heads' outputs for one clause (`clause`: lower-case, objective words masked).

    Extra objectives are read only from clauses where the lexicon named nothing (no objective, no
    out-of-scope ask, no custom objective): next to a named objective the head tends to echo it.
    """
    degree, p = decide_degree(degree_p, clause)
    extra = {}
    for j, o in enumerate(OBJECTIVES):
        if lexicon_named:
            break
        row = objective_p[j]
        present = 1.0 - float(row[ABSENT])
        if present >= PRESENCE_CONFIDENCE and int(row.argmax()) != NEGATED:
            extra[o] = present
    return LearnedReading(degree, p, extra)


def apply(reading, learned: LearnedReading):
    """A ClauseReading with the learned degree and extra objectives folded in (see the module rules)."""
    lexicon_graded = bool(reading.degree_words) or reading.dismissed or bool(reading.rank)
    objectives = dict(reading.objectives)
    levels = dict(reading.objective_levels)
    degree_words = list(reading.degree_words)
    dismissed = reading.dismissed
    if not lexicon_graded and learned.degree is not None and learned.degree != 3 and (objectives or learned.extra):
        tag = f"(learned degree {learned.degree}, p={learned.degree_p:.2f})"
        degree_words.append(tag)
        if learned.degree == 0:
            dismissed = True
        else:
            levels = {o: learned.degree for o in levels}
    base = reading.level if lexicon_graded or learned.degree in (None, 0) else learned.degree
    for o, p in learned.extra.items():
        objectives[o] = [f"(learned: {reading.clause.text!r}, p={p:.2f})"]
        levels[o] = base
    level = reading.level if lexicon_graded or learned.degree in (None, 0) else learned.degree
    return replace(reading, objectives=objectives, objective_levels=levels, degree_words=degree_words,
                   dismissed=dismissed, level=level, learned=dict(learned.extra))

