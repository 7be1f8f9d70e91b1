"""Round 14: rank constructions from set 12's long multi-clause misses (README "Round 14").

Sentences written for these tests, not from any evaluation set (checked below against the corpus and every
hand-written set the heads train on). WHY each: set 12's first run read "has to put response time ahead of
everything else; after that, ...; power draw is the last thing on the list" as power 3 and no latency: the free
relative "whatever placement you come up with" was taken for indifference, "ahead of everything" was no rank, and
"the last thing on the list" / "after comes" / "further down" ended no ranking; its emphasis family's "gold medal goes
to X, silver to Y, bronze to Z" was no ranking either.
"""

from __future__ import annotations

import pytest

CONSTRUCTIONS = [
    # "whatever <deliverable>" is any candidate the planner produces, not a waiver of the demand in its clause ...
    ("Whatever plan the optimiser returns must keep hop counts short.", {"hops": 4}),
    # ... while "whatever" over an objective still waives it
    ("Whatever latency you end up with is okay, just trim the TCAM usage.", {"resources": 3}),
    # a position in front of everything is the top rank
    ("Put packet coverage ahead of everything else for the IDS rollout.", {"coverage": 4}),
    ("Switch memory goes in front of all other concerns here.", {"resources": 4}),
    # the end of a ranking is its weakest item; "the last thing we want" is not a rank
    ("Bandwidth leads, then lower delay, and energy use is the last item on our list.",
     {"power": 1, "throughput": 4, "latency": 2}),
    ("Memory is first, after comes the hop count, the last one is power.", {"power": 1, "resources": 4, "hops": 2}),
    ("Keep the SRAM small above all; response time comes last.", {"resources": 4, "latency": 1}),
    # ... nor is "is last month('s)", a date (read as a ranking's end before the guard, which made latency 4)
    ("Lower the delay, since the big outage is last month news now.", {"latency": 3}),
    # a place further down a ranking, or a bare "X after" ending the clause, is the second rank ...
    ("Fewer hops is the top priority; further down, some energy savings.", {"power": 2, "hops": 4}),
    ("Make coverage the main goal, coordination after.", {"coordination": 2, "coverage": 4}),
    # ... but "what we're after" is a plain want
    ("Lower power draw is what we are after.", {"power": 3}),
    # podium places rank a list: gold 4, silver 2, bronze 1 (a lone "gold" stays the idiom of value)
    ("Gold goes to low latency, silver to fewer hops, bronze to lower energy.", {"power": 1, "latency": 4, "hops": 2}),
    ("Coverage is gold for us.", {"coverage": 4}),
    # a small extra named as such is the weakest ask
    ("Shorter paths matter most here, with lower energy draw a minor bonus.", {"power": 1, "hops": 4}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round14_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


#: "the last thing we need is X" is an emphatic refusal of X, not the end of a ranking. WHY a range and not one
#: level: its degree comes from the learned head, which read it 3 with the heads of round 14's first training and
#: 4 after the retrain at the final rules; both fit the dev set's conventions, the ranking's level 1 does not.
NOT_A_RANK = "The last thing we need on this link is more packet loss."


def test_the_last_thing_we_need_is_not_the_end_of_a_ranking():
    from tests.test_intent_generalise import nonzero

    levels = nonzero(NOT_A_RANK)
    assert set(levels) == {"throughput"} and levels["throughput"] >= 3, levels


def test_round14_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS + [(NOT_A_RANK, {})]) == []
