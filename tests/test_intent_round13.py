"""Round 13: MiniLM's top layer (feed-forward half) tuned jointly with the clause heads (intent/tuned.py).

What is checked: the split MiniLM pass (lower layers, attention half, feed-forward half) is exactly the full pass;
the paired encoding gives the original vectors unchanged next to the tuned ones; a tuned layer equal to the
original changes no translation; the weights-file format (float16 differences, only the last layer's tuned
tensors) is validated with one clear error; the joint training is seeded, moves the tuned tensors and fits a
task the frozen vectors cannot; a small real retrain writes a loadable tuned layer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from intent import tuned
from intent.encoder import get_encoder
from intent.errors import BackendError
from intent.head import ClauseHeads

SENTENCES = ["keep the racks from cooking themselves", "the ticket backlog is huge, not our problem",
             "squeeze more frames through the spine layer please", "x"]


def _original_top(encoder) -> dict:
    return {name: encoder.model.w[name].clone() for name in tuned.layer_names(encoder.model.layers - 1)}


def test_split_pass_is_the_full_pass():
    encoder = get_encoder()
    model = encoder.model
    for rows, ids, mask, types in encoder._direct_batches(SENTENCES, 8):
        with torch.inference_mode():
            full = model.states(ids, mask, types)
            last = model.layers - 1
            half = model.attention(model.states_below(ids, mask, types, last), mask, last)
            assert torch.equal(model.feed_forward(half, last), full)
            assert torch.equal(model.pool(full, mask), model.embed(ids, mask, types))


def test_flat_token_rows_pool_to_the_sentence_vectors():
    """The training path (unpadded token rows, segment means) gives the sentence vectors of the padded pass."""
    encoder = get_encoder()
    cache = tuned.StateCache(encoder)
    cache.fill(SENTENCES)
    vectors = tuned.tuned_vectors(encoder, _original_top(encoder), SENTENCES)
    assert np.allclose(vectors, encoder.encode(SENTENCES), atol=2e-4)  # the cache holds float16 states


def test_pair_gives_original_vectors_and_an_untouched_layer_reads_the_same():
    encoder = get_encoder()
    top = tuned.TunedTop(encoder.model.layers - 1, _original_top(encoder))
    texts = [s + " (round 13 pair)" for s in SENTENCES]
    original, tuned_vectors = encoder.encode_pair(texts, top)
    assert np.array_equal(original, encoder.encode(texts))
    assert np.array_equal(original, tuned_vectors)
    changed = dict(top.weights)
    name = f"encoder.layer.{top.index}.output.dense.bias"  # (a constant shift would vanish in the LayerNorm)
    changed[name] = changed[name] + torch.linspace(-0.5, 0.5, len(changed[name]))
    shifted = tuned.TunedTop(top.index, changed)
    original2, moved = encoder.encode_pair(texts, shifted)
    assert np.array_equal(original2, original) and not np.allclose(moved, original, atol=1e-3)


def test_translation_with_an_untouched_tuned_layer_is_unchanged():
    """The translator routes the heads through the tuned layer: with the original tensors nothing may change."""
    from dataclasses import replace

    from intent.embedded import EmbeddedTranslator

    encoder = get_encoder()
    translator = EmbeddedTranslator(encoder)
    texts = ["the spine switches sound like jet engines at night", "memory, if there's room; latency above all",
             "our power users want a dark theme", "dont bother with hops, just thruput"]
    before = [t.preference.as_dict() for t in translator.translate_many(texts)]
    translator.heads = replace(translator.heads, top=tuned.TunedTop(encoder.model.layers - 1, _original_top(encoder)))
    after = [t.preference.as_dict() for t in translator.translate_many(texts)]
    assert after == before


def test_weights_file_format_is_checked(tmp_path):
    encoder = get_encoder()
    w = encoder.model.w
    last = encoder.model.layers - 1
    assert tuned.TunedTop.from_arrays({"objective_w1": np.zeros(1)}, w) is None
    good = tuned.deltas({n: t + 0.01 for n, t in _original_top(encoder).items()}, w)
    assert all(v.dtype == np.float16 for v in good.values())
    top = tuned.TunedTop.from_arrays(good, w)
    assert top.index == last and torch.allclose(top.weights[f"encoder.layer.{last}.output.dense.bias"],
                                                w[f"encoder.layer.{last}.output.dense.bias"] + 0.01, atol=1e-4)
    wrong_layer = {k.replace(f"layer.{last}.", "layer.2."): v for k, v in good.items()}
    untuned_tensor = {**good, f"top.encoder.layer.{last}.intermediate.dense.bias": np.zeros(1536, np.float16)}
    wrong_shape = {**good, f"top.encoder.layer.{last}.output.dense.bias": np.zeros(3, np.float16)}
    for bad in (wrong_layer, untuned_tensor, wrong_shape):
        with pytest.raises(ValueError):
            tuned.TunedTop.from_arrays(bad, w)
    shipped = np.load(ClauseHeads.load.__defaults__[0])
    path = tmp_path / "heads.npz"
    np.savez(path, **{k: shipped[k] for k in shipped.files}, **wrong_shape)
    with pytest.raises(BackendError, match="tuned layer"):
        ClauseHeads.load(path)
    np.savez(path, **{k: shipped[k] for k in shipped.files}, **good)
    assert ClauseHeads.load(path).top.index == last


def test_joint_stage_is_seeded_and_fits_a_task():
    """The joint stage fits a small labelled task (asks vs "is fine" reports) through the tuned layer and head,
    really moves the tuned tensors, and the same seed gives the same tensors."""
    encoder = get_encoder()
    base = ["cut the {} on the spine", "the {} on the spine is fine", "trim {} at the edge", "the {} at the edge is fine"]
    words = ["cost", "noise", "heat", "load", "lag", "state", "size", "churn", "drift", "spread", "wear", "risk"]
    texts = [t.format(w) for t in base for w in words]
    labels = np.array([[0 if "is fine" in t else 1] for t in texts], dtype=np.int64)

    def run():
        torch.manual_seed(3)
        head = torch.nn.Sequential(torch.nn.Linear(384, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
        top = tuned.fit_top(encoder, [(head, texts, labels, 1, 2)], seed=3, epochs=40, label_smoothing=0.0)
        with torch.no_grad():
            logits = head(torch.from_numpy(tuned.tuned_vectors(encoder, top, texts)))
        return top, (logits.argmax(1).numpy() == labels[:, 0]).mean()

    top, accuracy = run()
    again, _ = run()
    assert all(torch.equal(top[n], again[n]) for n in top)
    original = _original_top(encoder)
    assert any(not torch.equal(top[n], original[n]) for n in top)
    assert accuracy == 1.0


@pytest.mark.slow
def test_small_retrain_writes_a_tuned_layer_the_translator_reads(tmp_path):
    from intent.embedded import EmbeddedTranslator
    from intent.train import train

    path = tmp_path / "heads.npz"
    train(rows=200, seed=5, epochs=2, out=path, hand_sets=("intents_holdout4",), tune_epochs=1)
    files = np.load(path).files
    assert {f"top.encoder.layer.5.{n}" for n in tuned.TUNED} <= set(files)
    heads = ClauseHeads.load(path)
    assert heads.top is not None
    translator = EmbeddedTranslator(get_encoder())
    translator.heads = heads
    (result,) = translator.translate_many(["the boxes get roasting hot in summer, calm that down"])
    assert set(result.preference.as_dict()) >= {"power"}


# ------------------------------------------------------------------ round 13 constructions (rules) ------------
# Sentences written for these tests, not from any evaluation set (checked below). WHY each: the leave-one-set-out
# misses of rounds 12-13 (README "Round 13"): an acronym the vocabulary lacks read as shouting, symptom words for
# late answers and unseen traffic, and the non-native "too much switches".
CONSTRUCTIONS = [
    # a capitalised word the vocabulary lacks is an acronym or a name, not shouting (level 3, not 4) ...
    ("Cut the power draw of the classifiers on the backup VLAN.", {"power": 3}),
    ("Trim TCAM use on the PACS segment switches.", {"resources": 3}),
    # ... while a capitalised ordinary word still is
    ("Keep the power draw really SMALL on the edge boxes.", {"power": 4}),
    ("The checkout page feels sluggish whenever the fraud model runs.", {"latency": 3}),
    ("Our analysts say the verdicts come back noticeably late since the update; please fix the placement.", {"latency": 3}),
    ("The new line cards arrive later this month, place the forest as usual.", {}),
    ("Malware keeps sneaking past because no classifier sits on the backup segment.", {"coverage": 3}),
    ("Port scans from the lab go unnoticed since that traffic never meets a detector.", {"coverage": 3}),
    ("The maintenance window slipped by a week; deploy the SVM on the spine afterwards.", {}),
    ("The flows go across too much boxes before the model sees them, make it less.", {"hops": 3}),
]


@pytest.mark.parametrize("text, expect", CONSTRUCTIONS)
def test_round13_constructions(text, expect):
    from tests.test_intent_generalise import nonzero

    assert nonzero(text) == expect


def test_round13_sentences_are_not_in_the_training_data():
    from tests.test_intent_generalise import sentences_in_training_data

    assert sentences_in_training_data(CONSTRUCTIONS) == []
