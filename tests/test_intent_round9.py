"""Round 9 of issue 11: two constructions behind the eighth set's emphasis and negation misses, each checked on
sentences written for the mechanism (not from any evaluation set and not produced by intent/corpus.py, checked below).

WHY: on the eighth independent set a single supreme objective followed by "whatever it takes" was read as a plain
ask (3): the tail opens with "whatever", which the clause reader took for "the rest" (as in "whatever else"), so
the absolute cue never reached the clause it grades. And "stop worrying about X" left X asked for: a ceasing verb
before a verb of concern is a dismissal. Levels follow the shared spec: plain 3, absolute 4, dismissed 0.
"""

from __future__ import annotations

import pytest

from tests.test_intent_generalise import loaded, nonzero  # noqa: F401 (autouse fixture: one loaded translator)

CASES = [
    # "whatever it takes" / "whatever the cost" as an absolute tail after a comma grades the clause before (4)
    ("Fewer hops, whatever it takes.", {"hops": 4}),
    ("Keep the tables small, whatever it costs.", {"resources": 4}),
    ("Low power, whatever the cost.", {"power": 4}),
    # "whatever" that opens "the rest" or a concession is not the absolute tail
    ("Cut power; whatever else happens is fine.", {"power": 3}),
    ("Whatever the model, keep latency low.", {"latency": 3}),
    # a ceasing verb before a verb of concern dismisses what it is about
    ("Quit fussing over hop count and cut the latency.", {"latency": 3}),
    ("Stop caring about coverage; keep SRAM small.", {"resources": 3}),
    ("We can stop obsessing over energy now, shorter paths please.", {"hops": 3}),
]


@pytest.mark.parametrize("text, expect", CASES)
def test_round9_mechanisms(text, expect):
    assert nonzero(text) == expect


def test_round9_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CASES) == []
