"""Round 5 of issue 11: general mechanisms (typo repair by Damerau-Levenshtein, list dismissals,
superlative constructions, ordinal lists), each checked on sentences written for the mechanism.

WHY: four rounds showed that rules keyed to wording seen in a set transfer poorly; these tests hold
new sentences (not from any evaluation set and not produced by intent/corpus.py, checked below) in
the classes the mechanisms are meant to cover. Levels follow the shared spec: plain 3,
superlative/absolute 4, hedged 1-2, dismissed 0.
"""

from __future__ import annotations

import pytest

from intent.text import _repair_word, damerau_levenshtein, typo_budget
from tests.test_intent_generalise import loaded, nonzero  # noqa: F401 (autouse fixture: one loaded translator)


def test_damerau_levenshtein_counts_a_swap_once():
    assert damerau_levenshtein("flwos", "flows") == 1
    assert damerau_levenshtein("power", "power") == 0
    assert damerau_levenshtein("abcd", "badc") == 2
    assert damerau_levenshtein("latency", "lat", limit=2) == 3  # cut off above the limit


def test_typo_budget_grows_with_length():
    assert [typo_budget(w) for w in ("hop", "hops", "energy", "latency")] == [0, 1, 1, 2]


@pytest.mark.parametrize("typo, word", [
    ("tiem", "time"), ("hosp", "hops"), ("eneryg", "energy"), ("thorughput", "throughput"), ("memroy", "memory"),
    ("coverge", "coverage"), ("swtiches", "switches"), ("bandwdith", "bandwidth"), ("absolutly", "absolutely"),
])
def test_slips_of_domain_words_are_repaired(typo, word):
    assert _repair_word(typo) == word


# ordinary words (in the encoder vocabulary) and unknown words far from any domain word stay as typed
ORDINARY = ("later", "tower", "hope", "memo", "time", "item", "host", "heat", "meet", "latest", "lower", "pager",
            "flow", "slow", "shops", "cover", "power", "spam", "stutter", "butter", "kubernetes", "grafana",
            "doesn't", "re-run", "shorten", "shortened", "routers", "sflow", "shard", "lite", "bots", "pruning", "flapping",
            "percentile", "vlan", "ecmp", "rollout", "whatever", "tenant", "coffee", "weekend")


@pytest.mark.parametrize("word", ORDINARY)
def test_ordinary_words_are_never_repaired(word):
    assert _repair_word(word) == word


