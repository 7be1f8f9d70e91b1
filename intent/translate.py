"""Public entry points: translate one intent or a batch, with a chosen backend.

Backends: "embedded" (default, offline: lexicon + sentence-BERT + anchor curve), "openai"
(OpenAI-compatible chat endpoint) and "local" (transformers causal LM from a directory). An LLM
backend that errors, times out or keeps answering out of format falls back to the embedded
translator, and the Translation's notes say so.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from intent.custom import load_custom_objectives
from intent.embedded import SUBJECTS, EmbeddedTranslator
from intent.encoder import get_encoder
from intent.errors import BackendError
from intent.curve import ANCHOR_DEGREES
from intent.llm import PROMPTS, LLMReading, LocalCausalLM, NonConforming, OpenAIChat, TransportError, query_with_retries
from intent.result import OutOfScopeAsk, Translation
from intent.text import check_text
from omniplan.objectives import OBJECTIVES, Preference

BACKENDS = ("embedded", "openai", "local")


@dataclass(frozen=True)
class IntentConfig:
    """Backend choice and LLM settings; `from_env` reads the OMNIPLAN_LLM_* variables."""

    backend: str = "embedded"
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout_s: float = 20.0
    max_tries: int = 3
    local_model_path: str | None = None
    max_new_tokens: int = 256
    prompt: str = "scale"  # the LLM's system prompt (intent.llm.PROMPTS): "scale" or the paper's own, "paper"
    home: Path | None = None  # where custom objectives persist; None = $OMNIPLAN_HOME or ~/.omniplan

    @classmethod
    def from_env(cls, **overrides: object) -> "IntentConfig":
        env = os.environ
        config = cls(
            backend=env.get("OMNIPLAN_INTENT_BACKEND", "embedded"),
            base_url=env.get("OMNIPLAN_LLM_BASE_URL") or None,
            model=env.get("OMNIPLAN_LLM_MODEL") or None,
            api_key=env.get("OMNIPLAN_LLM_API_KEY") or None,
            local_model_path=env.get("OMNIPLAN_LLM_LOCAL_PATH") or None,
            prompt=env.get("OMNIPLAN_LLM_PROMPT") or "scale",
        )
        return replace(config, **{k: v for k, v in overrides.items() if v is not None})


_TRANSLATOR_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _embedded() -> EmbeddedTranslator:
    # OMNIPLAN_INTENT_READER=1 adds the intent reader's second opinion (intent/reader.py; off by default: README
    # "intent reader" has the leave-one-set-out figures it was judged by)
    if os.environ.get("OMNIPLAN_INTENT_READER", "") not in ("", "0"):
        from intent.reader import intent_reader

        return EmbeddedTranslator(get_encoder(), reader=intent_reader())
    return EmbeddedTranslator(get_encoder())


def embedded_translator() -> EmbeddedTranslator:
    """The process-wide embedded translator (model and anchor curves built once)."""
    with _TRANSLATOR_LOCK:
        return _embedded()


def translate(text: str, *, backend: str | None = None, config: IntentConfig | None = None) -> Translation:
    """Translate one natural-language intent into a preference vector (see Translation)."""
    return translate_batch([text], backend=backend, config=config)[0]


def translate_batch(texts: Sequence[str], *, backend: str | None = None,
                    config: IntentConfig | None = None) -> list[Translation]:
    """Translate many intents; the embedded backend embeds the whole batch in one encoder pass.

    Every text is checked first, so a bad one raises IntentInputError before any work is done.
    """
    config = config or IntentConfig.from_env()
    name = (backend or config.backend or "embedded").lower()
    if name not in BACKENDS:
        raise BackendError(f"unknown intent backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if config.prompt not in PROMPTS:
        raise BackendError(f"unknown LLM prompt {config.prompt!r} (OMNIPLAN_LLM_PROMPT); choose one of {', '.join(PROMPTS)}")
    checked = [check_text(t) for t in texts]
    customs = load_custom_objectives(config.home)
    translator = embedded_translator()
    if name == "embedded":
        return translator.translate_many(checked, customs)
    chat = _llm_chat(name, config)
    results: list[Translation | None] = []
    fallback: list[tuple[int, str]] = []
    for i, text in enumerate(checked):
        if isinstance(chat, str):  # the backend could not even be constructed
            fallback.append((i, chat))
            results.append(None)
            continue
        try:
            reading, tries = query_with_retries(chat, text, config.max_tries, config.prompt)
        except (NonConforming, TransportError) as exc:
            fallback.append((i, str(exc)))
            results.append(None)
            continue
        results.append(_score_llm(translator, text, reading, name, tries, customs))
    if fallback:
        backups = translator.translate_many([checked[i] for i, _ in fallback], customs)
        for (i, reason), backup in zip(fallback, backups):
            results[i] = replace(backup, notes=[f"{name} backend: {reason}; used embedded default"] + backup.notes)
    return [r for r in results if r is not None]


def _llm_chat(name: str, config: IntentConfig):
    """The chat callable for an LLM backend, a string reason when it cannot be built, or BackendError."""
    if name == "openai":
        if not config.base_url or not config.model:
            raise BackendError("the openai backend needs a base URL and a model: set OMNIPLAN_LLM_BASE_URL and "
                               "OMNIPLAN_LLM_MODEL (or --llm-url / --llm-model)")
        return OpenAIChat(config.base_url, config.model, config.api_key, config.timeout_s)
    if not config.local_model_path:
        raise BackendError("the local backend needs a model directory: set OMNIPLAN_LLM_LOCAL_PATH (or --llm-path)")
    try:
        return LocalCausalLM(config.local_model_path, config.max_new_tokens)
    except TransportError as exc:
        return str(exc)


_DEFAULT = re.compile(r"^\s*(?:default\s*=\s*0|none|n/?a|0)\s*\.?\s*$", re.I)


def _score_llm(translator: EmbeddedTranslator, text: str, reading: LLMReading, backend: str, tries: int,
               customs) -> Translation:
    """Score the LLM's standardized texts on the anchor curves (paper eq. 2)."""
    sentences, zero = {}, set()
    for o in OBJECTIVES:
        t = reading.standardized[o]
        if _DEFAULT.match(t) or re.search(r"\bno demand\b", t, re.I):
            zero.add(o)
        degree = next((d for d in sorted(ANCHOR_DEGREES, key=len, reverse=True)
                       if re.search(rf"\b{re.escape(d)} demand\b", t, re.I)), None)
        # free wording is scored as written, anchored to the objective so it projects onto the right curve
        sentences[o] = (f"The user has {degree} demand for {SUBJECTS[o]}" if degree
                        else f"{t.rstrip('. ')} for {SUBJECTS[o]}")
    vectors = translator.encoder.encode([sentences[o] for o in OBJECTIVES])
    values, thetas = {}, {}
    for j, o in enumerate(OBJECTIVES):
        score, theta = translator.curves[o].score(vectors[j][None, :])
        values[o] = 0.0 if o in zero else float(score[0])
        thetas[o] = float(theta[0])
    custom_names = {c.name for c in customs}
    oos_names = [n for n in reading.out_of_scope if n not in custom_names]
    mapped = translator.closest_objective(oos_names)
    out_of_scope = [OutOfScopeAsk(n, m[0], m[1], 0.75, (n,)) for n, m in zip(oos_names, mapped)]
    notes = [f"{backend} LLM answered in format after {tries} tries"] if tries > 1 else []
    if out_of_scope:
        notes.append("out-of-scope intensity assumed high (0.75): the LLM reports names only")
    evidence = {o: [reading.standardized[o]] for o in OBJECTIVES if o not in zero}
    confidence = 0.85 if tries == 1 else 0.7
    return Translation(text=text, preference=Preference(values),
                       standardized={o: reading.standardized[o] for o in OBJECTIVES}, out_of_scope=out_of_scope,
                       confidence=confidence, evidence=evidence, backend=backend, notes=notes,
                       custom={n: 0.75 for n in reading.out_of_scope if n in custom_names}, thetas=thetas)
