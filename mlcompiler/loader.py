"""Load a trained model safely: skops with an explicit allow-list, or our JSON export. Never pickle.

WHY: a model file is operator input and pickle executes arbitrary code on load. skops lists the
types a file would instantiate; we refuse any type outside ``TRUSTED_TYPES`` (named in the
error) and only then load with exactly the types found. Our JSON export (mlcompiler.export) is
plain data validated field by field.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Sequence

from mlcompiler.spec import ModelSpec, spec_from_dict, spec_from_estimator
from omniplan.errors import InputError

#: Types skops does not trust by default that our supported models legitimately contain.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
)
_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".sav", ".pt", ".pth"}


def load_model(path: str | Path, feature_ranges: Sequence[Sequence[float]] | None = None) -> ModelSpec:
    """A ModelSpec from a ``.skops`` or ``.json`` file; InputError with the reason otherwise."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _PICKLE_SUFFIXES:
        raise InputError(f"{path}: pickle-based model files are refused (loading them runs code); "
                         "save with skops.io.dump or mlcompiler.export.export_model")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a model file")
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
        spec = spec_from_dict(data, source=str(path))
    elif suffix == ".skops":
        spec = spec_from_estimator(_load_skops(path))
    else:
        raise InputError(f"{path}: unknown model file type {suffix or '(none)'!r}; expected .skops or .json")
    if feature_ranges is not None:
        if len(feature_ranges) != spec.n_features:
            raise InputError(f"feature ranges: {len(feature_ranges)} given, the model has {spec.n_features} features")
        spec.feature_ranges = [list(map(float, r)) for r in feature_ranges]
    return spec


def _load_skops(path: Path):
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable skops file ({exc})") from None
    refused = [t for t in found if t not in TRUSTED_TYPES]
    if refused:
        raise InputError(f"{path}: refusing untrusted type(s) in the skops file: {', '.join(refused)}")
    try:
        return sio.load(path, trusted=list(found))
    except Exception as exc:  # skops raises many kinds on malformed content
        raise InputError(f"{path}: cannot load skops file ({type(exc).__name__}: {exc})") from None


def load_ranges(path: str | Path) -> list[list[float]]:
    """A JSON list per feature of [lo, hi] optionally followed by is_integer and interior quantile
    knots, as mlcompiler.compiler.ranges_from_data writes them."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(data, list) or not all(
        isinstance(r, list) and len(r) >= 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in r)
        and r[0] <= r[1] for r in data
    ):
        raise InputError(f"{path}: expected a list of [lo, hi] number pairs with lo <= hi")
    return [[float(v) for v in r] for r in data]
