"""Round 16: constructions from set 14's first-run misses (README "Round 16").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: set 14's first run (0.900 / 0.900) lost most in its emphasis family
(activation 0.60): a word shouted three times ("Coverage, coverage, coverage"), "Shortest paths, period.", "Rank 1: X.
Rank 2: Y.", "the single commandment", "X is THE metric that matters" and "100% of flows" read as plain asks; its
long requests kept objectives the writer had dismissed as a group ("power and throughput are off the table", "we
thought about X and Y, but neither matters", "those were resolved, so disregard them", "nobody has complained about
either"); chat and typos lost "sarm", "tacm" (swapped acronym letters), "hard requirment" and the "+" between asks.
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # an objective's word repeated three times is that objective above all; other repeated words grade nothing
    ("Hops, hops, hops. Keep the paths short.", {"hops": 4}),
    ("THROUGHPUT THROUGHPUT THROUGHPUT, and a bit less power if you can.", {"power": 1, "throughput": 4}),
    ("Really, really, really lower the delay.", {"latency": 3}),
    # a bare absolute tail grades the clause before
    ("Lowest possible energy draw on the edge boxes, end of story.", {"power": 4}),
    ("Fewer table entries, full stop.", {"resources": 4}),
    # numbered ranks: 1 -> 4, 2 -> 2, 3 -> 1; a "priority 1 incident" is a ticket's severity, not a rank
    ("Rank 1: coverage. Rank 2: memory. Rank 3: delay.", {"resources": 2, "latency": 1, "coverage": 4}),
    ("Priority 1 incident: the edge is slow, please cut the latency.", {"latency": 3}),
    # "the single rule", "the metric that counts", "the one KPI": one objective singled out
    ("Our single law: never spread a classifier across switches.", {"coordination": 4}),
    ("Hop count is the metric that counts for this rollout.", {"hops": 4}),
    # the whole of the traffic as a percentage is every flow
    ("We need the detector to look at 100 percent of the guest traffic.", {"coverage": 4}),
    # a dismissal of coordinated objectives withdraws the earlier asks of both
    ("Energy was the first worry and memory the second, but now memory and energy are off the table; "
     "just reduce the delay.", {"latency": 3}),
    # a dismissal that names nothing reaches back over context to the objectives named before it ...
    ("Someone suggested more bandwidth and shorter paths, but honestly neither matters here; lower the power draw.",
     {"power": 3}),
    ("Old requests mentioned SRAM and coverage, those were handled last sprint, so ignore them; cut the latency.",
     {"latency": 3}),
    # ... but a tie is not a dismissal
    ("Memory and energy, none of these dominates.", {"power": 3, "resources": 3}),
    # "+" joins two asks: the hedge on the second does not reach the first
    ("fast inference + maybe slightly less tcam", {"resources": 1, "latency": 3}),
    # acronyms with two letters swapped, and the ticket word of a hard bound misspelt
    ("trim the tacm and sarm use", {"resources": 3}),
    ("keep the hop count low, hard requirment", {"hops": 4}),
    # ", only if" is a condition: the "only" is not the only objective
    ("Lower the energy a touch, only if it's cheap.", {"power": 1}),
    # a grade before the condition that names the ask grades the ask
    ("Would be a small plus if the classifier saw a few more flows.", {"coverage": 1}),
    # "quick" in an idiom names no latency
    ("Quick question before lunch: can you deploy the SVM on the spine?", {}),
    # from set 13's misses (burned): "Number one/two" labels rank like "Rank 1/2" ...
    ("Number one: coverage. Number two: lower power.", {"power": 2, "coverage": 4}),
    # ... a sentence opening on "Not a single / not one" is a universal, not a refusal ...
    ("Not one session may go unclassified; forget about energy.", {"coverage": 4}),
    # ... "X as well" / "X too" after a dismissal is dismissed with it ...
    ("Latency can be anything. Memory as well. Just push more packets per second.", {"throughput": 3}),
    # ... and traffic "never inspected" is a coverage gap, its "never" no refusal
    ("Far too many connections are never inspected by the IDS.", {"coverage": 3}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round16_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round16_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
