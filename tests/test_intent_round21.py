"""Round 21: constructions from the first-run misses of sets 24-29 (README "Round 21").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: the six sets (round 20 first runs 0.932 / 0.964 ... 0.928 / 0.932,
pooled 0.923 / 0.944) lost most in negation, traps and long requests: refusals spread over a list ("X is irrelevant,
and so is Y", "no X, no Y, no Z targets", "..., or any of that"), goals retracted ("that requirement has been
withdrawn", "retract that", "but is no longer", "scratch the X part"), double negatives ("not indifferent to", "don't
skip", "it isn't that we don't care"), "only" in a description of the present state read as exclusivity, the language
"P4" read as a ticket priority, a leading hedge that grades only its first conjunct, ticket priority fields, the
labelling spec's "keep each model on one switch" and "table entries cost us", look-alikes (a power lunch, a state
coordinator, a stage crew, a dashboard showing green, a big hop forward) and misspellings read as derived words.
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # refusals over a list
    ("Hop count is irrelevant for this site, and so is power.", {}),
    ("No throughput, no power, no hop targets for this pilot.", {}),
    ("We don't care about coverage, hops, power or any of that; just install it.", {}),
    ("I'm not asking for lower delay or fewer hops. Just ship it.", {}),
    ("Memory isn't a goal, and latency isn't either. Raise coverage.", {"coverage": 3}),
    # retractions
    ("The February ticket asked for more coverage. That request has been withdrawn.", {}),
    ("I wanted lower power last month; retract that. Shorter paths are the ask now.", {"hops": 3}),
    ("Hops were a target in spring but are no longer. Trim the TCAM.", {"resources": 3}),
    ("Lower the power and cut the hops. Actually, strike the hops part.", {"power": 3}),
    ("No longer optimising for throughput. Save SRAM.", {"resources": 3}),
    # double negatives
    ("We are not indifferent to the hop count; shorten the paths.", {"hops": 3}),
    ("Don't skip trimming the PHV state between leaves.", {"coordination": 3}),
    ("It isn't that we don't care about power - we do. Bring it down.", {"power": 3}),
    # descriptions, the language P4, a leading hedge, priority fields
    ("The filter only inspects about half of the guest traffic today; cover more of it.", {"coverage": 3}),
    ("Raise throughput on the P4 switches.", {"throughput": 3}),
    ("Where feasible, lower power and fewer hops.", {"power": 2, "hops": 2}),
    ("CR-12: Priority field 1: latency. Priority field 2: coverage.", {"latency": 4, "coverage": 2}),
    ("P1 = hops, P2 = power, P3 = throughput", {"power": 2, "throughput": 1, "hops": 4}),
    # the spec's phrasings
    ("Keep each classifier on one switch.", {"coordination": 3}),
    ("Every table entry costs us; keep the entry count low.", {"resources": 3}),
    ("Keep the routes for the voice traffic short.", {"hops": 3}),
    ("Please lower the amount of state the leaves exchange.", {"coordination": 3}),
    # look-alikes
    ("Our CFO booked a power lunch with the vendor; deploy the tree meanwhile.", {}),
    ("The election coordinator wants a rollout update by Friday.", {}),
    ("The stage crew borrowed two switches for the keynote.", {}),
    ("Our uptime dashboard shows green everywhere; go ahead and deploy.", {}),
    ("The new compiler was a big hop forward; deploy with it.", {}),
    ("What does TCAM stand for?", {}),
    # misspellings and emphasis
    ("fewer hops and shoter pathes through the core", {"hops": 3}),
    ("less switchs involved per flow", {"hops": 3}),
    ("Latency, first and foremost. A touch less power if it is free.", {"power": 1, "latency": 4}),
    ("We'd trade anything for fewer hops.", {"hops": 4}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round21_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round21_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
