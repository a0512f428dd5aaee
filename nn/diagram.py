"""The network diagram of the books: neurons in columns, coloured by δ, edges by ∂C/∂w.

The gist *Notes on Backpropagation* draws its network with the weight w_jk^l on the edge
from neuron k of layer l−1 to neuron j of layer l; the chapter *Chapter 6: The Backprop
Algorithm* (Figures 6.5–6.6) puts δ_i^(r+1) at the right end of a link and z_j^(r) at its
left end, their product being the link's gradient (6.11).  :func:`draw_network` draws that
picture for one sample, with the numbers of Algorithm 1 (:mod:`nn.layers_backprop`):

* column l = 0 holds the inputs x_k (= a_0,k, grey); column l = 1..L the neurons of layer l,
  each filled by its δ_l,j = ∂C/∂z_l,j on a diverging colour scale centred at 0;
* each edge k → j into layer l is the weight w[l][j][k], coloured by ∂C/∂w[l][j][k]
  = δ_l,j · a_(l−1),k (BP4) on its own diverging scale, and drawn thicker as |∂C/∂w| grows.

Needs matplotlib (the ``[nn]`` extra), imported on use.  ``path=`` saves the figure
atomically.  A network of more than ``max_edges`` weights is refused (a picture of a million
lines is neither readable nor quick).
"""

from __future__ import annotations

from typing import Optional

from . import layers_backprop as lb
from .plot import _pyplot, _save, check_image_path


COLUMN_GAP = 1.6
"""Distance between two layers' columns, in the units of the neuron spacing (1): room for the
edges' fan between them and for a layer's name under it."""
UNIT_INCHES, MAX_HEIGHT_INCHES = 0.9, 16.0
"""One neuron spacing is drawn 0.9 inch (about 86 px at 96 dpi), less for a layer so tall that
the picture would pass 16 inches; the canvas grows with the layer count and the widest layer."""
FONT_PT = {"neuron": 10.0, "layer": 11.0, "title": 12.0, "bar": 10.0, "ticks": 9.0}
"""Text sizes in points: 9 pt is 12 px on a 96-dpi screen, the least any text is drawn at."""


def _positions(sizes) -> list[list[tuple[float, float]]]:
    """(x, y) of every neuron: column l at x = l·COLUMN_GAP, each column centred on y = 0."""
    return [[(COLUMN_GAP * l, (n - 1) / 2.0 - j) for j in range(n)] for l, n in enumerate(sizes)]


def _canvas(sizes) -> tuple[float, tuple[float, float], tuple[float, float]]:
    """The drawing's size: inches per neuron spacing, and the x and y limits in those units
    (the neurons, a margin, and below them the layers' names and the two colour bars)."""
    n = max(sizes)
    x_span = (-0.7, COLUMN_GAP * (len(sizes) - 1) + 0.7)
    y_span = (-(n - 1) / 2.0 - 2.0, (n - 1) / 2.0 + 0.6)
    unit = min(UNIT_INCHES, MAX_HEIGHT_INCHES / (y_span[1] - y_span[0]))
    return unit, x_span, y_span


