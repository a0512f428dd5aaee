"""Reading DOT source without Graphviz: its edges (one linear pass over the tokens) and
:func:`layout_cost`, an estimate of the work of laying it out."""

from __future__ import annotations

import re

_ID = r'(?:"(?:[^"\\]|\\.)*"|[A-Za-z_\x80-\uffff][\w\x80-\uffff]*|-?(?:\.\d+|\d+(?:\.\d*)?))'
_EDGE_LABEL = re.compile(r"->[^\n\[]*\[[^\n]*(?<![\w])label\s*=")


_TOKEN = re.compile(rf'({_ID})|(->)|\s+|.', re.S)


def _edges(source: str):
    """The (tail, head) pairs of the ``a -> b`` statements in DOT ``source`` (a chain
    ``a -> b -> c`` gives two), read by one left-to-right pass over its tokens: linear in the
    length of the text, where a regex searched from every position took quadratic time inside
    a long label (40,000 characters: 22 s)."""
    prev = arrow = None
    for m in _TOKEN.finditer(source):
        ident, is_arrow = m.group(1), m.group(2)
        if ident is not None:
            if arrow is not None:
                yield arrow, ident
            prev, arrow = ident, None
        elif is_arrow is not None:
            arrow, prev = prev, None
        elif not m.group().isspace():
            prev = arrow = None


def layout_cost(source: str) -> int:
    """An estimate of the work of laying DOT ``source`` out with ``dot``: its nodes plus the
    virtual nodes ``dot`` puts on every edge spanning more than one rank (ranks by longest
    path).  One node feeding many others far down the graph -- ``a*a*…*a`` -- makes it grow
    with the square of the graph's size, and the crossing minimisation with it."""
    succ: dict[str, list[str]] = {}
    indegree: dict[str, int] = {}
    edges = []
    for u, v in _edges(source):
        edges.append((u, v))
        succ.setdefault(u, []).append(v)
        indegree.setdefault(u, 0)
        indegree[v] = indegree.get(v, 0) + 1
    rank = dict.fromkeys(indegree, 0)
    # an edge `label` (not xlabel) makes dot double every edge's length: twice the virtual nodes
    stretch = 2 if _EDGE_LABEL.search(source) else 1
    ready = [n for n, d in indegree.items() if not d]
    while ready:  # Kahn's order; nodes on a cycle keep rank 0 (an underestimate, not a hang)
        u = ready.pop()
        for v in succ.get(u, ()):
            rank[v] = max(rank[v], rank[u] + 1)
            indegree[v] -= 1
            if not indegree[v]:
                ready.append(v)
    return len(rank) + sum(max(0, stretch * (rank[v] - rank[u]) - 1) for u, v in edges)
