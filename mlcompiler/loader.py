"""Load a trained model safely: skops with an explicit allow-list, our JSON export, or XGBoost's
own JSON model format. Never pickle.

WHY: a model file is operator input. Pickle executes arbitrary code on load; a skops file can
name any type, and some trusted-looking types hand file content to native loaders (an XGBoost
``Booster`` inside a skops file is restored by libxgboost, which a crafted file can make open an
attacker-chosen path). So:

* skops: we first read the file's ``schema.json`` ourselves and refuse a top-level sklearn
  estimator we cannot compile ("unsupported model type", named) or XGBoost (use its JSON format
  instead); then skops lists the types the file would instantiate and we refuse any outside
  ``TRUSTED_TYPES`` (named: a non-sklearn top level such as a dict holding ``numpy.save`` is
  reported by what it would run); only then does skops load with exactly those types;
* JSON: plain data (ours: mlcompiler.export; XGBoost's: ``booster.save_model("m.json")``),
  validated field by field (mlcompiler.spec), including tree shape (no cycles, indices in range).

Every refusal is an InputError with one line naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import json
import sys
import zipfile
from pathlib import Path
from typing import Any, Iterator, Sequence

from mlcompiler.spec import SUPPORTED, ModelSpec, spec_from_dict, spec_from_estimator, spec_from_xgb_json
from omniplan.errors import InputError

#: Types skops does not trust by default that our supported sklearn models legitimately contain.
#: No XGBoost type: a skops'd Booster is restored by libxgboost from file bytes (see module doc).
#: The MLP optimisers are plain Python objects holding arrays (restored by __dict__, no I/O).
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
)
_PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib", ".sav", ".pt", ".pth"}
#: Largest model file we parse (bytes): a 100-tree depth-12 forest exports to ~60 MB of JSON;
#: anything far beyond is refused before it is read into memory.
MAX_MODEL_BYTES = 512 * 2 ** 20
#: Largest skops schema.json we read (uncompressed bytes), against zip bombs.
MAX_SCHEMA_BYTES = 256 * 2 ** 20


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
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise InputError(f"{path}: {path.stat().st_size} bytes; model files over {MAX_MODEL_BYTES} bytes are refused")
    if suffix == ".json":
        data = _read_json(path.read_bytes(), str(path))
        if isinstance(data, dict) and "learner" in data and "format" not in data:
            spec = spec_from_xgb_json(data, str(path))
        else:
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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _read_json(raw: bytes, source: str) -> Any:
    """Strict JSON (no NaN/Infinity); decoding and nesting errors become one-line InputErrors."""
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    except ValueError as exc:
        raise InputError(f"{source}: invalid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply") from None


def _top_level_type(path: Path) -> str:
    """The class the skops file's root object claims to be, read from its schema.json by us."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("schema.json")
            if info.file_size > MAX_SCHEMA_BYTES:
                raise InputError(f"{path}: skops schema of {info.file_size} bytes is over {MAX_SCHEMA_BYTES}")
            schema = _read_json(zf.read(info), f"{path}: schema.json")
    except InputError:
        raise
    except Exception as exc:  # zipfile raises many kinds (BadZipFile, KeyError, OSError, zlib.error, ...)
        raise InputError(f"{path}: not a readable skops file ({type(exc).__name__}: {str(exc)[:100]})") from None
    if not isinstance(schema, dict) or not isinstance(schema.get("__class__"), str) \
            or not isinstance(schema.get("__module__"), str):
        raise InputError(f"{path}: not a readable skops file (schema.json names no top-level class)")
    return f"{schema['__module__']}.{schema['__class__']}"


class _NoTorch(importlib.abc.MetaPathFinder):
    """Makes ``import torch`` fail (ImportError) while skops is imported.

    WHY: ``import skops.io`` calls sklearn's all_estimators(), whose pkgutil walk imports every
    sklearn sub-package, including sklearn.externals.array_api_compat.torch, which imports all of
    torch (~1 s of the CLI's start-up) for nothing a model file needs. The walk ignores
    ImportErrors, so refusing torch for the duration only skips that package."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"torch is not loaded while importing skops", name=name)
        return None


@contextlib.contextmanager
def _without_torch() -> Iterator[None]:
    if "torch" in sys.modules:  # already paid for; nothing to save
        yield
        return
    finder = _NoTorch()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


def _import_skops() -> Any:
    with _without_torch():
        import skops.io as sio
    return sio


def _load_skops(path: Path) -> Any:
    top = _top_level_type(path)
    name = top.rsplit(".", 1)[-1]
    if top.startswith("xgboost."):
        raise InputError(f"{path}: XGBoost models in skops files are refused (libxgboost would load the file's bytes); "
                         "save with model.save_model('model.json') and compile that JSON file")
    unsupported = InputError(f"{path}: unsupported model type {name}; supported: {', '.join(SUPPORTED)}")
    if top.startswith("sklearn.") and name not in SUPPORTED:
        raise unsupported  # a known library's estimator we cannot compile: say so, whatever it holds
    sio = _import_skops()
    try:
        found = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises many kinds on a malformed schema
        raise InputError(f"{path}: not a readable skops file ({type(exc).__name__}: {str(exc)[:100]})") from None
    refused = [t for t in found if t not in TRUSTED_TYPES]
    if refused:
        raise InputError(f"{path}: refusing untrusted type(s) in the skops file: {', '.join(refused)}")
    if name not in SUPPORTED or not top.startswith("sklearn."):
        raise unsupported
    try:
        est = sio.load(path, trusted=list(found))
    except Exception as exc:  # skops raises many kinds on malformed content
        raise InputError(f"{path}: cannot load skops file ({type(exc).__name__}: {str(exc)[:100]})") from None
    if type(est).__name__ != name:
        raise InputError(f"{path}: the schema names {name} but the file holds {type(est).__name__}")
    return est


def load_ranges(path: str | Path) -> list[list[float]]:
    """A JSON list per feature of [lo, hi] optionally followed by is_integer and interior quantile
    knots, as mlcompiler.compiler.ranges_from_data writes them (see mlcompiler.compiler.make_quantizer)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    data = _read_json(path.read_bytes(), str(path))
    if not isinstance(data, list) or not all(
        isinstance(r, list) and len(r) >= 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in r)
        and r[0] <= r[1] for r in data
    ):
        raise InputError(f"{path}: expected a list of [lo, hi] number pairs with lo <= hi")
    return [[float(v) for v in r] for r in data]