CASES = [
    # typos repaired against the domain vocabulary, read as the objective they hide
    ("pls cut the responce tiem on the edge", {"latency": 3}),
    ("fewr hosp for the mirrored flwos", {"hops": 3}),
    ("the rack runs too hot, less eneryg pls", {"power": 3}),
    # dismissals that name a list, or that say the metric is already satisfied, zero every objective named
    ("Power, TCAM, coverage: none of our business here. Cut the delay.", {"latency": 3}),
    ("Never mind hop count, memory or energy, just raise the packet rate.", {"throughput": 3}),
    ("Memory and hops can stay on the defaults; trim energy.", {"power": 3}),
    ("Delay was already good enough last quarter. Boost the bandwidth.", {"throughput": 3}),
    ("Hop count is fine as it is; what we need is less metadata between switches.", {"coordination": 3}),
    ("Burn as much power as you want, just keep the latency low.", {"latency": 3}),
    ("Energy and throughput are not priorities for the lab; shrink the TCAM use.", {"resources": 3}),
    # a full stop ends the list: the next sentence's objective is asked for
    ("Forget memory. Fewer hops.", {"hops": 3}),
    # superlative / absolute constructions: the limit of what can be done, one thing singled out, all else beaten
    ("Keep the path as short as the fabric lets you.", {"hops": 4}),
    ("Burn as little energy as we realistically can on the edge.", {"power": 4}),
    ("Our sole objective for the quarter is a smaller TCAM footprint.", {"resources": 4}),
    ("Throughput eclipses every other metric on this link.", {"throughput": 4}),
    ("If we had to keep just one, it would be the coverage of tenant flows.", {"coverage": 4}),
    ("If you can only fix one thing, make it the switch power draw.", {"power": 4}),
    ("The lowest attainable delay is what the desk needs.", {"latency": 4}),
    # best-effort maximising and "as long as" conditions stay plain
    ("Move as much bandwidth as we can through the spine.", {"throughput": 3}),
    # a tail merely called secondary leaves the head plain; a stated sequence ranks it first
    ("Trim the energy draw; hop count is secondary.", {"power": 3, "hops": 2}),
    ("Trim the energy draw, then hop count.", {"power": 4, "hops": 2}),
    # ordinal labels of a ranked list: first 4, second 2, third 1, wherever the label sits
    ("Goal one is fewer hops. Goal two is lower power. Goal three is more coverage.", {"hops": 4, "power": 2, "coverage": 1}),
    ("Asks for the edge pod: (1) shrink TCAM use (2) lower delay", {"resources": 4, "latency": 2}),
    ("Coverage is the first priority and bandwidth the second priority.", {"coverage": 4, "throughput": 2}),
    ("Firstly, energy; secondly, latency.", {"power": 4, "latency": 2}),
    # a lone "next" or a ticket's own priority ranks nothing
    ("INC-77 priority 1: cut the latency and raise the bandwidth.", {"latency": 3, "throughput": 3}),
    ("Hops first, SRAM second, power 3rd.", {"hops": 4, "resources": 2, "power": 1}),
    ("More coverage please, energy 2nd.", {"coverage": 4, "power": 2}),
    # the definite article singles one objective out as THE priority; "a priority" does not
    ("The overriding goal is a lower hop count; memory can improve a little too.", {"hops": 4, "resources": 1}),
    ("Fewer metadata bytes between switches is our focus, and power a small plus.", {"coordination": 4, "power": 1}),
    ("Energy is a priority, and so is delay.", {"power": 3, "latency": 3}),
    # everything else excluded: the one plain objective left is singled out (4); two stay plain
    ("Push the bandwidth up. We don't care about anything else this sprint.", {"throughput": 4}),
    ("Shrink the TCAM use and shorten the paths; skip the rest.", {"resources": 3, "hops": 3}),
    # effect and jargon wordings: drops as a verb, tail-latency jargon, a share of modified traffic, electrical draw
    ("Under the evening load the leaf keeps dropping packets; sort that out.", {"throughput": 3}),
    ("Our p95 went through the roof after the last rollout, bring it back.", {"latency": 3}),
    ("Let the detectors look at a larger fraction of north-south flows.", {"coverage": 3}),
    ("The rack breaker trips at peak; make the switches draw less.", {"power": 3}),
    ("Too many sessions get past the classifiers without a look.", {"coverage": 3}),
    # a softener ending the clause modifies every conjunct; one inside a conjunct stays local
    ("Trim the TCAM and the hop count slightly.", {"resources": 1, "hops": 1}),
    ("Cut hops and slightly trim power.", {"hops": 3, "power": 1}),
    # "asap" says when, not how strongly: a plain ask
    ("we need fewer hops on the mirror path asap", {"hops": 3}),
    # a tie-breaker is the last thing weighed; a grade of "anything else" is not a grade of the clause before
    ("Go for fewer hops, and use energy to break ties.", {"hops": 3, "power": 1}),
    ("Shrink the metadata passed between switches; everything further is a bonus.", {"coordination": 3}),
    ("Maybe classify a few more flows, if it is cheap.", {"coverage": 2}),
    ("We will accept worse delay; just shrink the TCAM use.", {"resources": 3}),
    ("The detectors should look at more of the campus traffic.", {"coverage": 3}),
    ("Hop counts are everything on this ring.", {"hops": 4}),
    # a grade that names nothing but points back with a pro-form grades the clause before
    ("TCAM is scarce on the old leaves; use as little as you possibly can.", {"resources": 4}),
    # a hyphenated model name is what the model is about, not a placement objective
    ("Roll out the energy-forecast model to the leaf switches.", {}),
    ("Install the throughput-anomaly detector, and keep the hop count low.", {"hops": 3}),
]


@pytest.mark.parametrize("text, expect", CASES)
def test_round5_mechanisms(text, expect):
    assert nonzero(text) == expect


def test_round5_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CASES) == []


def test_a_unit_is_not_an_ordinal_label():
    from intent.lexicon import ORDINAL_LABELS

    assert not ORDINAL_LABELS[1].search("a million packets per second")
    assert ORDINAL_LABELS[1].search("memory second")