def _luminance(rgba) -> float:
    """WCAG relative luminance of an RGB(A) colour in [0, 1] (0 black, 1 white)."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(float(c)) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def draw_network(model, x, target, loss="mse", *, ax=None, path=None, values: Optional[bool] = None,
                 title: Optional[str] = None, max_edges: int = 2000, cmap: str = "coolwarm"):
    """Draw ``model`` for the sample (x, target): neurons coloured by δ_l,j, edges by
    ∂C/∂w[l][j][k].  ``values`` writes δ in each neuron (default: when no layer has more than
    8 neurons).  Returns the matplotlib Axes; ``path`` saves the figure (.png, .svg, .pdf)."""
    if path is not None:
        check_image_path(path, "draw_network")  # a wrong extension or a FIFO: before any work
    net = lb.network(model)
    n_edges = sum(W.size for W in net.W)
    if n_edges > max_edges:
        raise ValueError(f"draw_network: the model has {n_edges} weights, more than "
                         f"max_edges={max_edges}; pass max_edges= to draw it anyway")
    g = lb.algorithm1(net, x, target, loss)
    plt = _pyplot()
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    np = lb._np()
    unit, (x0, x1), (y0, y1) = _canvas(net.sizes)
    if ax is None:  # the axes fill a figure of exactly the drawing's size: one spacing = `unit` inches
        fig = plt.figure(figsize=(unit * (x1 - x0), unit * (y1 - y0)))
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    fig = ax.figure
    pos = _positions(net.sizes)
    if values is None:
        values = max(net.sizes) <= 8

    dmax = max(float(np.abs(g.delta[l]).max()) for l in range(1, net.L + 1)) or 1.0
    gmax = max(float(np.abs(g.dW[l]).max()) for l in range(1, net.L + 1)) or 1.0
    dnorm, gnorm = Normalize(-dmax, dmax), Normalize(-gmax, gmax)
    colours = plt.get_cmap(cmap)

    segments, edge_grads = [], []
    for l in range(1, net.L + 1):
        for j, (xj, yj) in enumerate(pos[l]):
            for k, (xk, yk) in enumerate(pos[l - 1]):
                segments.append([(xk, yk), (xj, yj)])
                edge_grads.append(g.dW[l][j, k])
    edge_grads = np.array(edge_grads)
    lines = LineCollection(segments, cmap=colours, norm=gnorm, zorder=1,
                           linewidths=0.6 + 3.4 * np.abs(edge_grads) / gmax)
    lines.set_array(edge_grads)
    ax.add_collection(lines)

    radius = 0.36
    for k, (xk, yk) in enumerate(pos[0]):
        ax.add_patch(plt.Circle((xk, yk), radius, facecolor="0.88", edgecolor="0.3", zorder=2))
        ax.text(xk, yk, f"x{k + 1}" if not values else f"x{k + 1}\n{g.forward.a[0][k]:.3g}",
                ha="center", va="center", fontsize=FONT_PT["neuron"], zorder=3)
    for l in range(1, net.L + 1):
        for j, (xj, yj) in enumerate(pos[l]):
            d = float(g.delta[l][j])
            face = colours(dnorm(d))
            ax.add_patch(plt.Circle((xj, yj), radius, facecolor=face, edgecolor="0.2", zorder=2))
            if values:  # white on the dark ends of the colour map, black elsewhere: whichever
                # contrasts more (they are equal, 4.6:1, at luminance 0.18), so always ≥ 4.5:1
                ax.text(xj, yj, f"{d:.3g}", ha="center", va="center", fontsize=FONT_PT["neuron"], zorder=3,
                        color="white" if _luminance(face) < 0.18 else "black")
    bottom = min(p[-1][1] for p in pos) - radius - 0.15
    for l in range(1, net.L + 1):
        ax.text(pos[l][0][0], bottom, f"layer {l}\n{net.S[l]}", ha="center", va="top", fontsize=FONT_PT["layer"])
    ax.text(0, bottom, "input\na₀ = x", ha="center", va="top", fontsize=FONT_PT["layer"])

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    sm = plt.cm.ScalarMappable(norm=dnorm, cmap=colours)
    # two colour bars side by side under the network, their labels under them
    bar_height = 0.12 / (y1 - y0)  # 0.12 spacing high, whatever the layer count
    for left, mappable, label in ((0.04, sm, "neurons: δ_l,j"),
                                  (0.54, lines, "edges: ∂C/∂w[l][j][k]")):
        bar = fig.colorbar(mappable, cax=ax.inset_axes([left, 0.75 / (y1 - y0), 0.42, bar_height]),
                           orientation="horizontal")
        bar.set_label(label, fontsize=FONT_PT["bar"])
        bar.ax.tick_params(labelsize=FONT_PT["ticks"])
        bar.ax.xaxis.get_offset_text().set_fontsize(FONT_PT["ticks"])
    ax.set_title(title if title is not None else f"{loss} loss, C = {lb._num(g.cost)}", fontsize=FONT_PT["title"])
    if path is not None:
        _save(fig, path)
    return ax


# ---- one neuron's scalar graph, read as w·x + b ----------------------------------------------
def draw_neuron(model, x, target, loss="mse", l: int = 1, j: int = 1):
    """The scalar graph of neuron j of layer l for one sample, drawn so that it reads as the
    books' z_l,j = Σₖ w[l][j][k]·a_(l−1),k + b[l][j] and a_l,j = S(z_l,j).

    The engine makes z_l,j ONE n-ary dot node, ``Value.dot(w + [b], a_prev + [1])``, whose
    operands a plain graph shows as two unpaired lists.  Here each weight is paired with the
    activation it multiplies, through a × node showing the product; the bias is paired with
    the constant 1.  Every record holds the label, the data and the gradient after
    ``backward()`` on the sample's loss: ``grad`` of z is δ_l,j, of w[l][j][k] it is
    δ_l,j·a_(l−1),k (BP4), of b it is δ_l,j (BP3); an input a_(l−1),k shows its whole
    ∂C/∂a_(l−1),k, the sum over every neuron it feeds, (W_lᵀ δ_l)_k.  Edges into the × nodes carry the local
    gradients of the dot rule (∂z/∂wₖ = aₖ, ∂z/∂aₖ = wₖ).  Returns a ``graphviz.Digraph``
    (``autograd_engine.render`` lays it out; needs the ``[viz]`` extra).
    """
    from autograd_engine.teach import viz
    from autograd_engine.teach.walkthrough import number

    from .layers_backprop import _layers_of, engine_gradients

    layers = _layers_of(model)
    if not (isinstance(l, int) and 1 <= l <= len(layers)):
        raise ValueError(f"draw_neuron: layers are numbered 1..{len(layers)}, got l={l!r}")
    if not (isinstance(j, int) and 1 <= j <= len(layers[l - 1])):
        raise ValueError(f"draw_neuron: layer {l} has neurons 1..{len(layers[l - 1])}, got j={j!r}")
    en = engine_gradients(model, x, target, loss)
    neuron = layers[l - 1][j - 1]
    z, a = en.trace.z[l][j - 1], en.trace.a[l][j - 1]
    inputs = en.trace.a[l - 1]
    gv = viz._graphviz()
    dot = gv.Digraph(name="neuron", graph_attr={"rankdir": "LR", "fontname": viz.FONT, "ordering": "in"},
                     node_attr={"fontname": viz.FONT, "fontsize": "11"},
                     edge_attr={"fontname": viz.FONT, "fontsize": "9"})

    def record(name: str, label: str, data: float, grad) -> None:
        fields = [viz._record_text(label), f"data {number(data)}"]
        if grad is not None:
            fields.append(f"grad {number(grad)}")
        dot.node(name, "{ " + " | ".join(fields) + " }", shape="record")

    left = "x" if l == 1 else "a"
    for k, (w, inp) in enumerate(zip(neuron.w, inputs), 1):
        is_value = hasattr(inp, "grad")
        value = inp.data if is_value else float(inp)
        record(f"w{k}", w.label, w.data, w.grad)
        record(f"in{k}", inp.label if is_value and inp.label else f"{left}[{l - 1}][{k}]" if l > 1 else f"x[{k}]",
               value, inp.grad if is_value else None)
        dot.node(f"m{k}", f"× = {number(w.data * value)}", shape="ellipse", fontsize="9")
        dot.edge(f"w{k}", f"m{k}", label=f"∂z/∂w = {number(value)}")
        dot.edge(f"in{k}", f"m{k}", label=f"∂z/∂{left} = {number(w.data)}")
        dot.edge(f"m{k}", "dot")
    record("b", neuron.b.label, neuron.b.data, neuron.b.grad)
    dot.node("one", "1", shape="box", style="dashed", fontsize="9", color="gray40")
    dot.node("mb", f"× = {number(neuron.b.data)}", shape="ellipse", fontsize="9")
    dot.edge("b", "mb", label="∂z/∂b = 1")
    dot.edge("one", "mb", color="gray40")
    dot.edge("mb", "dot")
    dot.node("dot", f"Σ  (one dot node:\nz = Σₖ w·{left} + b·1)", shape="ellipse")
    record("z", z.label, z.data, z.grad)
    dot.edge("dot", "z")
    if a is not z:
        dot.node("act", viz._record_text(a.rule.symbol if a.rule else a.op), shape="ellipse")
        record("a", a.label, a.data, a.grad)
        dot.edge("z", "act", label=f"S′(z) = {number(a.local_grads[0])}")
        dot.edge("act", "a")
    dot.attr(label=f"neuron {j} of layer {l}: z[{l}][{j}].grad = δ = {number(z.grad)}", fontsize="11")
    return dot
