"""Round 3 of issue 11: effect wordings, idioms of primacy, ticket orders, dismissal forms, absolute coverage.

WHY: the second independent held-out set showed objectives described by their effect (fans, drops,
unlabeled traffic, wandering paths), everyday idioms singling one goal out, ticket priority lists and
"X's fine" dismissals. These sentences were written for the mechanisms, are not produced by
intent/corpus.py (checked below) and are not taken from any evaluation set. Levels follow the shared
spec: plain 3, superlative/absolute 4, hedged 1-2, dismissed 0.
"""

from __future__ import annotations

import pytest

from tests.test_intent_generalise import loaded, nonzero  # noqa: F401 (autouse fixture: one loaded translator)

CASES = [
    # effect wordings, no usual objective word
    ("The fan noise in the lab is unbearable, calm the switches down.", {"power": 3}),
    ("The IDS has to keep up with the 40G uplink.", {"throughput": 4}),
    ("Way too many flows end up unlabelled at the moment; fix it.", {"coverage": 3}),
    ("Traffic should not wander around the spine before it gets a verdict.", {"hops": 3}),
    ("The forest must not be split between the leaf switches.", {"coordination": 4}),
    ("Cut down how many switches every sampled packet passes through.", {"hops": 3}),
    # idioms of primacy (one objective singled out: 4)
    ("Delay is the name of the game for the trading floor.", {"latency": 4}),
    ("Low memory use is our crown jewel.", {"resources": 4}),
    ("We have zero tolerance for long detours.", {"hops": 4}),
    ("Energy is the primary constraint at the solar-powered site.", {"power": 4}),
    # ticket priority lists
    ("CHG-31: targets in order: coverage, delay, energy", {"coverage": 4, "latency": 2, "power": 1}),
    ("Priority list: 1. throughput 2. memory", {"throughput": 4, "resources": 2}),
    # dismissals: "X's fine", spare X, "for either", passive "ignored"
    ("Energy's fine. Get the latency down.", {"latency": 3}),
    ("We have plenty of SRAM and spare power, so don't optimise for either; raise the packet rate.", {"throughput": 3}),
    ("Hop count can be ignored; shrink the PHV overhead.", {"coordination": 3}),
    # chat slang
    ("idc abt hops, cut the lag", {"latency": 3}),
    ("burn less juice on the leaf switches", {"power": 3}),
    # absolute coverage (shared spec: absolute = 4); "storage" as a place names no memory demand
    pytest.param("Every tenant flow in the storage network must be classified.", {"coverage": 4},
                 marks=pytest.mark.xfail(strict=True, reason="regression of the round-4 heads (trained with the "
                                         "hand-written sets): the objective head's coverage presence is 0.61, below "
                                         "the 0.9 an ordinary-English clause needs, so coverage is missed")),
]


@pytest.mark.parametrize("text, expect", CASES)
def test_round3_mechanisms(text, expect):
    assert nonzero(text) == expect


def test_round3_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CASES) == []


def test_in_order_to_is_not_an_ordered_list():
    # "in order to" is purpose, not a stated order: both plain demands stay 3
    assert nonzero("In order to save energy, cut the hop count.") == {"power": 3, "hops": 3}


@pytest.mark.parametrize("text, expect", [
    # "only" before a hedge is not exclusivity; a token gesture is level 1
    ("Cut latency; energy only a minor thought, a small nod to it.", {"latency": 3, "power": 1}),
    ("Throughput matters, with SRAM watched only loosely.", {"throughput": 3, "resources": 1}),
    # declining to ask is a dismissal; classifying more flows is coverage; a model split across boxes is coordination
    ("We're not asking for more bandwidth, we're asking to classify more of the guest flows.", {"coverage": 3}),
    # a strict xfail at round 4 (the degree head read 'avoid it' as 4); passes with the round-5 heads
    ("Avoid dividing each forest across the aggregation switches.", {"coordination": 3}),
    # "spread the classifiers so they see ..." is placement wording, not a coordination ask
    ("Spread the detectors so that they inspect the maximum share of flows.", {"coverage": 4}),
])
def test_round3_hedges_and_asks(text, expect):
    assert nonzero(text) == expect
