"""Saving and loading models (and their optimizers) as JSON.

File layout (format version 1)::

    {"format": "autograd-engine.nn", "version": 1,
     "architecture": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], "activation": "relu", ...},
     "parameters": {"layers.0.neurons.0.w.0": 0.23..., ..., "layers.2.neurons.0.b": -0.1...},
     "optimizer": {"type": "Adam", "steps": 12, "lr": 0.001,             # optional
                   "hyperparameters": {"betas": [0.9, 0.999], "eps": 1e-08, "weight_decay": 0.0},
                   "parameters": ["layers.0.neurons.0.w.0", ...],        # the optimizer's order
                   "state": {"m": [...], "v": [...]}}}                  # aligned with them

``architecture`` is one of ``MLP``, ``Layer``, ``Neuron``, ``Linear``, ``Sequential``
(``{"type": "Sequential", "modules": [...], "names": [...]}``, names only when not 0, 1, …),
the activations ``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU`` (``negative_slope``),
``Identity``, or ``{"type": "custom", "class": "pkg.Net"}`` for a module subclass: a file never
names code to run, so :func:`load` refuses a custom module and :func:`load_into` loads the
parameters into one you build (PyTorch's ``model.load_state_dict(torch.load(path))``).

Floats are written with ``repr`` precision, so a round trip gives bit-identical weights.
Writing is atomic (:func:`autograd_engine.files.atomic_write`, which keeps an existing file's
permissions): a crash leaves the old file or the new one, never half of one.

Reading is bounded and checks everything before it builds or changes anything: the file must
be a regular file (not a FIFO, a device, a directory) of at most :data:`MAX_BYTES`; valid
UTF-8 JSON (no duplicate keys, not nested past the parser's limit); format, version (the int
1: not ``true``, not ``1.0``); an architecture within the bounds below whose parameter count
(computed from the declared sizes, without allocating) equals the number of parameters the
file stores; the exact set of parameter names; every number finite and a float; the
optimizer's state.  A bad file raises ``ValueError`` naming the file (``FileNotFoundError``,
``IsADirectoryError``, ``PermissionError`` where the operating system says so) and changes
nothing, in milliseconds whatever it declares.

Bounds on what a file may declare (a scalar-engine model is small; a model this size already
takes seconds per forward pass):

======================  ==========================================================
:data:`MAX_BYTES`       128 MiB read at most
:data:`MAX_PARAMETERS`  1,000,000 parameters in the model
:data:`MAX_WIDTH`       100,000 inputs or outputs per layer
:data:`MAX_LAYERS`      1,000 layers in an MLP or modules in one Sequential
:data:`MAX_DEPTH`       32 levels of Sequential inside Sequential
:data:`MAX_MODULES`     10,000 modules in all
======================  ==========================================================
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from typing import Callable, Optional, Union

from autograd_engine.files import atomic_write, check_writable, file_kind
from autograd_engine.checks import finite_float

from .module import ACTIVATIONS, Module, _finite, from_architecture
from .optim import Optimizer

FORMAT, VERSION = "autograd-engine.nn", 1
PathLike = Union[str, os.PathLike]

MAX_BYTES = 128 * 2 ** 20
MAX_PARAMETERS = 1_000_000
MAX_WIDTH = 100_000
MAX_LAYERS = 1_000
MAX_DEPTH = 32
MAX_MODULES = 10_000


# ---- saving -----------------------------------------------------------------------------------
def save(model: Module, path: PathLike, optimizer: Optional[Optimizer] = None) -> None:
    """Write ``model``'s architecture and every parameter to ``path`` as JSON, atomically;
    with ``optimizer``, its state too (step count, buffers, hyperparameters), so training
    resumes where it stopped (:func:`load_into` / :func:`load` with ``optimizer=``)."""
    if not isinstance(model, Module):
        raise TypeError(f"nn.save: model must be an nn.Module, got {type(model).__name__}")
    check_writable(path, "nn.save")  # a FIFO or device node at path is refused, not replaced
    named = model.named_parameters()
    for name, p in named:  # Value keeps data finite, but p.data can be assigned directly
        if not math.isfinite(p.data):
            raise ValueError(f"nn.save: parameter {name!r} is {p.data} (the model diverged?); "
                             f"nothing was written to {os.fspath(path)!r}")
    doc = {"format": FORMAT, "version": VERSION, "architecture": model.architecture(),
           "parameters": {name: p.data for name, p in named}}
    if optimizer is not None:
        doc["optimizer"] = _optimizer_doc(named, optimizer, path)
    text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    atomic_write(path, lambda f: f.write(text.encode("utf-8")), "nn.save")


def _optimizer_doc(named: list, optimizer: Optimizer, path: PathLike) -> dict:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"nn.save: optimizer must be an nn optimizer (nn.SGD, nn.Adam, ...), "
                        f"got {type(optimizer).__name__}")
    name_of = {id(p): n for n, p in named}
    names = []
    for i, p in enumerate(optimizer.params):
        if id(p) not in name_of:
            raise ValueError(f"nn.save: the optimizer's parameter {i} is not one of the model's "
                             f"parameters (build the optimizer from model.parameters())")
        names.append(name_of[id(p)])
    if len(set(names)) != len(names):
        raise ValueError("nn.save: the optimizer holds a parameter twice")
    state = optimizer.state_dict()
    for buf, xs in state["state"].items():
        for n, x in zip(names, xs):
            if not math.isfinite(x):
                raise ValueError(f"nn.save: the optimizer's {buf} for parameter {n!r} is {x}; "
                                 f"nothing was written to {os.fspath(path)!r}")
    return {**state, "parameters": names}


# ---- reading: bounded, and refusing what is not a regular file ---------------------------------
def _where(path: PathLike, who: str) -> str:
    return f"{who}: {os.fspath(path)!r}"


def _os_error(e: OSError, path: PathLike, who: str) -> Exception:
    """What the operating system said, naming the file and the function."""
    name = os.fspath(path)
    for cls in (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        if isinstance(e, cls):
            return cls(e.errno, f"{who}: {e.strerror or cls.__name__}", name)
    return ValueError(f"{_where(path, who)}: cannot read the file ({e.strerror or e})")


def _check_regular(st: os.stat_result, path: PathLike, who: str) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{who}: is a directory, not a model file",
                                os.fspath(path))
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{_where(path, who)}: is {file_kind(st.st_mode)}, not a model file (reading it could "
                         f"block or never end)")
    if st.st_size > MAX_BYTES:
        raise ValueError(f"{_where(path, who)}: {st.st_size:,} bytes is larger than a model file "
                         f"may be ({MAX_BYTES:,} bytes, nn.io.MAX_BYTES)")


def _read_bytes(path: PathLike, who: str) -> bytes:
    """The file's bytes, at most MAX_BYTES: ``stat`` first (so a FIFO or /dev/zero is never
    opened), then opened non-blocking and checked again on the descriptor (in case the path
    was swapped between the two)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise _os_error(e, path, who) from None
    _check_regular(st, path, who)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise _os_error(e, path, who) from None
    try:
        _check_regular(os.fstat(fd), path, who)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise _os_error(e, path, who) from None
    finally:
        os.close(fd)
    if size > MAX_BYTES:  # it grew after the stat
        raise ValueError(f"{_where(path, who)}: larger than a model file may be "
                         f"({MAX_BYTES:,} bytes, nn.io.MAX_BYTES)")
    return b"".join(chunks)


