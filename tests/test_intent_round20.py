"""Round 20: constructions from the first-run misses of sets 20-23 and the labelling spec's own phrases (README
"Round 20").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: the four sets (first runs 0.844 / 0.844, 0.836 / 0.868, 0.880 / 0.908,
0.896 / 0.928) lost most in traps, negation and long requests: the spec's double negatives ("not unimportant", "no
reason not to", "it isn't true that X is unimportant"), its "passing notes" and "chopped across switches", its faint
asks ("not strongly", "not a huge deal", "a small preference"), look-alikes (a meeting, report or map about an
objective, the power company, a hop-by-hop header, hiring throughput, phone coverage, a fast-path team), clauses that
only report or thank, a ticket's "/ primary: ... / secondary: ..." fields, a stated priority order, retractions said
with a tense ("it no longer is", "not anymore"), and emphasis idioms ("can't do without", "nothing but X",
"X > literally everything", "I cannot stress this enough").
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # the spec's double negatives: an ask
    ("It's not unimportant to trim the hop count on the spine.", {"hops": 3}),
    ("There's no reason not to shrink the PHV footprint between boxes.", {"coordination": 3}),
    ("It isn't true that power is irrelevant here; bring it down.", {"power": 3}),
    ("Not that coverage doesn't matter - it does. Widen it.", {"coverage": 3}),
    # the spec's coordination phrasings
    ("Our leaves keep passing notes about each session; cut that out.", {"coordination": 3}),
    ("Stop slicing the ensemble across three switches.", {"coordination": 3}),
    ("Kindly not to divide the model in many switch.", {"coordination": 3}),
    # faint asks
    ("Not strongly, but I'd take a shorter path.", {"hops": 1}),
    ("Delay is not a big deal; marginally lower would be nice though.", {"latency": 1}),
    ("Add a slight preference for less TCAM.", {"resources": 1}),
    # look-alikes and clauses that only report or thank
    ("The bandwidth review meeting slipped to Friday; deploy the tree anyway.", {}),
    ("Call the power company about the new feed, then roll out the model.", {}),
    ("Hiring throughput is our CEO's pet topic; just ship the classifier.", {}),
    ("Our phone coverage in the basement lab is awful; deploy from upstairs.", {}),
    ("Thanks a lot for shaving the delay last sprint!", {}),
    ("Coverage and hops were debated at the offsite; nothing was agreed.", {}),
    ("Our switches come with 12 stages each.", {}),
    ("Don't worry, we'll sync up with you on Monday about the rollout.", {}),
    # a ticket's fields and a stated order
    ("REQ-551 / owner: Dana / primary: fewer hops / secondary: less SRAM", {"resources": 2, "hops": 4}),
    ("Priority order: throughput, power, coverage.", {"power": 2, "throughput": 4, "coverage": 1}),
    # retractions and struck goals
    ("Throughput was the goal for Q3; it no longer is. Trim the power.", {"power": 3}),
    ("Coverage mattered last year; not anymore. Shorten the paths.", {"hops": 3}),
    ("Strike the latency target from the old ticket; keep everything else as is.", {}),
    ("Throughput? Not our concern. Latency? Cut it.", {"latency": 3}),
    # emphasis idioms
    ("We can't live without low latency on this fabric.", {"latency": 4}),
    ("I cannot stress this enough: fewer hops.", {"hops": 4}),
    ("SRAM headroom > literally everything", {"resources": 4}),
    ("We want coverage and nothing but coverage.", {"coverage": 4}),
    ("Power, on the other hand, must be as low as we can make it.", {"power": 4}),
    ("Lowest delay, top priority. Also a bit less power.", {"power": 1, "latency": 4}),
    # effects said the spec's way
    ("Let idle leaves take a nap overnight.", {"power": 3}),
    ("Whatever we install must keep up with line rate; no packets may be dropped.", {"throughput": 4}),
    ("More of the IoT flows should get a verdict.", {"coverage": 3}),
    ("Unlabelled sessions are our blind spot.", {"coverage": 3}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round20_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round20_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
