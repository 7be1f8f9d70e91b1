"""Cross-clause grammar of issue 11 (second round): stated orders, comparisons, conditions, labels.

WHY: long requests carry their grading in words that sit outside the clause naming the objective
("in this order", "..., but delay more", "only if it costs nothing", "memory: don't care"). These
sentences were written for the mechanisms, are not produced by intent/corpus.py (checked below) and
are not taken from any evaluation set. Levels follow the dev set's conventions: a stated order gives
first 4, second 2, third 1; plain 3; hedged 1-2; dismissed 0.
"""

from __future__ import annotations

import pytest

from intent.text import repair_typos, split_clauses
from tests.test_intent_generalise import loaded, nonzero  # noqa: F401 (autouse fixture: one loaded translator)


CASES = [
    # stated order: first 4, second 2, third 1
    ("We want these, in this order: lower delay, less SRAM and fewer hops.", {"latency": 4, "resources": 2, "hops": 1}),
    ("In order of priority: coverage, then energy.", {"coverage": 4, "power": 2}),
    # a comparing tail ranks the named objective above the others
    ("Cut energy and hop count, but hop count more.", {"hops": 3, "power": 2}),
    ("Improve bandwidth and latency; bandwidth is more important.", {"throughput": 3, "latency": 2}),
    # a condition on slack grades the clause it belongs to at 1
    ("Keep latency low, and fewer hops only if it costs nothing.", {"latency": 3, "hops": 1}),
    # (maximised coverage is absolute: 4 by the shared spec since round 3)
    ("Maximise coverage; if there is any slack left, trim power.", {"coverage": 4, "power": 1}),
    # a short label before a colon is read with what it labels
    ("power: irrelevant; throughput: as high as possible", {"throughput": 4}),
    ("Nice to have: fewer hops. Hard requirement: low latency.", {"hops": 2, "latency": 4}),
    # a distributive word spreads a softener over every objective of the clause
    ("Lower the delay; energy and memory could both drop slightly.", {"latency": 3, "power": 1, "resources": 1}),
    # declining the optimisation itself
    ("Do not maximise throughput, just reduce the metadata between switches.", {"coordination": 3}),
    # keeping a metric where it is asks for little; priority labels after an objective grade it
    ("Raise the packet rate, and hold delay about where it is now.", {"throughput": 3, "latency": 2}),
    ("memory P1, hops P3", {"resources": 3, "hops": 1}),
    # one word repeated over short clauses is emphasis
    ("Coverage. Coverage. Coverage.", {"coverage": 4}),
    # tolerance and bare dismissals
    # (the condition everything else hangs on, "as long as", is the greatest demand, as the held-out sets label it)
    pytest.param("It's okay if flows cross a few more switches, as long as delay goes down.", {"latency": 4},
                 marks=pytest.mark.xfail(strict=True, reason="known miss since round 3's retraining: the degree head "
                                         "no longer reads the condition as 4; a lexicon rule was tried and dropped because "
                                         "the older set labels 'we don't mind extra hops as long as latency stays low' 3")),
    ("pwr? nah. delay? meh. coverage - yes, all of it", {"coverage": 3}),
    ("Energy isn't the bottleneck; shorter paths are what we need.", {"hops": 3}),
    # "hop" as a place names no hop-count demand
    ("less metadata carried across hops would be nice", {"coordination": 2}),
    pytest.param("less state handed along hop to hop would be nice", {"coordination": 2},
                 marks=pytest.mark.xfail(strict=True, reason="known miss: the lexicon skips 'hop to hop' but the "
                                                             "learned objective head reads it as hop count")),
    # coverage asked as "none may be missed" is absolute; since round 3 so is "every tenant" (shared spec:
    # absolute = 4; the older sets' convention said 3)
    ("No tenant's flows may be left unclassified.", {"coverage": 4}),
    ("Raise coverage for every tenant.", {"coverage": 4}),
    # the learned head's "greatest demand" beside a hedged second ask is a contrast, read as plain 3
    ("Shorter routes are the actual aim here; a smaller TCAM footprint would be appreciated.", {"hops": 3, "resources": 1}),
    # "slightly more emphasis on X than on Y" compares, it does not soften; "not use so much X" asks for less X
    ("Put slightly more emphasis on bandwidth than on delay.", {"throughput": 3, "latency": 2}),
    ("Please do not burn so much energy.", {"power": 3}),
    # ruling out falling short is the greatest demand; "acceptable" alone stays moderate
    ("A slow verdict is a deal-breaker for us.", {"latency": 4}),
    ("Energy draw that is acceptable, and fewer hops.", {"power": 2, "hops": 3}),
    ("Keeping hops low is more important than anything else.", {"hops": 4}),
    # devices kept running are energy, not hop count; "fewest switches on each path" stays hops
    ("Keep fewer boxes powered up overnight.", {"power": 3}),
    ("Use the fewest switches on each path.", {"hops": 3}),
    # a then-list after context that names the same objectives: the list's head is first, the list grades the rest
    ("Delay and energy both matter to us, but if pushed, favour delay, then energy.", {"latency": 4, "power": 2}),
    # a hard bound in ticket wording is the greatest demand
    ("SRAM: 2 MB per leaf, hard cap", {"resources": 4}),
    # ticket ids in capitals are not shouting
    ("INCIDENT-5521 reduce SRAM usage on the leaves", {"resources": 3}),
]


@pytest.mark.parametrize("text, expect", CASES)
def test_cross_clause_grammar(text, expect):
    assert nonzero(text) == expect


def test_short_typos_and_slashed_chat_words_are_repaired():
    fixed, fixes = repair_typos("we're ok w/ more hops, lowr the enrgy pls")
    assert fixed == "we're ok with more hops, lower the energy please"
    assert ("w/", "with") in fixes
    # four-letter known words and unknown words that are not one dropped letter away stay as they are
    assert repair_typos("the plan goes live soon, tower crew on site")[1] == []


def test_bare_connective_keeps_the_condition_leading():
    clauses = split_clauses("reduce delay, and if it is cheap, reduce power")
    assert [c.text for c in clauses] == ["reduce delay", "and if it is cheap", "reduce power"]
    assert clauses[1].after_pause


def test_stated_order_with_an_objective_only_the_learned_head_names():
    # regression: the stated-order rule once failed on objectives with no lexicon word in their clause
    got = nonzero("Three wishes in this order: decisions that come back fast, a smaller SRAM footprint, "
                  "and no tenant left without a classifier.")
    assert got.get("latency") == 4 and got.get("resources") == 2


def test_none_of_these_sentences_is_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CASES) == []
