"""Round 7 of issue 11: effect prototypes (intent/effects.py) and general constructions for dismissals, negated
lists and primacy, each checked on sentences written for the mechanism (not from any evaluation set and not
produced by intent/corpus.py, checked below).

WHY: on the sixth independent set the weakest family was the trap (an objective described by its symptom), then
negations over lists and satisfied metrics; the mechanisms are constructions and a similarity to symptoms, not
any one set's wording. Levels follow the shared spec: plain 3, superlative/absolute 4, hedged 1-2, dismissed 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_intent_generalise import loaded, nonzero  # noqa: F401 (autouse fixture: one loaded translator)

CASES = [
    # a metric said to be satisfied already asks nothing, also for a list and with "acceptable", "under control"
    ("Jitter and delay are under control now; raise the throughput.", {"throughput": 3}),
    ("The present energy draw, TCAM usage and hop count are acceptable; classify more flows.", {"coverage": 3}),
    # ... but "keep X under control" is a demand, and "that is acceptable" describes what is asked for
    ("Keep the SRAM footprint under control.", {"resources": 3}),
    # taken off the list of asks
    ("Coverage was struck from the requirements after the review; cut the delay.", {"latency": 3}),
    ("Hop count has been ruled out as a goal. Shrink the SRAM use.", {"resources": 3}),
    ("We aren't chasing higher bandwidth; trim the hop count.", {"hops": 3}),
    # a negated list with one head noun: "no A, B or C target"
    ("This quarter there is no power, hop count or coverage goal; reduce the delay.", {"latency": 3}),
    # a dismissal reaches over a list whose last item carries a scope tail
    ("Don't bother with energy, TCAM, or hops for this rollout. Raise the bandwidth.", {"throughput": 3}),
    # primacy said as a ruler or a law, plural too; "under no circumstances"; "the unique goal"
    ("Short paths are king on this campus.", {"hops": 4}),
    ("Coverage reigns supreme in the tenant network.", {"coverage": 4}),
    ("The cardinal rule: energy use stays low.", {"power": 4}),
    ("Cutting the delay is priority number one.", {"latency": 4}),
    ("Under no circumstances may the SRAM use grow.", {"resources": 4}),
    ("The unique goal for us is the lowest delay.", {"latency": 4}),
    # ... while a ticket's "priority 1" label grades nothing, and a ticket id with a space is not shouting
    ("TICKET 5512 - shave the delay on the edge switches", {"latency": 3}),
    # an absolute tail grades the clause before; its negation intensifies, it dismisses nothing
    ("Keep the hop count low on the campus links, no exceptions.", {"hops": 4}),
    ("Trim the SRAM footprint, without any exception.", {"resources": 4}),
    # coverage said as a universal: positive ("every X gets a verdict") or negative with a verb of escaping
    ("Each mirrored session gets a verdict from some model.", {"coverage": 3}),
    ("No tenant packet may slip past the detectors.", {"coverage": 4}),
    ("Inspect everything that crosses the edge.", {"coverage": 4}),
    # "make sure" over a negated effect, or after "just", asks plainly; on its own it still insists
    ("Make sure the detectors don't add jitter to the voice flows.", {"latency": 3}),
    ("Just make sure the hop count stays low.", {"hops": 3}),
    ("Ensure the energy draw comes down.", {"power": 4}),
    # a stage boundary that is a device boundary, and data moved from one device to the next, are coordination;
    # packets moving from switch to switch are a path, and stages alone are a resource
    ("Trim the fields passed between stages that live on different boxes.", {"coordination": 3}),
    ("Reduce the bytes of context sent from device to device.", {"coordination": 3}),
    # round 11: missed since set 10 joined the training sets (heads and effect prototypes retrained): the nearest
    # prototype is still hops but its margin is 0.007 and the objective head now gives latency 0.52, hops 0.26
    pytest.param("Packets bounce from switch to switch before they reach the model; cut that.", {"hops": 3},
                 marks=pytest.mark.xfail(strict=True, reason="round 11 retrain: prototype margin 0.007, head says latency")),
    ("Free some pipeline stages on the spine.", {"resources": 3}),
    # typos of the hard-requirement and hedge words
    ("shorter paths, mandatroy", {"hops": 4}),
    ("cut the delay, and the power draw somwhat", {"latency": 3, "power": 2}),
    # a doubled key, and dropped letters in the grading words
    ("fewr hopps and a littel less powr", {"hops": 3, "power": 1}),
    ("shrink the memmory footprint", {"resources": 3}),
]

#: objectives described only by their symptoms (effect prototypes + the objective head agreeing), and ordinary
#: requests near them that ask for none of the seven
EFFECTS = [
    ("The cooling plant cannot cope with the heat the switches give off.", {"power": 3}),
    ("By the time a verdict comes back the flow is already gone.", {"latency": 3}),
    ("Half of the tenant sessions slip by the detectors unseen.", {"coverage": 3}),
    # the negation is part of the symptom: the degree head's "negated" does not dismiss what the objective head found
    # round 16: the objective is now found by a pattern ("is never looked at"), but the retrain with set 14 gave the
    # degree head 2 here (p=0.69; "good" is a hedging word, so fusion lets the head grade it): a strict xfail then;
    # round 17's retrain reads it plain again
    ("A good part of the sessions is never looked at by anything.", {"coverage": 3}),
    # (a strict xfail at round 7, where the objective head gave coverage 0.36; passes with round 8's and round 9's
    # final heads, but a round 9 retrain before the lexicon change missed it: the head's agreement here is thin)
    # round 11: missed again by the retrain with set 10 (objective head: coverage 0.08; prototype coverage 0.52, margin 0.14)
    # round 15: read again by the retrain with set 13 (a strict xfail from round 11 to round 14)
    ("A large share of connections is never examined.", {"coverage": 3}),
    # a known miss of the prototypes until round 13 (the objective head gives coverage only 0.34, below
    # effects.EFFECT_AGREEMENT); read since round 13 by the lexicon ("never meets a detector/classifier")
    ("Whole groups of sessions never meet a classifier.", {"coverage": 3}),
    ("Rotate the TLS keys on the controller.", {}),
    ("Please document which tenant owns each model.", {}),
]


@pytest.mark.parametrize("text, expect", CASES)
def test_round7_mechanisms(text, expect):
    assert nonzero(text) == expect


@pytest.mark.parametrize("text, expect", EFFECTS)
def test_round7_effects(text, expect):
    assert nonzero(text) == expect


def test_round7_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CASES + EFFECTS) == []


def test_written_prototypes_are_not_from_any_hand_written_set():
    from intent.effects import prototype_texts
    from intent.handwritten import hand_sentences
    from tests.test_intent_generalise import sentences_in_training_data

    texts, _ = prototype_texts()
    seen = {t.rstrip(".!? ") for t in hand_sentences()}
    assert [t for t in texts if t.rstrip(".!? ") in seen] == []
    assert sentences_in_training_data([(t, {}) for t in texts]) == []


def test_nearest_prototype_reports_class_similarity_and_margin():
    from intent.effects import EffectPrototypes, described

    # three prototypes on the axes: power, latency, NONE
    protos = EffectPrototypes(np.eye(3, dtype=np.float32), np.array([0, 3, -1]))
    clause = np.array([[0.8, 0.6, 0.0], [0.1, 0.0, 0.99]], dtype=np.float32)
    (first, second) = protos.nearest(clause)
    assert first[0] == "power" and first[1] == pytest.approx(0.8) and first[2] == pytest.approx(0.2)
    assert second[0] is None  # nearest to NONE: no objective
    assert described(("power", 0.8, 0.2)) and not described(("power", 0.8, 0.0)) and not described(("power", 0.3, 0.2))


def test_prototypes_take_hand_rows_naming_one_objective_or_none():
    from intent.corpus import ABSENT, CLASSES, CorpusRow
    from intent.effects import EffectPrototypes, prototype_texts
    from omniplan.objectives import OBJECTIVES

    class Fake:
        def encode(self, texts):
            return np.ones((len(texts), 4), dtype=np.float32) / 2

    absent = {o: ABSENT for o in OBJECTIVES}
    rows = [CorpusRow("the racks cook", {**absent, "power": CLASSES.index("3")}, "the racks cook", -1),
            CorpusRow("hello team", absent, "hello team", -1),
            CorpusRow("two at once", {**absent, "power": CLASSES.index("3"), "hops": CLASSES.index("3")}, "x", -1),
            CorpusRow("it matters", {o: -1 for o in OBJECTIVES}, "it matters", 3)]  # a degree row
    protos = EffectPrototypes.build(Fake(), rows)
    written = len(prototype_texts()[0])
    assert list(protos.labels[written:]) == [OBJECTIVES.index("power"), -1]


def test_missing_prototype_file_turns_the_mechanism_off(tmp_path):
    from intent.effects import EffectPrototypes

    assert EffectPrototypes.load(tmp_path / "absent.npz") is None


def test_a_library_retrain_never_overwrites_the_shipped_prototypes():
    # a slow test's tiny retrain once replaced intent/data/effect_prototypes.npz: only the command line (and callers
    # that pass a path, such as bench/intent_loso.py) write prototypes
    import inspect

    from intent.train import train

    assert inspect.signature(train).parameters["prototypes"].default is None


def test_shipped_prototypes_hold_the_hand_written_rows():
    from intent.effects import effect_prototypes, prototype_texts

    shipped = effect_prototypes()
    assert shipped is not None and len(shipped.labels) > len(prototype_texts()[0]) + 500
