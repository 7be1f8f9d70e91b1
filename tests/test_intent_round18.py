"""Round 18: constructions from the first-run misses of sets 16 and 17 (README "Round 18").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: sets 16 and 17 (first runs 0.876 / 0.896 and 0.848 / 0.880) lost
most in negation (0.80 and 0.60), trap (0.68, 0.68) and long requests: a dismissal negated again ("It's not that we
don't care about X; we do") or retracted ("no wait, I meant", "scratch that", "Disregard that:"), declining to move an
objective ("don't reduce power", "don't touch memory"), look-alikes ("Power BI", "delay the rollout", "hop on a call",
"I don't have the bandwidth to review", "human resources"), objectives said through effects (switches let sleep, a
diesel generator, packets sightseeing, fewer jumps, a more direct route, "sooner"), and emphasis said as sacrifice,
sanctity, rule, enmity or "zero".
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # a dismissal's words negated again: the objective is asked for
    ("It's not that we don't care about hop count; we do, so shorten the paths.", {"hops": 3}),
    ("Don't ignore the hop count: shorten the paths.", {"hops": 3}),
    ("Coverage isn't something we can ignore, so get more flows a label.", {"coverage": 3}),
    # retractions: the retracted ask is withdrawn
    ("Cut the hops, no wait, I meant cut the delay.", {"latency": 3}),
    ("Raise throughput... scratch that, lower the power.", {"power": 3}),
    ("Strike the coverage request from yesterday; memory is the top priority now.", {"resources": 4}),
    ("Before I asked for low latency. Forget that: fewer hops matter most now, and latency no longer matters.", {"hops": 4}),
    # declining to move an objective in its own direction ("don't increase latency" stays a constraint)
    ("Don't reduce the energy, don't add bandwidth, leave it as it is.", {}),
    ("Don't touch the TCAM; just lower the delay.", {"latency": 3}),
    # look-alikes
    ("The Power BI dashboard for the NOC is down again.", {}),
    ("Please delay the deployment until the audit is over.", {}),
    ("No bandwidth to review this today, sorry; let's hop on a call on Monday.", {}),
    ("Human resources wants the on-call list for the network team.", {}),
    # objectives said through their effects
    ("At night, let the idle switches sleep.", {"power": 3}),
    ("The placement should go easy on the backup generators.", {"power": 3}),
    ("Flows sightsee around the ring before they reach a model; cut that out.", {"hops": 3}),
    ("Give the packets a more direct route to the classifier.", {"hops": 3}),
    ("The verdict should reach the firewall sooner.", {"latency": 3}),
    ("Get more of the guest traffic classified.", {"coverage": 3}),
    ("Every packets must be inspected, no exception.", {"coverage": 4}),
    # emphasis
    ("We'd sacrifice everything to shave the latency.", {"latency": 4}),
    ("Low power is sacred on the solar sites.", {"power": 4}),
    ("Coverage rules this deployment.", {"coverage": 4}),
    ("Switch-to-switch metadata is our enemy.", {"coordination": 4}),
    ("Memory, memory and once more memory.", {"resources": 4}),
    # an inline numbered list is one ranking (4, 2, 1); a sentence ending in a number still ends there
    ("Targets for the rollout: 1. hops 2. memory 3. power", {"power": 1, "resources": 2, "hops": 4}),
    ("We run 3 spines. Keep the latency low.", {"latency": 3}),
    # hedges
    ("Shave a hair off the TCAM if you can.", {"resources": 1}),
    ("Maybe a small small bump in throughput.", {"throughput": 1}),
    ("Where sensible, cut the power.", {"power": 2}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round18_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round18_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
