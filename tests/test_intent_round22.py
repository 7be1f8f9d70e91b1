"""Round 22: constructions from the first-run misses of sets 30-33 (README "Round 22").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: the four sets (round 21 first runs 0.960 / 0.964, 0.960 / 0.976,
0.896 / 0.932, 0.956 / 0.948) lost most in traps, tickets and emphasis: switches traversed or crossed by count,
"no flow may ...", flows that bypass or escape the classifier, the answer arriving late, state "what switches are
exchanging", "X is priority one", "that's it", "nothing, and I mean nothing, beats X", double negatives ("don't not
care", "isn't unimportant", "never said X didn't matter"), a denied symptom ("isn't too slow"), "Context:" clauses,
capitalised names holding an objective's word ("the Power Systems lab"), a metadata store, approval delay, a hardware
bill.
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    ("Acceptance criterion: no session may traverse more than three switches.", {"hops": 4}),
    ("Every packet crosses five switches before it is scored; cut that down.", {"hops": 3}),
    ("Too many flows bypass the botnet detector; widen its reach.", {"coverage": 3}),
    ("Not one flow may escape the classifier.", {"coverage": 4}),
    ("The verdicts arrive too late for the firewall to act.", {"latency": 3}),
    ("Please shrink the data that the leaves are exchanging.", {"coordination": 3}),
    ("Power is priority one; keep memory use reasonable.", {"power": 4, "resources": 2}),
    ("fewer hops. that's it.", {"hops": 4}),
    ("Nothing, and I mean nothing, beats shorter paths.", {"hops": 4}),
    ("We don't not care about latency; cut it where possible.", {"latency": 2}),
    ("Memory isn't unimportant; trim it a little.", {"resources": 1}),
    ("Nobody ever said coverage didn't matter. Raise it.", {"coverage": 3}),
    ("The classifier isn't too slow; the real problem is power draw, so reduce it.", {"power": 3}),
    ("Context: the metro ring carries about 60 Gbps at night.", {}),
    ("Ship the tree to the racks in the Power Electronics hall.", {}),
    ("The feature metadata store is being migrated; deploy the forest anyway.", {}),
    ("The approval delay for this change was two weeks; please install the model.", {}),
    ("Lower the hardware lease bill for the inference pods.", {}),
    ("If feasible, spare a little SRAM.", {"resources": 1}),
    ("What counts most, by far, is the share of flows with a label.", {"coverage": 4}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round22_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round22_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
