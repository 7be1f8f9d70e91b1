"""Round 19: constructions from the first-run misses of sets 18 and 19 (README "Round 19").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: sets 18 and 19 (first runs 0.816 / 0.864 and 0.856 / 0.876) lost
most in long requests, traps, negation and "none": a metric's name on a dashboard or report read as an ask, a protocol
name repaired into a word ("QUIC" -> "quick"), "latent demand" read as latency, "coordinate with Marta" as
coordination; refusals said as "X? No.", "Not only X but also Y" read as a refusal, "Nothing matters except X" and
double negations ("I wouldn't say X is unimportant", "X doesn't not matter") missed; retractions with a comma inside
("wait, no", "Actually no, never mind"); emphasis idioms ("guard them with your life", "gold dust", "obsessed with",
"at any price", "a nanosecond too many").
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # a metric's name on an artifact, a power outage, a protocol name, "latent": nothing asked
    ("The throughput dashboard moved to the new Grafana folder.", {}),
    ("Who maintains the latency report for the VPN team?", {}),
    ("The power outage drill is on Thursday; deploy the forest on the leaves.", {}),
    ("Place the DNS tunnelling detector on the QUIC edge.", {}),
    ("There is latent risk in the old firmware; deploy the forest on the leaves.", {}),
    ("Coordinate with the facilities team before the rollout.", {}),
    # refusals and exceptions
    ("Memory? No. Hops? No. Just cut the delay.", {"latency": 3}),
    ("Not only coverage but also power needs work.", {"power": 3, "coverage": 3}),
    ("Nothing counts except coverage - not latency, not hops.", {"coverage": 4}),
    ("I wouldn't say throughput is unimportant; raise it.", {"throughput": 3}),
    ("Hops doesn't not matter. Shorten the paths.", {"hops": 3}),
    # retractions said with a comma inside
    ("Cut the TCAM, wait, no, cut the power instead.", {"power": 3}),
    ("Raise coverage. Actually no, never mind, keep the defaults.", {}),
    ("I was going to ask for fewer hops, but the current placement is fine.", {}),
    # emphasis
    ("SRAM is gold dust on these chips; guard it with your life.", {"resources": 4}),
    ("We are obsessed with low power draw.", {"power": 4}),
    ("Keep the paths short at any price.", {"hops": 4}),
    ("Every millisecond of delay is a millisecond too many.", {"latency": 4}),
    # effects and non-native wording
    ("Keep the packets from sitting in queues.", {"latency": 3}),
    ("Every flow must walk away with a verdict.", {"coverage": 4}),
    ("The switches should not talk to each other so much.", {"coordination": 3}),
    ("Please less number of switch for the flows.", {"hops": 3}),
    ("frist coverage, secnod power, thrid hops", {"power": 2, "hops": 1, "coverage": 4}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round19_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round19_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
