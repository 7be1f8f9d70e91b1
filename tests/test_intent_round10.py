"""Round 10 of issue 11: the relevance head, a veto on objective words used in another sense. Sentences written for
these tests: not from any evaluation set, not produced by intent/corpus.py or intent/lookalikes.py (checked below).

WHY: on the last four independent sets the trap family was the weakest (0.52-0.60 activation), half of it the
lexicon firing on "power users", "test coverage", "the team's bandwidth", "a coordination meeting".
"""

from __future__ import annotations

import pytest

from tests.test_intent_generalise import loaded, nonzero  # noqa: F401 (autouse fixture: one loaded translator)

_MISSED = pytest.mark.xfail(strict=True, reason="round 10: the relevance head's off-topic probability stays below "
                                                "fusion.OFF_TOPIC_CONFIDENCE (0.14-0.27); it catches about half the new "
                                                "look-alikes, as on the leave-one-set-out folds")

#: an objective's word in an office / people / everyday sense: the intent asks nothing of the placement. All eight
#: were written before the shipped relevance head was run on them; four are vetoed, four are known misses.
LOOKALIKES = [
    ("Our throughput of onboarding tickets halved after the holidays.", {}),
    pytest.param("The coverage of our dental plan changes next year, read the HR mail.", {}, marks=_MISSED),
    ("Can someone improve the test coverage of the billing microservice before Friday?", {}),
    pytest.param("The latency of the reimbursement process in finance is embarrassing.", {}, marks=_MISSED),
    # (a known miss of the relevance head until round 18, whose lexicon declines "hop on the ... call")
    ("Hop on the bridge call at noon, the vendor wants to talk pricing.", {}),
    ("Please coordinate the holiday rota with the other managers.", {}),
    ("My bandwidth for the design review is zero this week.", {}),
    # (a known miss of the relevance head until round 17, whose lexicon declines "memory of last ..." as a person's memory)
    ("The memory of last quarter's layoffs still weighs on the team.", {}),
]

#: real asks whose clause also talks about people, offices or money: the veto must not fire
REAL_ASKS = [
    ("The finance team says the switches burn too much power; bring the power draw down.", {"power": 3}),
    ("Management wants lower latency from the inference path.", {"latency": 3}),
    ("The bandwidth on the core uplinks is precious, so keep throughput high.", {"throughput": 3}),
    ("Our auditors asked for broader coverage of the tenant flows.", {"coverage": 3}),
    ("Ops complains that the TCAM on the leaf switches is nearly full; use less of it.", {"resources": 3}),
]

CASES = LOOKALIKES + REAL_ASKS


@pytest.mark.parametrize("text, expect", LOOKALIKES)
def test_an_objective_word_in_another_sense_asks_nothing(text, expect):
    assert nonzero(text) == expect


@pytest.mark.parametrize("text, expect", REAL_ASKS)
def test_a_real_ask_about_people_or_money_is_not_vetoed(text, expect):
    assert set(nonzero(text)) == set(expect)


def test_a_vetoed_word_is_reported_in_the_notes(loaded):
    (result,) = loaded.translate_many(["Our throughput of onboarding tickets halved after the holidays."])
    assert any("read in another sense" in note and "throughput" in note for note in result.notes)


def test_the_relevance_head_ships_and_an_older_weights_file_turns_the_veto_off(tmp_path):
    import numpy as np

    from intent.head import WEIGHTS, ClauseHeads

    shipped = ClauseHeads.load(WEIGHTS)
    assert shipped.relevance is not None
    data = dict(np.load(WEIGHTS))
    older = tmp_path / "older.npz"
    np.savez(older, **{k: v for k, v in data.items() if not k.startswith("relevance_")})
    heads = ClauseHeads.load(older)
    assert heads.relevance is None
    assert heads.off_topic(np.zeros((2, 384), dtype=np.float32)).tolist() == [0.0, 0.0]


def test_relevance_rows_take_only_clear_cases():
    from intent.handwritten import intent_relevance_rows
    from intent.lookalikes import OFF_TOPIC, ON_TOPIC
    from omniplan.objectives import OBJECTIVES

    zero = {o: 0 for o in OBJECTIVES}
    # an intent asking for nothing, no negating word: the clause that names an objective's word is off-topic
    # (round 17: "power users" is declined by the lexicon itself, so a clause about them names no objective at all)
    assert intent_relevance_rows("The energy at the sales offsite was great", zero) == [
        ("the energy at the sales offsite was great", OFF_TOPIC)]
    # asked for: on-topic
    assert intent_relevance_rows("Cut the power draw", {**zero, "power": 3}) == [("cut the power draw", ON_TOPIC)]
    # a negating word anywhere (a dismissal the clause split may hide) teaches nothing
    assert intent_relevance_rows("We are not optimizing for latency, throughput, or power", zero) == []


def test_generated_lookalikes_are_labelled_and_not_from_any_hand_written_set():
    from intent.handwritten import hand_sentences
    from intent.lookalikes import OFF_TOPIC, ON_TOPIC, generate_lookalikes

    rows = generate_lookalikes()
    assert rows == generate_lookalikes()  # seeded
    labels = [label for _, label in rows]
    assert labels.count(OFF_TOPIC) > 300 and labels.count(ON_TOPIC) > 200
    hand = hand_sentences()
    assert not [t for t, _ in rows if t.strip(" .?!") in {h.strip(" .?!") for h in hand}]


def test_round10_sentences_are_not_in_the_training_data():
    from intent.lookalikes import generate_lookalikes
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CASES) == []
    generated = {t.strip(" .?!") for t, _ in generate_lookalikes()}
    texts = [(c.values[0] if hasattr(c, "values") else c[0]) for c in CASES]
    assert not [t for t in texts if t.lower().strip(" .?!") in generated]
