"""Round 23: constructions from the first-run misses of sets 34-37 (README "Round 23").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: the four sets (round 22 first runs 0.920 / 0.904, 0.932 / 0.952,
0.900 / 0.948, 0.912 / 0.916) lost most in long requests and traps, where a sentence of background outvoted the ask:
"only" in a count ("only two stages left") read as "the only objective", a pronoun clause asking for something outside
the seven ("and it has to survive a reboot") grading the ask before it, a symptom report outranking the hedged ask,
a processing "stage" read as pipeline stages, new hardware bought read as switch resources, press coverage, a
power of two, an LSTM; and in emphasis and hedges: "enemy #1", "sacred", a long label before a colon ("The one rule
that beats all others: ..."), a stressed "THE", "tiny bump" without its article, a faint preference, "Ideally" without
a comma grading every conjunct, staccato "every. single. packet." and phrasings of the objectives (keeping pace,
missing flows, chatting across boxes, one model per switch, overheating).
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # background and reports
    ("The fabric has only three free stages left, so please cut the SRAM the model takes.", {"resources": 3}),
    ("Trim the power draw, and it has to survive a reboot of the spine.", {"power": 3}),
    ("Operators say the verdicts feel sluggish; trim latency a little if it's cheap.", {"latency": 1}),
    ("The feature-extraction stage is the one to watch; place the model near the edge.", {}),
    ("The board froze the budget for new hardware, so just deploy the model as it is.", {}),
    ("The launch got glowing coverage in the trade press; deploy the detector on Monday.", {}),
    ("The forest uses a power-of-two tree count; deploy it with 32 trees.", {}),
    ("Deploy the LSTM anomaly detector on the aggregation switches.", {}),
    ("Last quarter's placement went fine: delay was flat and nobody complained. This is just for the record.", {}),
    ("Hops, power and memory are all non-issues here; place it wherever.", {}),
    # emphasis
    ("Switch energy is public enemy number one.", {"power": 4}),
    ("TCAM is sacred on these boxes.", {"resources": 4}),
    ("The one rule that beats all others here: keep the paths short.", {"hops": 4}),
    ("Coverage is THE metric for this rollout.", {"coverage": 4}),
    ("Get me the cheapest layout in terms of table memory.", {"resources": 4}),
    ("every. single. packet. classified.", {"coverage": 4}),
    ("Do not waste a single microsecond in the fraud check.", {"latency": 4}),
    # hedges
    ("small bump in bandwidth wouldnt hurt", {"throughput": 1}),
    ("A faint preference for shorter paths.", {"hops": 1}),
    ("Ideally fewer hops and less TCAM.", {"hops": 2, "resources": 2}),
    ("Cut the delay. Also if possible, use less SRAM.", {"latency": 3, "resources": 2}),
    # the objectives said another way
    ("The detector has to keep pace with the uplinks during the sale.", {"throughput": 4}),
    ("the ids keeps missing a lot of the guest flows, fix it", {"coverage": 3}),
    ("Stop the two halves of the forest chatting across the boxes.", {"coordination": 3}),
    ("One model per switch, please.", {"coordination": 3}),
    ("The leaf switches keep overheating; fix the placement.", {"power": 3}),
    ("Packets bounce thru six switches before the model sees them; shorten that.", {"hops": 3}),
    ("We cannot afford not to trim the TCAM on the old leaves.", {"resources": 3}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round23_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round23_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
