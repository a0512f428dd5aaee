"use strict";
// One sample's scalar graph (laid out once in Python: nn/training_graph.py), evaluated here for
// any point and snapshot.  Every value and local gradient is RULES[rule](operands) -> [z, dz/d…]
// (the rule table compiled to JavaScript); the walk is backward_steps': the edges in D.graph.steps'
// order, each adding dC/dz · dz/dx to its parent, from the seed 1 at the root.
const SampleGraph = (() => {
  function operand(spec, values, x, t) {
    if (Array.isArray(spec)) return spec.map(s => operand(s, values, x, t));
    if ("n" in spec) return values[spec.n];
    if ("x" in spec) return x[spec.x];
    if ("t" in spec) return t[spec.t];
    return spec.c;
  }
  // values[i] of every node and the local gradient of every edge, at parameters p
  function forward(G, p, x, t) {
    const values = new Array(G.nodes.length), out = new Array(G.nodes.length);
    G.nodes.forEach((n, i) => {
      if (!n.rule) { values[i] = n.param === null || n.param === undefined ? n.const : p[n.param]; return; }
      const r = RULES[n.rule](...n.operands.map(s => operand(s, values, x, t)));
      values[i] = r[0]; out[i] = r;
    });
    const locals = G.edges.map(e => {
      const g = out[e.child][1 + e.local[0]];
      return e.local[1] >= 0 ? g[e.local[1]] : g;
    });
    return {values, locals};
  }
  // the backward pass, step by step: {edge, child, parent, upstream, local, contribution, before, after}
  function run(G, p, x, t) {
    const f = forward(G, p, x, t), grad = new Array(G.nodes.length).fill(0.0);
    grad[G.root] = 1.0;
    const steps = G.steps.map(k => {
      const e = G.edges[k], upstream = grad[e.child], local = f.locals[k], contribution = upstream * local;
      const before = grad[e.parent];
      grad[e.parent] = before + contribution;
      return {edge: k, child: e.child, parent: e.parent, upstream, local, contribution, before, after: grad[e.parent]};
    });
    return {values: f.values, steps, grad};
  }
  return {forward, run};
})();
