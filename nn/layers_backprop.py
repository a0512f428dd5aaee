"""Backprop as the textbooks write it: the layer recursion δ, beside the scalar graph.

The backprop chapter (*Chapter 6: The Backprop Algorithm*, §6.2), the gist *Notes on
Backpropagation* and the lecture *Back-Propagation* (*Data Science and Machine Learning*) do
not differentiate a scalar graph: they run a recursion over layers.  This module writes their
equations as NumPy code, one function per equation, and puts the numbers beside those of the
scalar engine, where δ_l,j is simply the ``.grad`` of the Value z_l,j.

Notation (the lecture's, with the gist's names alongside).  Layers l = 1..L, a_0 = x::

    forward    z_l = W_l a_(l−1) + b_l          a_l = S_l(z_l)
    δ_l := ∂C/∂z_l                              (chapter 6.10: δ_i^(r) = ∂L/∂a_i^(r))
    BP1        δ_L = ∇_a C ⊙ S′_L(z_L)          (gist; the lecture: δ_L = ∂S_L/∂z_L · ∂C/∂g)
    BP2        δ_l = (W_(l+1)ᵀ δ_(l+1)) ⊙ S′_l(z_l)   (lecture: δ_(l−1) = D_(l−1) W_lᵀ δ_l,
                                                 D = diag S′(z); chapter 6.17)
    BP3        ∂C/∂b_l = δ_l                    (chapter 6.12)
    BP4        ∂C/∂W_l = δ_l a_(l−1)ᵀ           (chapter 6.11, 6.13: ∂L/∂w_ij = δ_i z_j)

The chapter writes a for pre-activations and z for activations; the gist and the lecture (and
this module) the other way round.  Entries: ``W[l][j-1, k-1]`` is w[l][j][k], the weight from
input k of layer l−1 to neuron j of layer l (the gist's w_jk^l); layer numbers are the books'
(``PerLayer``: ``delta[1]`` is δ_1), positions inside a NumPy vector or matrix are 0-based.

BP1 for each supported loss (the model's last activation S_L is applied first; ``linear``
makes S′_L = 1):

=================  ==================================  ========================================
``cross_entropy``  C = −Σₖ tₖ log softmax(a)ₖ          ∇_a C = softmax(a_L) − t (chapter: δ_k =
                                                       y_k − t_k; lecture: δ_L = g − e_y)
``mse``            C = ‖a − t‖²                        ∇_a C = 2(a_L − t) (lecture: δ_L =
                                                       S′_L(z_L) ⊙ 2(g − y))
``bce``            C = −[t log σ(a) + (1−t) log(1−σ(a))]  ∇_a C = σ(a_L) − t
``hinge``          C = max(0, 1 − t·a), t = ±1          ∇_a C = −t · 𝟙[1 − t·a > 0]
=================  ==================================  ========================================

S′ is not written here: each activation's S and S′ are evaluated with the engine's own rule
table (``RULES[name].fn`` over NumPy arrays, as the compiled tape does), the one place the
project writes a derivative.  The ∇_a C column above are the books' closed forms: they are
what is being compared with the scalar graph, which differentiates the loss op by op.

Algorithm 1 (the lecture's, one sample) is :func:`algorithm1`; Algorithm 2 (the average over
a batch) :func:`algorithm2`; the chapter's Figure 6.7 update w ← w − (η/M) Σₘ ∂L(m)/∂w is
:func:`gradient_step`.  :func:`compare` and :func:`compare_batch` put the equations beside the
engine (the scalar graph, or the compiled tape for a batch) and report the largest difference;
:func:`delta_steps` groups the scalar walk-through by layer and neuron, so that the steps of
``backward_steps`` visibly add up to one entry of Wᵀδ ⊙ S′(z).

Covered models: ``nn.MLP``, ``nn.Layer`` and ``nn.Neuron`` (the forward pass is exactly
z = W a + b, a = S(z)) with the activations in :data:`ACTIVATION_RULES`; anything else is a
``TypeError``/``ValueError`` that names what is not covered.
"""

from __future__ import annotations

from .layers_compare import (BatchComparison, Comparison, EngineGradients, _num, compare,  # noqa: F401
                             compare_batch, engine_batch_gradients, engine_gradients, format_deltas)
from .layers_delta_steps import DeltaSteps, delta_steps, format_delta_steps  # noqa: F401
from .layers_equations import (BatchGradients, Gradients, algorithm1, algorithm2, bp1, bp2, bp3,  # noqa: F401
                               bp4, gradient_step)
from .layers_network import (ACTIVATION_RULES, SUPPORTED_LOSSES, Forward, Network, S, S_prime,  # noqa: F401
                             _layers_of, _loss_math, _np, cost, feedforward, grad_a_C, network,
                             target_vector)

__all__ = [
    "ACTIVATION_RULES", "SUPPORTED_LOSSES", "Network", "Forward", "Gradients", "BatchGradients",
    "EngineGradients", "Comparison", "BatchComparison", "DeltaSteps",
    "network", "feedforward", "S", "S_prime", "grad_a_C", "cost", "target_vector",
    "bp1", "bp2", "bp3", "bp4", "algorithm1", "algorithm2", "gradient_step",
    "engine_gradients", "engine_batch_gradients", "compare", "compare_batch",
    "delta_steps", "format_delta_steps", "format_deltas",
]
