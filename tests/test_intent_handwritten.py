"""Round 4: clause rows for the heads from the hand-written labelled sets (intent/handwritten.py).

WHY these checks: an intent is labelled as a whole and the heads read clauses, so a row may only carry
a label that follows from the intent's label; a wrong row teaches the head the wrong thing silently.
The intents below are written for this test, not taken from any set.
"""

from __future__ import annotations

import pytest

from intent.corpus import ABSENT, CLASSES, DEGREES, NO_DEGREE
from intent.handwritten import HAND_SETS, intent_rows, load_set, rows
from omniplan.objectives import OBJECTIVES


def _zero(**levels: int) -> dict[str, int]:
    return {o: levels.get(o, 0) for o in OBJECTIVES}


def test_a_clause_the_lexicon_cannot_name_teaches_the_objective_head_what_the_label_says():
    # effect wording: the lexicon names nothing, the label says latency 3
    # (round 18: "sooner" is now a latency word of the lexicon, so the effect is said without it)
    (row,) = intent_rows("the verdicts should come back before the user blinks", _zero(latency=3))
    assert row.labels["latency"] == CLASSES.index("3")
    assert all(row.labels[o] == ABSENT for o in OBJECTIVES if o != "latency")
    assert row.degree == DEGREES.index("3")


def test_a_named_plain_clause_teaches_only_the_degree_head_on_its_masked_text():
    (row,) = intent_rows("reduce power", _zero(power=4))
    assert row.masked == "reduce it" and row.text == row.masked
    assert set(row.labels.values()) == {-1}  # the objective head is never consulted on a named clause
    assert row.degree == DEGREES.index("4")


def test_a_clause_whose_objectives_carry_different_labels_teaches_nothing():
    assert intent_rows("reduce power and memory", _zero(power=3, resources=2)) == []


def test_an_objective_missed_in_one_of_two_blank_clauses_is_not_guessed():
    # two clauses name nothing; which one asks for latency is not known, so neither teaches the objective head
    assert intent_rows("the answers arrive after ages. the racks are old", _zero(latency=3)) == []
    # with one blank clause the same wording does teach it
    (row,) = intent_rows("the answers arrive after ages", _zero(latency=3))
    assert row.labels["latency"] == CLASSES.index("3")


def test_a_plain_named_clause_labelled_zero_teaches_nothing_without_a_negating_word():
    # labelled 0 but worded as a demand (a labelling convention elsewhere in the intent): not a dismissal to learn
    assert intent_rows("reduce power", _zero()) == []
    (row,) = intent_rows("power is not on our radar", _zero())  # ("not chasing" is a lexicon dismissal since round 7)
    assert row.degree in (NO_DEGREE, DEGREES.index("negated"))


def test_leaving_a_set_out_removes_exactly_its_rows():
    small = ("intents_holdout3", "intents_holdout4")
    both, one = rows(small), rows(small, exclude=["intents_holdout4"])
    alone = rows(("intents_holdout4",))
    assert len(both) == len(one) + len(alone) and len(alone) > 0
    assert [r.text for r in one] == [r.text for r in rows(("intents_holdout3",))]


def test_every_hand_set_is_in_the_repository_and_labelled():
    for name in HAND_SETS:
        items = load_set(name)
        assert items and all(set(r["levels"]) <= set(OBJECTIVES) for r in items)


@pytest.mark.slow
def test_hand_rows_change_the_heads_and_leaving_the_set_out_removes_them(tmp_path):
    """A tiny retrain with one hand-written set, and with that set left out: the hand rows are counted,
    the excluded run has none, and the weights differ (the rows are really trained on)."""
    import numpy as np

    from intent.head import ClauseHeads
    from intent.train import train

    a, b = tmp_path / "with.npz", tmp_path / "without.npz"
    stats = train(rows=200, seed=5, epochs=2, out=a, hand_sets=("intents_holdout4",))
    left_out = train(rows=200, seed=5, epochs=2, out=b, hand_sets=("intents_holdout4",), exclude=("intents_holdout4",))
    assert stats["hand_rows"] == len(rows(("intents_holdout4",))) > 0 and left_out["hand_rows"] == 0
    wa, wb = np.load(a), np.load(b)
    assert not all(np.array_equal(wa[k], wb[k]) for k in wa.files)
    assert ClauseHeads.load(a).degrees(np.zeros((1, 384), dtype=np.float32)).shape == (1, len(DEGREES))