def _no_constants(name: str):
    raise ValueError(f"the number {name} is not finite")


def _unique_keys(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError(f"the key {k[:80]!r} appears twice in one object")
            seen.add(k)
    return d


def _read(path: PathLike, who: str = "nn.load") -> dict:
    """The document at ``path``, its top level checked (format, version, the sections' types)."""
    where = _where(path, who)
    raw = _read_bytes(path, who)
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constants,
                         object_pairs_hook=_unique_keys)
    except UnicodeDecodeError as e:
        raise ValueError(f"{where}: not a UTF-8 text file ({e.reason})") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{where}: not valid JSON, truncated or corrupt ({e})") from None
    except ValueError as e:  # NaN / Infinity, duplicate keys, an integer past 4300 digits
        raise ValueError(f"{where}: {e}") from None
    except RecursionError:
        raise ValueError(f"{where}: JSON nested too deeply to be a model file") from None
    except MemoryError:
        raise ValueError(f"{where}: too large to parse") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{where}: not an autograd-engine model file (no \"format\": {FORMAT!r})")
    version = doc.get("version")
    if type(version) is not int or version != VERSION:  # true == 1 and 1.0 == 1 in Python
        raise ValueError(f"{where}: format version {str(version)[:40]} is not supported (this "
                         f"version reads the integer {VERSION})")
    known = {"format", "version", "architecture", "parameters", "optimizer"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ValueError(f"{where}: unexpected keys {[k[:40] for k in unknown[:3]]} (a version 1 "
                         f"file has {sorted(known)})")
    if not isinstance(doc.get("architecture"), dict) or not isinstance(doc.get("parameters"), dict):
        raise ValueError(f"{where}: needs an \"architecture\" object and a \"parameters\" object")
    if "optimizer" in doc and not isinstance(doc["optimizer"], dict):
        raise ValueError(f"{where}: \"optimizer\" must be an object")
    if len(doc["parameters"]) > MAX_PARAMETERS:
        raise ValueError(f"{where}: stores {len(doc['parameters']):,} parameters, more than a model "
                         f"may have ({MAX_PARAMETERS:,}, nn.io.MAX_PARAMETERS)")
    return doc


# ---- the architecture, checked and counted before anything is built ---------------------------
_FIELDS = {  # type -> (required keys, optional keys)
    "MLP": ({"nin", "nouts", "activation", "last_activation"}, set()),
    "Layer": ({"nin", "nout", "activation"}, set()),
    "Neuron": ({"nin", "activation"}, set()),
    "Linear": ({"nin", "nout"}, {"bias"}),
    "Sequential": ({"modules"}, {"names"}),
    "ReLU": (set(), set()), "Tanh": (set(), set()), "Sigmoid": (set(), set()),
    "Identity": (set(), set()), "LeakyReLU": (set(), {"negative_slope"}),
    "custom": ({"class"}, set()),
}


def _width(x, at: str, where: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or not 1 <= x <= MAX_WIDTH:
        raise ValueError(f"{where}: {at} must be an int from 1 to {MAX_WIDTH:,} (nn.io.MAX_WIDTH), "
                         f"got {str(x)[:40]}")
    return x


def _activation(x, at: str, where: str) -> None:
    if not isinstance(x, str) or x not in ACTIVATIONS:
        raise ValueError(f"{where}: {at} must be one of {', '.join(map(repr, ACTIVATIONS))}, "
                         f"got {str(x)[:40]!r}")


def _count(arch: dict, where: str) -> tuple[int, bool]:
    """(the number of parameters ``arch`` declares, whether it has a custom module, whose count
    only the module itself knows), every field checked against the bounds: no allocation."""
    total, custom, modules = 0, False, 0
    stack = [(arch, "architecture", 0)]
    while stack:
        a, at, depth = stack.pop()
        modules += 1
        if modules > MAX_MODULES:
            raise ValueError(f"{where}: more than {MAX_MODULES:,} modules (nn.io.MAX_MODULES)")
        if not isinstance(a, dict):
            raise ValueError(f"{where}: {at} must be an object, got {type(a).__name__}")
        kind = a.get("type")
        if not isinstance(kind, str) or kind not in _FIELDS:
            raise ValueError(f"{where}: {at}: unknown architecture type {str(kind)[:40]!r} (expected "
                             f"one of {', '.join(_FIELDS)})")
        required, optional = _FIELDS[kind]
        keys = set(a) - {"type"}
        if not required <= keys <= required | optional:
            raise ValueError(f"{where}: {at}: a {kind} has the fields {sorted(required | optional)}, "
                             f"got {sorted(str(k)[:40] for k in keys)}")
        if kind == "MLP":
            nouts = a["nouts"]
            if not isinstance(nouts, list) or not 1 <= len(nouts) <= MAX_LAYERS:
                raise ValueError(f"{where}: {at}.nouts must be a list of 1 to {MAX_LAYERS:,} layer "
                                 f"sizes (nn.io.MAX_LAYERS)")
            sizes = [_width(a["nin"], f"{at}.nin", where)]
            sizes += [_width(n, f"{at}.nouts[{i}]", where) for i, n in enumerate(nouts)]
            _activation(a["activation"], f"{at}.activation", where)
            _activation(a["last_activation"], f"{at}.last_activation", where)
            total += sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(nouts)))
        elif kind in ("Layer", "Neuron"):
            nin = _width(a["nin"], f"{at}.nin", where)
            nout = _width(a["nout"], f"{at}.nout", where) if kind == "Layer" else 1
            _activation(a["activation"], f"{at}.activation", where)
            total += (nin + 1) * nout
        elif kind == "Linear":
            nin, nout = _width(a["nin"], f"{at}.nin", where), _width(a["nout"], f"{at}.nout", where)
            bias = a.get("bias", True)
            if not isinstance(bias, bool):
                raise ValueError(f"{where}: {at}.bias must be true or false, got {str(bias)[:40]}")
            total += nin * nout + (nout if bias else 0)
        elif kind == "LeakyReLU":
            finite_float(a.get("negative_slope", 0.01), where, f"{at}.negative_slope",
                         what="a finite number")  # a 401-digit int too, before anything is built
        elif kind == "custom":
            if not isinstance(a["class"], str) or not 0 < len(a["class"]) <= 300:
                raise ValueError(f"{where}: {at}.class must be a class name (a string)")
            custom = True
        elif kind == "Sequential":
            mods, names = a["modules"], a.get("names")
            if not isinstance(mods, list) or len(mods) > MAX_LAYERS:
                raise ValueError(f"{where}: {at}.modules must be a list of at most {MAX_LAYERS:,} "
                                 f"modules (nn.io.MAX_LAYERS)")
            if depth + 1 > MAX_DEPTH and mods:
                raise ValueError(f"{where}: {at}: Sequential nested more than {MAX_DEPTH} deep "
                                 f"(nn.io.MAX_DEPTH)")
            if names is not None and (
                    not isinstance(names, list) or len(names) != len(mods)
                    or any(not isinstance(n, str) or not n or "." in n for n in names)
                    or len(set(names)) != len(names)):
                raise ValueError(f"{where}: {at}.names must be one distinct name (a non-empty "
                                 f"string without '.') per module")
            stack.extend((m, f"{at}.modules[{i}]", depth + 1) for i, m in reversed(list(enumerate(mods))))
        if total > MAX_PARAMETERS:
            raise ValueError(f"{where}: the architecture declares more than {MAX_PARAMETERS:,} "
                             f"parameters (nn.io.MAX_PARAMETERS)")
    return total, custom


