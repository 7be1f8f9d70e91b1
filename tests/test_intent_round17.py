"""Round 17: constructions from set 15's first-run misses (README "Round 17").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: set 15's first run (0.896 / 0.920) lost most in its trap (0.76 /
0.84) and emphasis (activation 0.72) families: an objective's word in another sense ("power users", "power up the
switches", "our memory of the outage", "my latency in replying") was read as an ask, "shave a little power off" lost
its power ("off" was taken for "of"), dismissals by handing over ("someone else's problem", "leave power out of it",
"meaningless") were missed, and absolute grades said as a leading phrase ("At all costs, ..."), a prize ("gets the gold
medal"), a bare "#1", "or nothing" / "no compromise", "the whole story" or a word repeated with "and more" read as
plain asks.
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # another sense of an objective's word asks nothing; the real ask beside it stays
    ("Our power users keep asking for a new dashboard; just shorten the routes to the model.", {"hops": 3}),
    ("Power up rack 12 tomorrow and put the forest on it.", {}),
    ("My memory of that migration is hazy, but raise the coverage.", {"coverage": 3}),
    ("Sorry, my latency in answering emails was awful this week; please place the SVM on the spine.", {}),
    # "power off" is still power; "shortest possible route" still hops
    ("Take a little power off the spine when you place the forest.", {"power": 1}),
    ("We want the shortest possible route for the DNS flows.", {"hops": 4}),
    # dismissed by handing over, leaving out, or as meaningless; kept as is
    ("Energy is the facilities team's problem, not ours; lower the delay.", {"latency": 3}),
    ("Throughput is somebody else's headache. Cut the SRAM.", {"resources": 3}),
    ("Leave coverage out of this; fewer hops please.", {"hops": 3}),
    ("Memory and power are pointless to optimise in the lab; make it fast.", {"latency": 3}),
    ("Hold current throughput as-is and trim the TCAM.", {"resources": 3}),
    # an absolute opening the intent grades what follows; "or nothing" and "no compromise" are absolute tails
    ("Whatever it takes, keep the metadata between switches small.", {"coordination": 4}),
    ("Short paths or nothing.", {"hops": 4}),
    ("Lower watts, no compromise.", {"power": 4}),
    ("Every nanosecond matters for the matching engine.", {"latency": 4}),
    ("Coverage is the whole story here; memory gets a modest mention.", {"resources": 2, "coverage": 4}),
    # a prize and a bare "#1 / #2" rank
    ("Low delay wins the gold; fewer hops take silver.", {"latency": 4, "hops": 2}),
    ("sram #1, coverage #2", {"resources": 4, "coverage": 2}),
    # the word repeated with "and more" before its last time
    ("Coverage, coverage and more coverage.", {"coverage": 4}),
    # hedges: "only if it's free", "a tiny bump", "little bit" without its article, "kinda"
    ("Only if it's free, shave a bit of energy.", {"power": 1}),
    ("A small bump in coverage, if there's room.", {"coverage": 1}),
    ("Please little bit less hops, not so important.", {"hops": 1}),
    ("cut lat, bw kinda matters too", {"throughput": 2, "latency": 3}),
    # the split said with "divide in", the devices that share, a model kept whole
    ("Please don't divide the forest into several switches.", {"coordination": 3}),
    ("The leaf boxes should not exchange so much data.", {"coordination": 3}),
    ("Keep each tree intact on a single switch.", {"coordination": 3}),
    # a ticket key's letters name nothing
    ("POWER-311: deploy the XGBoost model on the border leafs with low latency.", {"latency": 3}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round17_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round17_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
