"""Round 6 of issue 11: clause-structure mechanisms for long requests, each checked on sentences written for the
mechanism (not from any evaluation set and not produced by intent/corpus.py, checked below).

WHY: the long family (3-5 clauses telling a history, ranking or dismissing objectives across sentences) was the
weakest on every independent set; the mechanisms read the structure (a later word on an objective overrides an
earlier one, a pronoun after a declining verb stands for what was just named), not any one set's wording.
Levels follow the shared spec: plain 3, superlative/absolute 4, hedged 1-2, dismissed 0.
"""

from __future__ import annotations

import pytest

from tests.test_intent_generalise import loaded, nonzero  # noqa: F401 (autouse fixture: one loaded translator)

CASES = [
    # retraction: a later dismissal of one objective withdraws an earlier ask of it
    ("At first the plan was to shrink TCAM use; after profiling, memory turned out to be fine as it is. Cut the hop count.",
     {"hops": 3}),
    ("We used to push for more bandwidth. These days throughput is not a concern; trim the energy.", {"power": 3}),
    # ... but an ask after a dismissal still stands, and a dismissal naming two objectives withdraws nothing earlier
    ("Forget about power for now. Actually, do shave a little power.", {"power": 1}),
    # requests declined by saying nobody asks, it is deferred, or there is plenty
    ("Boost the packet rate; we no longer require lower delay.", {"throughput": 3}),
    ("Shorten the paths. The team has no opinion about SRAM.", {"hops": 3}),
    ("Reduce switch-to-switch metadata; nobody mentioned energy.", {"coordination": 3}),
    ("Classify more of the flows; we can look at power later.", {"coverage": 3}),
    ("TCAM may be used freely; shrink the delay.", {"latency": 3}),
    ("Our uplinks are over-provisioned, so cut the hop count.", {"hops": 3}),
    ("Delay can worsen a bit; more coverage is what counts.", {"coverage": 3}),
    # a declining verb with a pronoun object stands for the objective of the clause before
    ("Shorten the paths. Lower delay will come with that, so don't chase it separately.", {"hops": 3}),
    ("Keep hop count down; power will drop by itself.", {"hops": 3, "power": 3}),
    # ... over context that names nothing, to the last clause naming one objective; "otherwise leave it" is a fallback
    ("We thought about asking for fewer hops, but the fabric is small, so forget it. Cut the energy draw.", {"power": 3}),
    ("Trim the delay where possible; otherwise leave it.", {"latency": 2}),
    # holding a metric where it is "but don't push it" asks nothing for it
    ("Raise the packet rate; keep hop count where it is but don't push it.", {"throughput": 3}),
    # a refused item before a colon heads nothing; article-less primacy; an exclusion said as a statement
    ("Not coverage, not hops: energy is the thing to lower.", {"power": 3}),
    ("For this site main thing is the bandwidth, and a bit less memory.", {"throughput": 4, "resources": 1}),
    ("Coverage is the king here, nothing else is relevant.", {"coverage": 4}),
    # "the same" copies the dismissal of the clause before; an imperative "skip" of a named optimisation declines it
    ("Energy is not our problem, the same goes for TCAM. Shorten the paths.", {"hops": 3}),
    ("Skip the latency tuning this sprint; grow the coverage.", {"coverage": 3}),
    ("Flows skip the detectors at peak, so raise the coverage.", {"coverage": 3}),
    # "the first two" refers back to earlier items; it singles nothing out
    ("Trim energy, then delay; fewer hops too where it doesn't hurt the first two.", {"power": 4, "latency": 2, "hops": 3}),
    # ("a third of" is a fraction, not the third item of a list)
    # coverage as the effect of inspection, in the verb's own words
    ("Inspect as many of the tenant flows as the switches can take.", {"coverage": 3}),
    ("A third of the mirrored packets are never examined by a classifier.", {"coverage": 3}),
    ("Campus traffic still reaches the core without any label; sort it out.", {"coverage": 3}),
    # a predicate without a subject grades the clause before, not the one after
    ("Raise the bandwidth; coverage counts too but is secondary; energy can be whatever.", {"throughput": 3, "coverage": 2}),
    # "less of an issue" as "matters less"; being willing to spend more is a tolerance
    ("With the bigger ASIC, SRAM is less of a concern; cut the hop count.", {"hops": 3}),
    ("We're happy to burn more energy if the delay goes down.", {"latency": 3}),
    # nothing ranked above it singles an objective out; "as a stretch" is a hedge, never a path stretch
    ("Nothing beats a small TCAM footprint here, though fewer hops would be nice.", {"resources": 4, "hops": 2}),
    ("less energy on the edge racks, that's the big one", {"power": 4}),
    ("Shrink delay; a little more coverage as a stretch.", {"latency": 3, "coverage": 1}),
    # "the number-one thing ... and Y the number-two": ordinal labels with "thing" and a bare second label
    ("Make coverage the number-one thing to optimize, and energy the number-two.", {"coverage": 4, "power": 2}),
    # a later comparison settles the order of an objective graded earlier: the one compared ahead ends above it
    ("Burn as little power as the racks allow and shorten the paths; hop count matters more than power.",
     {"hops": 4, "power": 3}),
    # a withdrawn objective is not revived by the learned head's calibration of a 4
    ("Originally we demanded the lowest possible delay, but latency turned out to be fine. Shrink TCAM use.",
     {"resources": 3}),
    # a ranking announced as such ranks the list that follows: first 4, second 2, rest 1
    ("After two outages, our priority order is: energy, bandwidth, coverage.", {"power": 4, "throughput": 2, "coverage": 1}),
    # "stretch goal" is the least demand, and never a path stretch
    ("Cut the metadata between switches; lower power is strictly a stretch goal.", {"coordination": 3, "power": 1}),
    ("Keep the path stretch small.", {"hops": 3}),
]


@pytest.mark.parametrize("text, expect", CASES)
def test_round6_mechanisms(text, expect):
    assert nonzero(text) == expect


def test_round6_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CASES) == []