def _check_count(doc: dict, where: str) -> bool:
    """The architecture checked and its parameter count compared with what the file stores,
    before anything is allocated; returns whether it holds a custom module."""
    declared, custom = _count(doc["architecture"], where)
    stored = len(doc["parameters"])
    if not custom and declared != stored:
        diff = (f"{declared - stored:,} missing" if declared > stored
                else f"{stored - declared:,} unexpected")
        raise ValueError(f"{where}: the architecture declares {declared:,} parameters but the file "
                         f"stores {stored:,} ({diff}); nothing was built")
    return custom


def _values(doc: dict, model: Module, where: str) -> list[float]:
    """The file's parameters in ``model``'s order, every one checked; raises before any change."""
    if doc["architecture"] != model.architecture():
        raise ValueError(f"{where}: the file's architecture {str(doc['architecture'])[:300]} does "
                         f"not match the model's {str(model.architecture())[:300]}")
    stored = doc["parameters"]
    names = [n for n, _ in model.named_parameters()]
    missing = [n for n in names if n not in stored]
    extra = sorted(set(stored) - set(names))
    if missing or extra:
        raise ValueError(f"{where}: parameters do not match the architecture "
                         f"(missing {missing[:3]}{'...' if len(missing) > 3 else ''}, "
                         f"unexpected {[e[:60] for e in extra[:3]]}{'...' if len(extra) > 3 else ''})")
    return [_finite(where, n, stored[n]) for n in names]


