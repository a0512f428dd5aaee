"""δ_l,j as a sum over the scalar graph's edges: the walk-through's steps grouped by layer and
neuron (:func:`delta_steps`), and written out as BP1/BP2 edge by edge (:func:`format_delta_steps`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograd_engine import Value

from .layers_compare import _engine_loss
from .layers_network import _input, network, target_vector
from .module import PerLayer

if TYPE_CHECKING:
    from autograd_engine.teach.walkthrough import Step

# ---- δ as a sum over the scalar graph's edges ------------------------------------------------
@dataclass(frozen=True)
class DeltaSteps:
    """The steps of the scalar walk-through that make δ_l,j (chapter 6.14–6.16).

    ``terms`` are the steps into a_l,j — one per edge leaving it: for a hidden layer each is
    z_(l+1),i → a_l,j with upstream δ_(l+1),i and local gradient w[l+1][i][j], so their sum is
    the entry j of W_(l+1)ᵀ δ_(l+1); for the output layer they come from the loss's graph and
    sum to ∂C/∂a_L,j.  ``activation`` is the step a_l,j → z_l,j, that sum times S′(z_l,j): δ_l,j
    (None for the linear activation, where a_l,j is z_l,j and the sum is δ_l,j itself).
    """

    l: int
    j: int
    z: Value
    a: Value
    terms: tuple
    activation: "Step | None"
    last: bool

    @property
    def upstream(self) -> float:
        """Σ over ``terms`` of upstream × local: (W_(l+1)ᵀ δ_(l+1))_j, or ∂C/∂a_L,j."""
        return sum(s.contribution for s in self.terms)  # in step order: exactly the .grad sum

    @property
    def delta(self) -> float:
        """δ_l,j = z_l,j.grad at the end of the pass."""
        return self.z.grad


def delta_steps(model, x, target, loss="mse") -> tuple[PerLayer, list]:
    """Run the scalar walk-through (``backward_steps``) on one sample and group its steps by
    layer and neuron: returns (``PerLayer`` of lists of :class:`DeltaSteps`, neuron j at index
    j − 1; all the steps).  The parameters' ``.grad`` are zeroed first."""
    from autograd_engine.teach.walkthrough import backward_steps

    net = network(model)
    t = target_vector(loss, target, net.sizes[-1])
    _input(net, x)
    model.zero_grad()
    tr = model.trace(x)
    root = _engine_loss(loss)(tr.output, t.tolist())
    steps = list(backward_steps(root))
    into: dict[int, list] = {}
    for s in steps:
        into.setdefault(id(s.parent), []).append(s)
    layers = []
    for l in range(1, tr.L + 1):
        row = []
        for j, (z, a) in enumerate(zip(tr.z[l], tr.a[l]), 1):
            linear = a is z
            terms = tuple(into.get(id(a), ()))
            act = None if linear else into[id(z)][0]
            row.append(DeltaSteps(l, j, z, a, terms, act, l == tr.L))
        layers.append(row)
    return PerLayer(layers), steps


def format_delta_steps(groups: PerLayer, root: "Value | None" = None) -> str:
    """Each δ_l,j written out as its steps: the terms δ_(l+1),i × w[l+1][i][j] adding up to
    (Wᵀδ)_j, then × S′(z_l,j) = δ_l,j (BP2 as the chapter's 6.17, edge by edge).  Layers are
    listed L, L−1, …, 1: the order the backward pass computes them (δ_L first, by BP1)."""
    from autograd_engine.teach.naming import node_names
    from autograd_engine.teach.walkthrough import number

    names = node_names(root) if root is not None else {}

    def name(v: Value) -> str:
        return v.label or names.get(v, f"({v.op or 'leaf'})")

    out = []
    for row in reversed(groups):  # backward: δ_L, then δ_(L−1) from it, …, δ_1
        for g in row:
            l, j = g.l, g.j
            if g.last:
                out.append(f"δ[{l}][{j}] = ∂C/∂a[{l}][{j}] · S′(z[{l}][{j}])   (BP1)")
            else:
                out.append(f"δ[{l}][{j}] = S′(z[{l}][{j}]) · Σᵢ w[{l + 1}][i][{j}] δ[{l + 1}][i]   (BP2)")
            for s in g.terms:
                if g.last:
                    what = f"∂C/∂({name(s.node)}) × ∂({name(s.node)})/∂({name(s.parent)})"
                else:
                    i = s.node.label.rsplit("[", 1)[-1].rstrip("]")
                    what = f"δ[{l + 1}][{i}] × w[{l + 1}][{i}][{j}]"
                out.append(f"  step {s.index:>4}  {name(s.node)} → {name(s.parent)}:  {what} = "
                           f"{number(s.upstream)} × {number(s.local)} = {number(s.contribution)}")
            total = f"∂C/∂a[{l}][{j}]" if g.last else f"(W{l + 1}ᵀ δ{l + 1})[{j}]"
            out.append(f"  {'':>9}  sum: {total} = {number(g.upstream)}")
            if g.activation is not None:
                s = g.activation
                out.append(f"  step {s.index:>4}  {name(s.node)} → {name(s.parent)}:  "
                           f"× S′(z[{l}][{j}]) = {number(s.upstream)} × {number(s.local)} = "
                           f"{number(s.contribution)} = δ[{l}][{j}]")
            else:
                out.append(f"  {'':>9}  linear activation: S′ = 1, δ[{l}][{j}] = {number(g.delta)}")
    return "\n".join(out)
