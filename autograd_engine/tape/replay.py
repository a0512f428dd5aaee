"""The Tape: a laid-out graph bound to a batch size, replayed forward and backward over
arrays one group at a time (see the package docstring)."""

from __future__ import annotations

from operator import attrgetter

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the compiled tape needs NumPy: pip install 'autograd-engine[fast]'") from _e

from ..checks import shown
from ..rules import RULES
from ..value import Value
from .backends import NUMPY
from .batch import check_batch_shape
from .kernels import ARRAY_MATH
from .layout import NARY, Group, Layout
from .parameters import ParameterArrays
from .rows import _at, _block, _consecutive, _contract, _mixed_writer, _runs, _shared_columns, _writer

__all__ = ["Tape", "ARITH"]

ARITH = (ArithmeticError, ValueError)  # FloatingPointError (np.errstate) is an ArithmeticError


class Tape:
    """A compiled per-sample graph: ``forward(X)`` over a batch, ``backward(reduction)``.

    Made by :func:`compile`.  ``parameters`` lists the linked parameter Values (in the order
    of :meth:`parameter_data`); ``len(tape)`` is the number of op nodes, ``tape.n_groups`` the
    number of array ops one forward pass makes.
    """

    def __init__(self, layout: Layout, n_inputs: int, ops=NUMPY) -> None:
        self.n_inputs = n_inputs
        self.parameters: list[Value] = layout.params
        self.backend = ops.name
        self._backend = ops
        self._layout = layout
        self._node_ops = layout.ops
        self._groups = layout.groups
        self._rules = [RULES[g.op].fn for g in layout.groups]
        self._P = len(layout.params)
        self._S = ops.zeros((layout.n_inv, 1))
        self._GS = ops.zeros((layout.n_inv, 1))
        for kind, row, x in layout.consts:
            if kind == "S":
                self._S[row, 0] = x
        self._get_data = attrgetter("data")
        self._get_grad = attrgetter("grad")
        # the ParameterArrays this tape is attached to (None: the Values)
        self._arrays: ParameterArrays | None = None
        self._arrays_idx = None  # the tape's parameters' positions there (None: all, in order)
        self._grad_array = None  # attached: the last backward's gradient, on the device
        self._watch_rows = None  # the V rows of the watched Values (when all are in V)
        self._grad_flags: list | None = None  # torch: finiteness flags of a backward pass
        self._bound_B = -1
        self._locals: list | None = None
        self._B = 0
        self._data: np.ndarray | None = None  # the parameter values the last forward read
        self._grad: np.ndarray | None = None  # what the last backward added into .grad

    def __len__(self) -> int:
        """The number of op nodes on the tape."""
        return len(self._node_ops)

    def __repr__(self) -> str:
        return (f"Tape({self.n_inputs} inputs, {len(self.parameters)} parameters, "
                f"{len(self)} ops)")

    @property
    def ops(self) -> list[str]:
        """The op of every node, in topological order (a node after its operands)."""
        return list(self._node_ops)

    @property
    def n_groups(self) -> int:
        """How many array ops one forward pass makes (groups of same-op, same-depth nodes)."""
        return len(self._groups)

    groups = n_groups  # the older name of the count, kept for the callers that read it

    # ---- binding rows to arrays for one batch size ----------------------------------------
    def _bind(self, B: int) -> None:
        """Allocate V and G for batch size B and pre-build every group's operand views,
        gathers and gradient scatters, so the forward and backward loops do no lookups
        (rebuilt only when B changes)."""
        L, xp = self._layout, self._backend
        V = xp.zeros((L.n_var, B))
        G = xp.zeros((L.n_var, B))
        for kind, row, x in L.consts:
            if kind == "V":
                V[row] = x
        self._V, self._G = V, G
        stores = {"V": (V, G), "S": (self._S, self._GS)}
        fwd = []
        for gi, g in enumerate(L.groups):
            store = stores[g.kind][0]
            k = len(g.nodes)
            static, dyn = [], []
            for pos, opd in enumerate(g.operands):
                value, gather = self._reader(opd, k, B, stores)
                static.append(value)
                if gather is not None:
                    dyn.append((pos, gather))
            if _consecutive(g.out):
                out, oidx = store[g.out[0]: g.out[0] + k], None
            else:
                out, oidx = None, xp.index(g.out)
            check = xp.check_finite or g.op in NARY  # matrix products raise no FP errors
            fwd.append((gi, self._rules[gi], tuple(static), tuple(dyn), out, oidx, store, check))
        # backward, built in its own (reverse) order: a row's first contribution in a pass is
        # written, later ones added; rows added to before any write are zeroed per pass
        written = {"V": np.zeros(L.n_var, dtype=bool), "S": np.zeros(L.n_inv, dtype=bool)}
        zero = np.zeros(L.n_var, dtype=bool)
        kind, row = L.root
        written[kind][row] = True
        bwd = []
        for gi in reversed(range(len(L.groups))):
            g = L.groups[gi]
            k = len(g.nodes)
            gstore = stores[g.kind][1]
            gview = gstore[g.out[0]: g.out[0] + k] if _consecutive(g.out) else None
            gidx = None if gview is not None else xp.index(g.out)
            handlers = []
            for pos, opd in enumerate(g.operands, start=1):
                h = self._scatter(opd, g, B, stores, written, zero)
                if h is not None:
                    handlers.append((pos, h))
            if handlers:
                bwd.append((gi, gview, gidx, gstore, tuple(handlers)))
        self._zero = _runs(np.flatnonzero(zero).tolist())
        self._fwd, self._bwd, self._bound_B = fwd, bwd, B

    def _reader(self, opd, k: int, B: int, stores):
        """An operand of a group: (a fixed value or view, None) or (None, a gather)."""
        xp = self._backend
        if opd[0] == "num":
            xs = opd[1]
            if all(x == xs[0] for x in xs):
                return xs[0], None
            return xp.asarray(xs).reshape(k, 1), None
        if opd[0] != "nary":
            kind, rows = opd
            store = stores[kind][0]
            if all(r == rows[0] for r in rows):
                return store[rows[0]: rows[0] + 1], None
            if _consecutive(rows):
                return store[rows[0]: rows[0] + k], None
            idx = xp.index(rows)
            return None, lambda: store[idx]
        _, isv, rows = opd
        isv, rows = _shared_columns(isv, rows)
        n, kk = rows.shape
        if not rows.size:
            return xp.zeros((0, kk, 1)), None
        if isv.all() or not isv.any():
            store = stores["V" if isv.flat[0] else "S"][0]
            view = _block(xp, store, rows)
            if view is not None:
                return view, None
            idx = xp.index(rows)
            return None, lambda: store[idx]
        # a group mixing rows of V and S (and numbers): one buffer, refilled each forward
        V, S = stores["V"][0], stores["S"][0]
        fk, fr = isv.ravel(), rows.ravel()
        vp, sp = xp.index(np.flatnonzero(fk)), xp.index(np.flatnonzero(~fk))
        vr, sr = xp.index(fr[fk]), xp.index(fr[~fk])
        buf = xp.zeros((n, kk, B))
        flat = buf.reshape(n * kk, B)

        def mixed():
            flat[vp] = V[vr]
            flat[sp] = S[sr]
            return buf
        return None, mixed

    def _scatter(self, opd, g: Group, B: int, stores, written: dict, zero):
        """The backward handler of one operand position of group g, or None (a number, or
        only inputs and constants, whose gradients no one reads)."""
        xp = self._backend
        k = len(g.nodes)
        Bn = B if g.kind == "V" else 1
        dead = self._layout.dead
        if opd[0] == "num":
            return None
        check = self._check_gradient if xp.check_finite else None
        if opd[0] != "nary":
            kind, rows = opd
            rows = np.asarray(rows, dtype=np.intp)
            if dead[kind][rows].all():
                return None
            store = stores[kind][1]
            shared = bool((rows == rows[0]).all())
            urows = rows[:1] if shared else rows
            red0 = shared and k > 1
            red1 = kind == "S" and Bn > 1
            if shared or _consecutive(rows.tolist()):
                view, idx = store[urows[0]: urows[0] + len(urows)], None
            else:
                view, idx = None, xp.index(rows)
            write = _writer(xp, store, view, idx, urows, kind, written, zero, check)

            def scatter_one(g_, d):
                c = g_ if d.__class__ is float and d == 1.0 else g_ * d
                if red0:
                    c = xp.sum(c, 0)
                if red1:
                    c = xp.sum(c, 1)
                write(c)
            return scatter_one
        _, isv, rows = opd
        isv, rows = _shared_columns(isv, rows)
        n, kk = rows.shape
        fk, fr = isv.ravel(), rows.ravel()
        if not fr.size or (dead["V"][fr[fk]].all() and dead["S"][fr[~fk]].all()):
            return None
        Bo = B if fk.any() else 1
        outs = "i" + ("j" if kk > 1 else "") + ("b" if Bo > 1 else "")
        gs = "j" + ("b" if Bn > 1 else "")
        shape = (n, kk, Bo)
        if fk.all() or not fk.any():
            kind = "V" if fk[0] else "S"
            store = stores[kind][1]
            view = _block(xp, store, rows)
            idx = None if view is not None else xp.index(fr)
            write = _writer(xp, store, view, idx, fr, kind, written, zero, check,
                            flat_shape=(n * kk, Bo))
        else:
            write = _mixed_writer(xp, stores, fk, fr, written, zero, check, n * kk)

        def scatter_nary(g_, L):
            write(_contract(xp, g_, L, gs, outs, shape, k, Bn))
        return scatter_nary

    # ---- forward --------------------------------------------------------------------------
    def forward(self, X):
        """fn evaluated for every row of ``X`` (shape (B, n_inputs)): an array (B,) — NumPy
        float64, or a float64 tensor on the tape's device for the torch backend.

        Reads every parameter's current ``.data``; keeps the local gradients for backward.
        """
        xp = self._backend
        X = self._check_batch(X)
        self._locals = None  # until this forward completes, there is nothing to backward
        B = X.shape[0]
        if B != self._bound_B:
            self._bind(B)
        S, P = self._S, self._P
        if P and self._arrays is not None:  # attached: one gather from the held arrays
            S[:P, 0] = self._arrays.data if self._arrays_idx is None \
                else self._arrays.data[self._arrays_idx]
        elif P:
            data = np.fromiter(map(self._get_data, self.parameters), np.float64, P)
            if not np.isfinite(data).all():
                bad = next(p for p in self.parameters if not np.isfinite(p.data))
                raise ValueError(f"Tape.forward: parameter {bad!r} is not finite")
            S[:P, 0] = xp.from_numpy(data)
            self._data = data
        self._V[: self.n_inputs] = X.T if xp.name == "torch" \
            else xp.from_numpy(np.ascontiguousarray(X.T))
        if xp.check_finite:  # torch: one finiteness flag for the pass, read once at its end
            flags = [xp.finite_flag(X)]
            locs = self._replay_forward(flags)
            arrays = self._arrays
            if arrays is not None and arrays.deferred:  # read with the step's other flags
                arrays.defer(flags, None, lambda: self._forward_failed(X))
            elif not xp.all_true(flags):
                self._forward_failed(X)
        else:
            locs = self._replay_forward(None)
        self._locals, self._B = locs, B
        kind, row = self._layout.root
        if kind == "V":
            return self._V[row].clone() if xp.name == "torch" else self._V[row].copy()
        return self._S[row, 0] + xp.zeros(B)

    def _forward_failed(self, X) -> None:
        """A forward pass had a non-finite result: replay it checking each group at once, so
        the error names the op and the first failing sample (or the batch entry)."""
        self._locals = None
        self._check_batch_values(self._backend.to_numpy(X))
        self._replay_forward(None)
        raise ValueError("Tape.forward: a result was not finite, and replaying the pass did "
                         "not show where (the work arrays changed since)")

    def _replay_forward(self, flags: list | None) -> list:
        """Every group in order, its results written into its rows; returns the local
        gradients per group.  The matrix products (and, on torch, every group) are checked
        for non-finite results: at once (``flags`` None: the error names the op and the
        first failing sample), or by appending a device-side flag to ``flags``."""
        xp = self._backend
        M = xp.math
        locs: list = [None] * len(self._groups)
        with xp.errstate():
            for gi, fn, static, dyn, out, oidx, store, check in self._fwd:
                args: tuple | list = static
                if dyn:
                    gathered = list(static)
                    for pos, gather in dyn:
                        gathered[pos] = gather()
                    args = gathered
                try:
                    res = fn(M, *args)
                except ARITH as e:
                    raise self._domain_error(gi, args, e) from None
                if check:
                    made = [r for r in res  # (operands: checked)
                            if isinstance(r, xp.ndarray) and not any(r is a for a in args)]
                    if flags is not None:
                        flags.extend(map(xp.finite_flag, made))
                    elif not all(map(xp.all_finite, made)):
                        raise self._domain_error(gi, args, None)
                if out is not None:
                    out[...] = res[0]
                else:
                    store[oidx] = res[0]
                locs[gi] = res
        return locs

    def watched(self):
        """The numbers of the Values ``fn`` watched (see :func:`compile`) at the last forward:
        an array (B, k), one row per sample — NumPy, or a tensor on the tape's device."""
        if self._locals is None:
            raise RuntimeError("Tape.watched: call forward(X) first")
        spots = self._layout.watched
        if not spots:
            raise ValueError("Tape.watched: fn watches no Values (return (scalar, [values]) "
                             "from fn to watch some)")
        xp, B = self._backend, self._B
        if all(kind == "V" for kind, _ in spots):
            if self._watch_rows is None:
                self._watch_rows = xp.index([row for _, row in spots])
            return self._V[self._watch_rows].T
        cols = [self._V[row] if kind == "V" else self._S[row, 0] + xp.zeros(B)
                for kind, row in spots]
        out = xp.zeros((len(cols), B))
        for j, c in enumerate(cols):
            out[j] = c
        return out.T

    def _check_batch(self, X):
        """X as a float64 (B, n) batch: a NumPy array, or for the torch backend a tensor on
        the tape's device (a tensor already there is used as it is, no host copy)."""
        n = self.n_inputs
        want = f"X must be numbers of shape (batch, {n}), one row per sample"
        xp = self._backend
        if self.backend == "torch" and isinstance(X, xp.ndarray):
            return xp.as_batch(X, n, want)  # finiteness: checked with the pass, on the device
        if isinstance(X, getattr(xp, "ndarray", ())) and xp.name == "torch":
            X = xp.to_numpy(X)
        elif type(X).__module__.startswith("torch"):  # a tensor for the numpy backend
            X = _tensor_on_host(X, want)
        try:
            A = np.asarray(X)
        except ValueError as e:  # ragged rows
            raise ValueError(f"Tape.forward: {want} ({e})") from None
        if A.dtype.kind not in "biuf":
            raise TypeError(f"Tape.forward: {want}; got an array of dtype {A.dtype}")
        check_batch_shape(A.shape, n, want)
        A = A.astype(np.float64, copy=False)
        if xp.name == "torch":  # to the device as it is: transposed and checked there
            return xp.from_numpy(A)
        self._check_batch_values(A)
        return A

    @staticmethod
    def _check_batch_values(A: np.ndarray) -> None:
        finite = np.isfinite(A)
        if not finite.all():
            i, j = np.argwhere(~finite)[0]
            raise ValueError(f"Tape.forward: X[{i}, {j}] = {A[i, j]} is not finite")

    def _domain_error(self, gi: int, args, cause: BaseException | None) -> ValueError:
        """Find the first failing sample (and node) of group gi and say what the op needs."""
        xp = self._backend
        g = self._groups[gi]
        rule, op = RULES[g.op], g.op
        k, B = len(g.nodes), self._V.shape[1]
        Bn = B if g.kind == "V" else 1
        args = [xp.to_numpy(a) if isinstance(a, xp.ndarray) else a for a in args]
        with np.errstate(all="ignore"):
            try:
                res = rule.fn(ARRAY_MATH, *args)
            except ARITH:
                res = ()
        ok = np.ones((k, Bn), dtype=bool)
        for r in res:
            a = np.isfinite(np.asarray(r, dtype=float))
            if op in NARY and a.ndim == 3:
                a = a.all(axis=0)
            elif op in NARY and a.ndim:
                a = np.asarray(a.all())
            ok &= np.broadcast_to(a, (k, Bn)) if a.ndim < 2 or a.shape[-1] in (1, Bn) \
                else np.broadcast_to(a.all(), (k, Bn))
        need = rule.domain or "a finite result"
        j, i = 0, None
        if not ok.all():
            i = int(np.argmin(ok.all(axis=0)))  # the first failing sample
            j = int(np.argmin(ok[:, i]))  # and the first failing node there
        node = g.nodes[j]
        if g.kind == "S":
            where, shown = "for every sample (the node depends on parameters only)", ""
        elif i is None:
            where, shown = "at some sample", ""
        else:
            where = f"at sample {i}"
            shown = "" if op in NARY else \
                "; operands there: " + ", ".join(_at(a, j, i) for a in args)
        why = "the result is not finite" if cause is None else f"{type(cause).__name__}: {cause}"
        return ValueError(f"Tape.forward: {op} fails {where} (node {node} of the tape): {op} "
                          f"needs {need} ({why}){shown}")

    # ---- backward -------------------------------------------------------------------------
    def backward(self, reduction: str = "mean") -> None:
        """Add d(reduced output)/d w into ``w.grad`` for every parameter w.

        ``reduction="sum"``: Σ_b ∂out_b/∂w;  ``"mean"``: (1/B) Σ_b ∂out_b/∂w — the same
        numbers ``Value.backward`` gives for ``Value.sum(outs)`` (``/ B``).  Parameters
        accumulate across calls, like leaves of the scalar engine.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"Tape.backward: reduction must be 'mean' or 'sum', got {reduction!r}")
        if self._locals is None:
            raise RuntimeError("Tape.backward: call forward(X) first")
        xp = self._backend
        B = self._B
        self._zero_gradients(reduction, B)
        locs = self._locals
        flags: list | None = [] if xp.check_finite else None  # torch: device-side flags,
        self._grad_flags = flags  # noted by the gradient writers, read ONCE below
        try:
            self._replay_backward(locs)
        finally:
            self._grad_flags = None
        P, GS = self._P, self._GS
        held, idx = self._arrays, self._arrays_idx
        if P and held is not None:  # attached: grad[idx] += d, one array op
            d = GS[:P, 0]
            with np.errstate(over="ignore", invalid="ignore"):  # checked: a clear error
                new = (held.grad if idx is None else held.grad[idx]) + d
            if flags is None:
                flags = []
            flags.append(xp.finite_flag(new))
        def failed() -> None:  # rare: find what, checking each group at once
            if xp.check_finite:
                self._zero_gradients(reduction, B)
                self._replay_backward(locs)
            if not (P and held is not None):
                raise AssertionError("unreachable: a non-finite pass with every group finite")
            self._refuse_gradient(xp.to_numpy(d), xp.to_numpy(new))

        if flags and held is not None and held.deferred and xp.check_finite:
            old = None  # written now, read with the step's other flags, undone if one fails
            if P:
                old = (held.grad if idx is None else held.grad[idx]).clone()

            def restore() -> None:
                if old is not None:
                    if idx is None:
                        held.grad[...] = old
                    else:
                        held.grad[idx] = old
            held.defer(flags, restore, failed)
        elif flags and not xp.all_true(flags):
            failed()
        if P and held is not None:
            if idx is None:
                held.grad[...] = new
            else:
                held.grad[idx] = new
            self._grad = None
            self._grad_array = d.clone() if xp.name == "torch" else d.copy()
        elif P:
            d = xp.to_numpy(GS[:P, 0])
            old = np.fromiter(map(self._get_grad, self.parameters), np.float64, P)
            with np.errstate(over="ignore", invalid="ignore"):  # checked: a clear error
                new = old + d
            if not np.isfinite(new).all():
                self._refuse_gradient(d, new)
            self._grad = d.copy()
            self._grad_array = None
            for p, x in zip(self.parameters, new.tolist()):
                p.grad = x

    def _zero_gradients(self, reduction: str, B: int) -> None:
        """Zero the gradient rows a pass adds into, and seed the output's: 1/B each sample
        ("mean") or 1 ("sum")."""
        G, GS = self._G, self._GS
        for a, b in self._zero:
            G[a:b] = 0.0
        GS[...] = 0.0
        kind, row = self._layout.root
        if kind == "V":
            G[row] = 1.0 / B if reduction == "mean" else 1.0
        else:  # the output is the same for every sample: Σ_b gives B copies
            # a slice, not GS[row, 0]: on a CUDA tensor a 0-d target is a host→device copy,
            # a slice a fill kernel (nothing for the host to wait for: capturable)
            GS[row: row + 1] = 1.0 if reduction == "mean" else float(B)

    def _replay_backward(self, locs: list) -> None:
        """Every group in reverse order: its operands' contributions, ∂L/∂z · ∂z/∂x."""
        xp = self._backend
        with xp.errstate():
            for gi, gview, gidx, gstore, handlers in self._bwd:
                g_ = gview if gview is not None else gstore[gidx]
                res = locs[gi]
                try:
                    for pos, h in handlers:
                        h(g_, res[pos])
                except ARITH as e:
                    grp = self._groups[gi]
                    raise ValueError(f"Tape.backward: the gradient at node {grp.nodes[0]} "
                                     f"({grp.op}) is not finite ({e})") from None

    def _check_gradient(self, c) -> None:
        """A gradient contribution must be finite (torch, which does not raise on overflow):
        noted as a device-side flag during a pass, checked at once when it is replayed."""
        flags = self._grad_flags
        if flags is not None:
            flags.append(self._backend.finite_flag(c))
        elif not self._backend.all_finite(c):
            raise FloatingPointError("a non-finite gradient")

    def _refuse_gradient(self, d: np.ndarray, new: np.ndarray):
        """The error of a backward pass that would leave a parameter's gradient non-finite:
        the pass's own gradient overflowed, or adding it to what ``.grad`` held did.  Nothing
        has been changed (the scalar engine refuses the same pass the same way)."""
        if not np.isfinite(d).all():
            bad = self.parameters[int(np.argmin(np.isfinite(d)))]
            raise ValueError(f"Tape.backward: the gradient of parameter {bad!r} is not "
                             "finite (it overflows along the chain rule); .grad unchanged")
        i = int(np.argmin(np.isfinite(new)))
        raise ValueError(f"Tape.backward: adding this pass's gradient {d[i]!r} to parameter "
                         f"{self.parameters[i]!r}'s accumulated gradient would make it "
                         f"{new[i]!r}; every .grad unchanged (zero the gradients between passes)")

    # ---- the parameters as one array (for vectorized optimizers) --------------------------
    def attach(self, arrays: ParameterArrays) -> None:
        """Hold the parameters in ``arrays`` (a :class:`ParameterArrays` of the same backend
        that holds every parameter of this tape) instead of the Values: from now on
        ``forward`` reads ``arrays.data``, ``backward`` adds into ``arrays.grad`` (one array
        op each) and neither touches a Value; ``arrays.write_back()`` makes the Values
        current.  :meth:`detach` goes back to reading and writing the Values."""
        if not isinstance(arrays, ParameterArrays):
            raise TypeError(f"Tape.attach: need ParameterArrays, got {type(arrays).__name__}")
        if arrays.ops is not self._backend:
            raise ValueError(f"Tape.attach: the arrays live on {arrays.ops.name} "
                             f"({getattr(arrays.ops, 'device', 'cpu')}), the tape on "
                             f"{self.backend} ({getattr(self._backend, 'device', 'cpu')})")
        pos = arrays.positions(self.parameters, "Tape.attach")
        identity = len(pos) == len(arrays) and bool((pos == np.arange(len(pos))).all())
        self._arrays = arrays
        self._arrays_idx = None if identity else self._backend.index(pos)
        self._data = self._grad = self._grad_array = None

    def hold_parameters(self, params=None) -> ParameterArrays:
        """New :class:`ParameterArrays` of ``params`` (default: this tape's parameters) on
        this tape's backend and device, read from the Values now, and attach to them."""
        arrays = ParameterArrays(self.parameters if params is None else params,
                                 self._backend)
        self.attach(arrays)
        return arrays

    def detach(self) -> None:
        """Read and write the parameters' Values again (write the arrays back first if the
        Values should have their numbers)."""
        self._arrays = self._arrays_idx = None
        self._data = self._grad = self._grad_array = None

    @property
    def attached(self) -> ParameterArrays | None:
        """The :class:`ParameterArrays` this tape reads and writes, or None (the Values)."""
        return self._arrays

    def parameter_data(self, fresh: bool = True) -> np.ndarray:
        """The parameters' ``.data`` as one float64 array, in ``tape.parameters`` order:
        read from the Values now, or (``fresh=False``) the values the last forward read.
        Attached: the held values."""
        if self._arrays is not None:
            a = self._arrays.data if self._arrays_idx is None \
                else self._arrays.data[self._arrays_idx]
            return self._backend.to_numpy(a).copy()
        if fresh or self._data is None:
            return np.fromiter(map(self._get_data, self.parameters), np.float64, self._P)
        return self._data.copy()

    def parameter_grad(self) -> np.ndarray:
        """What the last :meth:`backward` added into the parameters' ``.grad`` (or, attached,
        into the held gradient), as one array (equal to ``[p.grad ...]`` when the grads were
        zero before it)."""
        if self._grad_array is not None:
            return self._backend.to_numpy(self._grad_array).copy()
        g = self._grad
        if g is None:
            raise RuntimeError("Tape.parameter_grad: call backward() first")
        return g.copy()

    def assign_parameters(self, values) -> None:
        """Set every parameter's ``.data`` from one array (``tape.parameters`` order): the
        result of an optimizer's array update, written back so that the Values stay the
        truth (attached: written into the held array, one op).  Refuses a wrong length or a
        non-finite entry, and then changes nothing."""
        try:
            a = np.asarray(values, dtype=np.float64)
        except OverflowError:  # an int past float range (10**400): the number policy's words
            big = next((v for v in values if isinstance(v, int) and abs(v) > 2 ** 1023), values)
            raise ValueError(f"Tape.assign_parameters: {shown(big)} is too large for a float; "
                             "nothing changed") from None
        if a.shape != (self._P,):
            raise ValueError(f"Tape.assign_parameters: need {self._P} values, got shape {a.shape}")
        finite = np.isfinite(a)
        if not finite.all():
            i = int(np.argmin(finite))
            raise ValueError(f"Tape.assign_parameters: value {a[i]} for parameter {i} "
                             f"({self.parameters[i]!r}) is not finite; nothing changed")
        if self._arrays is not None:
            new = self._backend.from_numpy(a)
            if self._arrays_idx is None:
                self._arrays.data[...] = new
            else:
                self._arrays.data[self._arrays_idx] = new
            return
        for p, x in zip(self.parameters, a.tolist()):
            p.data = x
        self._data = None  # the Values changed: the next forward reads them


def _tensor_on_host(X, want: str):
    """A PyTorch tensor given to the NumPy backend, as NumPy (what ``torch_backend`` checks
    for the torch backend, said here for the CPU copy)."""
    from .torch_backend import host_copy

    return host_copy(X, want)