# ---- the optimizer's state ----------------------------------------------------------------------
def _optimizer_section(doc: dict, names: set, where: str) -> dict:
    """The file's optimizer section with its parameter list checked (distinct names of the
    model's parameters) and every buffer a list aligned with it."""
    sec = doc.get("optimizer")
    if sec is None:
        raise ValueError(f"{where}: the file holds no optimizer state (save it with "
                         f"nn.save(model, path, optimizer=opt))")
    ps = sec.get("parameters")
    if (not isinstance(ps, list) or not ps or len(ps) > len(names)
            or any(not isinstance(n, str) or n not in names for n in ps) or len(set(ps)) != len(ps)):
        raise ValueError(f"{where}: optimizer.parameters must list distinct names of the model's "
                         f"parameters")
    state = sec.get("state")
    if not isinstance(state, dict) or any(not isinstance(xs, list) or len(xs) != len(ps)
                                          for xs in state.values()):
        raise ValueError(f"{where}: optimizer.state must hold one list of {len(ps)} numbers per "
                         f"buffer (one number per parameter in optimizer.parameters)")
    return sec


def _optimizer_state(sec: dict, optimizer: Optimizer, name_of: dict, where: str) -> dict:
    """``optimizer``'s checked state from the file's section, its buffers reordered from the
    file's parameter order to the optimizer's (matched by name)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{where}: optimizer must be an nn optimizer (nn.SGD, nn.Adam, ...), got "
                        f"{type(optimizer).__name__}")
    mine = []
    for i, p in enumerate(optimizer.params):
        if id(p) not in name_of:
            raise ValueError(f"{where}: the optimizer's parameter {i} is not one of the model's")
        mine.append(name_of[id(p)])
    if sorted(mine) != sorted(sec["parameters"]):
        raise ValueError(f"{where}: the optimizer holds {len(mine)} parameters, the saved one "
                         f"{len(sec['parameters'])}, not the same ones")
    pos = {n: i for i, n in enumerate(sec["parameters"])}
    order = [pos[n] for n in mine]
    state = {k: v for k, v in sec.items() if k != "parameters"}
    state["state"] = {b: [xs[i] for i in order] for b, xs in sec["state"].items()}
    try:
        return optimizer._checked_state(state)
    except ValueError as e:
        raise ValueError(f"{where}: optimizer: {e}") from None


# ---- loading --------------------------------------------------------------------------------------
def load_into(model: Module, path: PathLike, optimizer: Optional[Optimizer] = None) -> Module:
    """Set ``model``'s parameters from the file at ``path`` (same architecture required), and
    with ``optimizer`` (built on the model's parameters) its saved state.  All or nothing: on
    any error neither the model nor the optimizer changes.  Returns ``model``."""
    where = _where(path, "nn.load_into")
    if not isinstance(model, Module):
        raise TypeError(f"nn.load_into: model must be an nn.Module, got {type(model).__name__}")
    doc = _read(path, "nn.load_into")
    _count(doc["architecture"], where)  # the bounds; the names are compared with the model's
    values = _values(doc, model, where)
    checked = None
    if optimizer is not None:
        named = model.named_parameters()
        sec = _optimizer_section(doc, {n for n, _ in named}, where)
        checked = _optimizer_state(sec, optimizer, {id(p): n for n, p in named}, where)
    for p, x in zip(model.parameters(), values):
        p.data = x
    if checked is not None and optimizer is not None:
        optimizer._apply_state(checked)
    return model


def load(path: PathLike, optimizer: Optional[Callable[[list], Optimizer]] = None):
    """The model saved at ``path``: its architecture rebuilt, its parameters loaded.

    ``optimizer``: an optimizer class or a function of a parameter list returning one
    (``nn.Adam``, ``lambda ps: nn.SGD(ps, lr=nn.linear_decay(1, 0.1, 100))``); it is called on
    the saved optimizer's parameters of the new model, its state is restored from the file,
    and ``(model, optimizer)`` is returned."""
    where = _where(path, "nn.load")
    doc = _read(path)
    if _check_count(doc, where):
        raise ValueError(f"{where}: the model contains a custom module "
                         f"({_custom_class(doc['architecture'])}), which a file cannot rebuild: "
                         f"build one and load its parameters with nn.load_into(model, path)")
    sec = None
    if optimizer is not None:
        sec = _optimizer_section(doc, set(doc["parameters"]), where)
    try:
        model = from_architecture(doc["architecture"])
    except (KeyError, TypeError, ValueError) as e:  # checked already: a mismatch is a bug here
        raise ValueError(f"{where}: invalid architecture {str(doc['architecture'])[:300]} "
                         f"({type(e).__name__}: {e})") from None
    values = _values(doc, model, where)
    if sec is None or optimizer is None:
        for p, x in zip(model.parameters(), values):
            p.data = x
        return model
    named = model.named_parameters()
    by_name = dict(named)
    opt = optimizer([by_name[n] for n in sec["parameters"]])
    checked = _optimizer_state(sec, opt, {id(p): n for n, p in named}, where)
    for p, x in zip(model.parameters(), values):
        p.data = x
    opt._apply_state(checked)
    return model, opt


def _custom_class(arch: dict) -> str:
    stack = [arch]
    while stack:
        a = stack.pop()
        if a.get("type") == "custom":
            return a["class"]
        stack.extend(a.get("modules", ()))
    return "?"
