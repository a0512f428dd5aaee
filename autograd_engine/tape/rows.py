"""Rows, blocks, gathers and scatters: how a group's rows become views of a store, and the
writers that put a group's gradient contributions into the gradient stores."""

from __future__ import annotations

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the compiled tape needs NumPy: pip install 'autograd-engine[fast]'") from _e


def _consecutive(rows: list[int]) -> bool:
    return bool(rows) and rows == list(range(rows[0], rows[0] + len(rows)))



def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as [start, stop) runs."""
    out: list[list[int]] = []
    for r in rows:
        if out and out[-1][1] == r:
            out[-1][1] = r + 1
        else:
            out.append([r, r + 1])
    return [(a, b) for a, b in out]


def _shared_columns(isv: np.ndarray, rows: np.ndarray):
    """An (n × k) operand matrix whose k columns are all the same (k neurons reading the same
    inputs) as one column (n × 1), else unchanged."""
    if rows.shape[1] > 1 and (rows == rows[:, :1]).all() and (isv == isv[:, :1]).all():
        return isv[:, :1], rows[:, :1]
    return isv, rows


def _block(xp, store, rows: np.ndarray):
    """The (n, k, ·) view of ``store`` for an (n × k) row matrix laid out as one block:
    element-major (row of (i, j) = s + i·k + j) or node-major (s + j·n + i, a neuron's
    weights consecutive); None otherwise."""
    n, k = rows.shape
    s = int(rows[0, 0])
    Bs = store.shape[1]
    span = np.arange(s, s + n * k)
    if (rows.ravel() == span).all():
        return store[s: s + n * k].reshape(n, k, Bs)
    if (rows.T.ravel() == span).all():
        return xp.permute(store[s: s + n * k].reshape(k, n, Bs), (1, 0, 2))
    return None


def _writer(xp, store, view, idx, rows, kind: str, written: dict, zero, check,
            flat_shape=None):
    """Write or add a contribution into gradient rows: into a view, written when this is the
    rows' first contribution in a pass, else added; or by index (add_at where a row
    repeats).  ``written``/``zero`` mark rows (per store) already written in the pass being
    built / to be zeroed at its start."""
    rows = np.asarray(rows, dtype=np.intp)
    # rows in increasing order (the common case: a block) are distinct without a hash set
    unique = bool((rows[1:] > rows[:-1]).all()) or len(np.unique(rows)) == len(rows)
    seen = written[kind][rows]
    first = view is not None and unique and not seen.any()
    if not first and kind == "V":
        zero[rows[~seen]] = True
    written[kind][rows] = True
    m = len(rows)

    def chk(c):
        if check:  # a callable: raises at once, or notes a device-side flag
            check(c)

    if view is not None:
        if first:
            def assign(c):
                chk(c)
                view[...] = c
            return assign

        def add_to_view(c):
            chk(c)
            view.__iadd__(c)
        return add_to_view
    if unique:
        def add_rows(c):
            chk(c)
            if flat_shape is not None:
                c = c.reshape(flat_shape)
            store[idx] = store[idx] + c
        return add_rows

    def scatter_add(c):
        chk(c)
        if flat_shape is not None:
            c = c.reshape(flat_shape)
        xp.add_at(store, idx, xp.broadcast_to(c, (m, store.shape[1])))
    return scatter_add


def _mixed_writer(xp, stores, fk: np.ndarray, fr: np.ndarray, written: dict, zero,
                  check, m: int):
    """Scatter an (n, k, B) contribution whose elements are rows of V and of S: element-wise
    into V, summed over the batch into S."""
    G, GS = stores["V"][1], stores["S"][1]
    vrows, srows = fr[fk], fr[~fk]
    wv = _writer(xp, G, None, xp.index(vrows), vrows, "V", written, zero, check) \
        if len(vrows) else None
    ws = _writer(xp, GS, None, xp.index(srows), srows, "S", written, zero, check) \
        if len(srows) else None
    vp, sp = xp.index(np.flatnonzero(fk)), xp.index(np.flatnonzero(~fk))

    def w(c):
        flat = c.reshape(m, c.shape[-1])
        if wv is not None:
            wv(flat[vp])
        if ws is not None:
            ws(xp.sum(flat[sp], 1))
    return w


def _contract(xp, g, L, gs: str, outs: str, shape: tuple, k: int, Bn: int):
    """∂L/∂(operand element i of node j, sample b) = g[j, b] · local[i, j, b], summed over
    what the operand does not vary with (the samples of a parameter, the nodes of a shared
    input): the chain rule for an n-ary group, as one product where it is one (G·Xᵀ, Wᵀ·G)."""
    n, kk, Bo = shape
    if isinstance(L, (tuple, list)):  # a number per element (sum: 1 for each)
        if all(x.__class__ is float and x == L[0] for x in L):
            base = g if L[0] == 1.0 else g * L[0]
            if kk == 1 and k > 1:
                base = xp.sum(base, 0)
            if Bo == 1 and Bn > 1:
                base = xp.sum(base, 1)
            return xp.broadcast_to(base.reshape(1, kk, Bo), shape)
        L = xp.constant(tuple(L)).reshape(n, 1, 1)  # the same numbers every pass: made once
    _, kL, BL = L.shape
    Ls = "i" + ("j" if kL > 1 else "") + ("b" if BL > 1 else "")
    L2 = L.reshape((n,) + ((kL,) if kL > 1 else ()) + ((BL,) if BL > 1 else ()))
    g2 = g if Bn > 1 else g[:, 0]
    key = (gs, Ls, outs)
    if key == ("jb", "ib", "ij"):
        c = L2 @ g2.T  # a layer's weights: G·Xᵀ
    elif key == ("jb", "ij", "ib"):
        c = L2 @ g2  # a layer's shared inputs: Wᵀ·G
    elif key == ("jb", "ib", "i"):
        c = L2 @ xp.sum(g2, 0)[0]
    elif key == ("jb", "ij", "ijb"):
        c = L2[:, :, None] * g2[None]
    elif key == ("jb", "ib", "ijb"):
        c = L2[:, None, :] * g2[None]
    elif key == ("jb", "ib", "ib"):
        c = L2 * xp.sum(g2, 0)
    else:
        c = xp.einsum(f"{gs},{Ls}->{outs}", g2, L2)
    return c.reshape(shape)


def _at(a, j: int, i: int) -> str:
    if isinstance(a, np.ndarray):
        a2 = a.reshape((1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a
        return repr(float(a2[min(j, a2.shape[0] - 1), min(i, a2.shape[1] - 1)]))
    return repr(a)
