"""Saving and loading models as JSON.

File layout (format version 1)::

    {"format": "autograd-engine.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu", ...},
     "parameters": {"layers.0.neurons.0.w.0": 0.23..., ..., "layers.2.neurons.0.b": -0.1...}}

Floats are written with ``repr`` precision, so a round trip gives bit-identical weights.
Writing is atomic (a temporary file in the same directory, then ``os.replace``): a crash
leaves the old file or the new one, never half of one.  Loading checks everything — JSON
syntax, format, version, architecture, the exact set of parameter names, every number finite
— before touching the model, so a bad file raises ``ValueError`` and changes nothing.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Union

from autograd_engine.files import atomic_write

from .module import Module, from_architecture

FORMAT, VERSION = "autograd-engine.nn", 1
PathLike = Union[str, os.PathLike]


def save(model: Module, path: PathLike) -> None:
    """Write ``model``'s architecture and every parameter to ``path`` as JSON, atomically."""
    named = model.named_parameters()
    doc = {"format": FORMAT, "version": VERSION, "architecture": model.architecture(),
           "parameters": {name: p.data for name, p in named}}
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def _no_constants(name: str):
    raise ValueError(f"the number {name} is not finite")


def _read(path: PathLike) -> dict:
    """The validated document at ``path`` (format and version checked)."""
    where = f"nn.load: {os.fspath(path)!r}"
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ValueError(f"{where}: cannot read the file ({e.strerror or e})") from None
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError as e:
        raise ValueError(f"{where}: not a UTF-8 text file ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: not valid JSON, truncated or corrupt ({e})") from None
    except ValueError as e:  # NaN / Infinity
        raise ValueError(f"{where}: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{where}: not an autograd-engine model file (no \"format\": {FORMAT!r})")
    version = doc.get("version")
    if version != VERSION:
        raise ValueError(f"{where}: format version {version!r} is not supported (this version "
                         f"reads version {VERSION})")
    if not isinstance(doc.get("architecture"), dict) or not isinstance(doc.get("parameters"), dict):
        raise ValueError(f"{where}: needs an \"architecture\" object and a \"parameters\" object")
    return doc


def _values(doc: dict, model: Module, path: PathLike) -> list[float]:
    """The file's parameters in ``model``'s order, every one checked; raises before any change."""
    where = f"nn.load: {os.fspath(path)!r}"
    if doc["architecture"] != model.architecture():
        raise ValueError(f"{where}: the file's architecture {doc['architecture']} does not match "
                         f"the model's {model.architecture()}")
    stored = doc["parameters"]
    names = [n for n, _ in model.named_parameters()]
    missing = [n for n in names if n not in stored]
    extra = sorted(set(stored) - set(names))
    if missing or extra:
        raise ValueError(f"{where}: parameters do not match the architecture "
                         f"(missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                         f"unexpected {extra[:3]}{'...' if len(extra) > 3 else ''})")
    out = []
    for n in names:
        x = stored[n]
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ValueError(f"{where}: parameter {n!r} is {x!r}, not a finite number")
        out.append(float(x))
    return out


def load_into(model: Module, path: PathLike) -> Module:
    """Set ``model``'s parameters from the file at ``path`` (same architecture required).
    All or nothing: on any error the model is left unchanged.  Returns ``model``."""
    values = _values(_read(path), model, path)
    for p, x in zip(model.parameters(), values):
        p.data = x
    return model


def load(path: PathLike) -> Module:
    """The model saved at ``path``: its architecture rebuilt, its parameters loaded."""
    doc = _read(path)
    try:
        model = from_architecture(doc["architecture"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"nn.load: {os.fspath(path)!r}: invalid architecture "
                         f"{doc['architecture']!r} ({type(e).__name__}: {e})") from None
    values = _values(doc, model, path)
    for p, x in zip(model.parameters(), values):
        p.data = x
    return model
