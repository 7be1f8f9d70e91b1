"""Export a fitted classifier to our JSON model format (omniplan-model/1): plain data, no pickle.

WHY: the JSON file is what ``omniplan compile`` can read without trusting any code, and it keeps
the training data's feature ranges the quantiser needs (sklearn models do not store them).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from mlcompiler.compiler import ranges_from_data
from mlcompiler.spec import ModelSpec, spec_from_estimator


def export_spec(est: Any, X_train: np.ndarray | None = None) -> ModelSpec:
    return spec_from_estimator(est, ranges_from_data(X_train) if X_train is not None else None)


def export_model(est: Any, path: str | Path, X_train: np.ndarray | None = None) -> Path:
    """Write ``est`` (with the feature ranges of ``X_train`` if given) as JSON; atomic."""
    path = Path(path)
    text = json.dumps(export_spec(est, X_train).to_dict(), separators=(",", ":"))
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
