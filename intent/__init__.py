"""Intent translation: natural-language planning intent -> preference vector over the seven objectives.

`translate(text)` returns a Translation (preference, standardized per-objective text, out-of-scope
asks, confidence, evidence words, backend, notes); `translate_batch(texts)` does many in one pass.
Data flows one way: this package imports omniplan core only, never experts/ or controller/.
"""

from intent.custom import CustomObjective, load_custom_objectives, register_custom_objective
from intent.errors import BackendError, IntentInputError
from intent.result import OutOfScopeAsk, Translation
from intent.text import MAX_INTENT_CHARS
from intent.translate import BACKENDS, IntentConfig, embedded_translator, translate, translate_batch

__all__ = [
    "BACKENDS", "BackendError", "CustomObjective", "IntentConfig", "IntentInputError", "MAX_INTENT_CHARS",
    "OutOfScopeAsk", "Translation", "embedded_translator", "load_custom_objectives", "register_custom_objective",
    "translate", "translate_batch",
]
