"use strict";
// The training view.  The calculus (RULES: S and S' of each activation; LOSSES: C and grad_a C)
// is generated from the rule table and the losses' formula text in the script before this one;
// here is only linear algebra (z = W a + b, W^T delta, delta a^T) and drawing.
(() => {
  const D = JSON.parse(document.getElementById("training-data").textContent);
  const $ = id => document.getElementById(id);
  const L = D.sizes.length - 1, K = D.snapshots.length, G = 50;
  const BLUE = [31, 95, 191], ORANGE = [217, 115, 26], PALETTE = [ORANGE, BLUE, [46, 160, 67], [150, 60, 180], [200, 40, 40], [120, 120, 120]];
  const num = x => (x === null || x === undefined ? "–" : String(Number((+x).toPrecision(6))));

  // ---- the network at some parameters -------------------------------------------------------
  function build(p) {  // W[l][j][k] (0-based j, k), b[l][j]; index 0 unused
    const W = [null], b = [null];
    for (let l = 1; l <= L; l++) {
      W.push(D.index[l - 1].map(r => r.w.map(i => p[i])));
      b.push(D.index[l - 1].map(r => p[r.b]));
    }
    return {W, b};
  }
  // [a, S'(z)] of layer l's activation, from its rule (linear: [z, 1])
  const ACTS = [null, ...D.activations.map(A => {
    if (!A.rule) return z => [z, 1.0];
    const f = RULES[A.rule], e = A.extra;
    return e.length ? (z => f(z, ...e)) : f;
  })];
  const act = (l, z) => ACTS[l](z);
  function forward(N, x) {
    const z = [null], a = [x.slice()], sp = [null];
    for (let l = 1; l <= L; l++) {
      const W = N.W[l], prev = a[l - 1], zl = [], al = [], sl = [];
      for (let j = 0; j < W.length; j++) {
        let s = 0.0;
        for (let k = 0; k < prev.length; k++) s += W[j][k] * prev[k];
        zl.push(s + N.b[l][j]);
        const r = act(l, zl[j]);
        al.push(r[0]); sl.push(r[1]);
      }
      z.push(zl); a.push(al); sp.push(sl);
    }
    return {z, a, sp};
  }
  function backprop(N, x, t) {  // Algorithm 1: forward, BP1, BP2, BP3, BP4
    const f = forward(N, x), LF = LOSSES[D.loss];
    const g = LF.grad(f.a[L], t), delta = new Array(L + 1).fill(null);
    delta[L] = f.a[L].map((_, j) => g[j] * f.sp[L][j]);                       // BP1
    for (let l = L - 1; l >= 1; l--) {                                         // BP2
      const Wn = N.W[l + 1], dn = delta[l + 1];
      delta[l] = f.z[l].map((_, i) => {
        let s = 0.0;
        for (let j = 0; j < Wn.length; j++) s += Wn[j][i] * dn[j];
        return s * f.sp[l][i];
      });
    }
    const dW = [null];                                                         // BP4
    for (let l = 1; l <= L; l++) dW.push(delta[l].map(d => f.a[l - 1].map(ak => d * ak)));
    return {z: f.z, a: f.a, delta, loss: LF.C(f.a[L], t), dW, db: delta};      // BP3: db = delta
  }
  function predictClass(out) {
    if (D.predict === "argmax") { let best = 0; out.forEach((v, i) => { if (v > out[best]) best = i; }); return best; }
    return D.predict === "half" ? (out[0] > 0.5 ? 1 : 0) : (out[0] > 0 ? 1 : 0);
  }
  function target(label) { return D.targets[String(label)].slice(); }

  // ---- state --------------------------------------------------------------------------------
  let k = D.start === "last" ? K - 1 : 0, edits = {}, timer = null, point = null, grid = null, pending = false;
  let chosen = {l: 1, j: 0, k: 0, bias: false};
  const score = {right: 0, asked: 0};
  const params = () => { const p = D.snapshots[k].params.slice(); for (const i in edits) p[i] = edits[i]; return p; };
  const chosenIndex = () => (chosen.bias ? D.index[chosen.l - 1][chosen.j].b : D.index[chosen.l - 1][chosen.j].w[chosen.k]);
  const chosenName = () => (chosen.bias ? `b[${chosen.l}][${chosen.j + 1}]` : `w[${chosen.l}][${chosen.j + 1}][${chosen.k + 1}]`);

  function batch(N, data) {  // mean loss, accuracy and mean dC/d(chosen) over a dataset
    let C = 0, right = 0, g = 0;
    data.X.forEach((x, m) => {
      const r = backprop(N, x, target(data.y[m]));
      C += r.loss;
      if (predictClass(r.a[L]) === data.y[m]) right++;
      g += chosen.bias ? r.db[chosen.l][chosen.j] : r.dW[chosen.l][chosen.j][chosen.k];
    });
    const n = data.X.length;
    return {loss: C / n, accuracy: right / n, grad: g / n};
  }

  // ---- the plane ----------------------------------------------------------------------------
  const P = D.plane;
  const toPx = (x, y, c) => [(x - P.x0) / (P.x1 - P.x0) * c.width, (1 - (y - P.y0) / (P.y1 - P.y0)) * c.height];
  const fromPx = (px, py, c) => [P.x0 + px / c.width * (P.x1 - P.x0), P.y0 + (1 - py / c.height) * (P.y1 - P.y0)];
  function computeGrid(N) {
    const xs = [], ys = [], out = [], units = [null];
    for (let i = 0; i < G; i++) { xs.push(P.x0 + (i + 0.5) / G * (P.x1 - P.x0)); ys.push(P.y1 - (i + 0.5) / G * (P.y1 - P.y0)); }
    for (let l = 1; l <= L; l++) units.push(D.index[l - 1].map(() => new Float64Array(G * G)));
    for (let r = 0; r < G; r++) {
      const row = [];
      for (let c = 0; c < G; c++) {
        const f = forward(N, [xs[c], ys[r]]);
        row.push(f.a[L]);
        for (let l = 1; l <= L; l++) f.a[l].forEach((v, j) => { units[l][j][r * G + c] = v; });
      }
      out.push(row);
    }
    return {xs, ys, out, units};
  }
  function rgb(v, scale) {  // a diverging colour: blue > 0 > orange, white at 0
    const s = Math.max(-1, Math.min(1, v / (scale || 1))), base = s >= 0 ? BLUE : ORANGE, w = Math.abs(s) * 0.75;
    return base.map(c => Math.round(255 + (c - 255) * w));
  }
  const shade = (v, scale) => `rgb(${rgb(v, scale).join(",")})`;
  // a G x G picture, one pixel a cell, drawn through ImageData (one call, not G*G fillRects)
  const cells = document.createElement("canvas");
  cells.width = G; cells.height = G;
  function paint(colour) {  // colour(r, q) -> [r, g, b]
    const g = cells.getContext("2d"), img = g.createImageData(G, G);
    for (let r = 0; r < G; r++) for (let q = 0; q < G; q++) {
      const c = colour(r, q), o = 4 * (r * G + q);
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    return cells;
  }
  function drawPlane() {
    const c = $("plane"), g = c.getContext("2d");
    const thr = D.predict === "half" ? 0.5 : 0;
    g.imageSmoothingEnabled = false;
    g.drawImage(paint((r, q) => {
      const out = grid.out[r][q];
      if (D.predict !== "argmax") return rgb(out[0] - thr, 1);
      return PALETTE[predictClass(out) % PALETTE.length].map(v => Math.round(255 + (v - 255) * 0.35));
    }), 0, 0, c.width, c.height);
    const dot = (data, filled) => data && data.X.forEach((x, m) => {
      const [px, py] = toPx(x[0], x[1], c), col = PALETTE[D.classes.indexOf(data.y[m]) % PALETTE.length];
      g.beginPath(); g.arc(px, py, 3.5, 0, 2 * Math.PI);
      g.strokeStyle = "#222"; g.lineWidth = 1;
      if (filled) { g.fillStyle = `rgb(${col.join(",")})`; g.fill(); g.stroke(); }
      else { g.strokeStyle = `rgb(${col.join(",")})`; g.lineWidth = 2; g.stroke(); }
    });
    dot(D.train, true); dot(D.val, false);
    if (point) {
      const [px, py] = toPx(point.x[0], point.x[1], c);
      g.strokeStyle = "#000"; g.lineWidth = 2; g.beginPath();
      g.moveTo(px - 7, py); g.lineTo(px + 7, py); g.moveTo(px, py - 7); g.lineTo(px, py + 7); g.stroke();
    }
  }

  // ---- the diagram --------------------------------------------------------------------------
  // thumbnails shrink for wide layers, so 16 units fit in about 550 px
  const NS = "http://www.w3.org/2000/svg", WIDEST = Math.max(...D.sizes.slice(1));
  const TH = Math.max(22, Math.min(40, Math.floor(540 / WIDEST) - 4)), ROW = TH + 6, COL = 130;
  const height = Math.max(...D.sizes) * ROW + 20, pos = [];
  const lines = [], thumbs = [null];
  function setupDiagram() {
    const svg = $("edges"), box = $("diagram");
    box.style.width = `${L * COL + 2 * TH + 20}px`; box.style.height = `${height}px`;
    svg.setAttribute("width", L * COL + 2 * TH + 20); svg.setAttribute("height", height);
    D.sizes.forEach((n, l) => {
      pos.push([]);
      for (let j = 0; j < n; j++) pos[l].push([10 + TH / 2 + l * COL, (height - n * ROW) / 2 + ROW * j + ROW / 2]);
    });
    for (let l = 1; l <= L; l++) D.index[l - 1].forEach((r, j) => r.w.forEach((_, q) => {
      const e = document.createElementNS(NS, "line"), [x1, y1] = pos[l - 1][q], [x2, y2] = pos[l][j];
      e.setAttribute("x1", x1 + TH / 2); e.setAttribute("y1", y1); e.setAttribute("x2", x2 - TH / 2); e.setAttribute("y2", y2);
      e.dataset.l = l; e.dataset.j = j; e.dataset.k = q;
      const title = document.createElementNS(NS, "title");
      title.textContent = `w[${l}][${j + 1}][${q + 1}]`;
      e.appendChild(title);
      e.addEventListener("click", () => choose({l, j, k: q, bias: false}));
      svg.appendChild(e); lines.push(e);
    }));
    for (let q = 0; q < D.sizes[0]; q++) {  // the inputs
      const t = document.createElementNS(NS, "text"), [x, y] = pos[0][q];
      t.setAttribute("x", x - TH / 2); t.setAttribute("y", y + 4); t.textContent = `x${q + 1}`;
      svg.appendChild(t);
    }
    for (let l = 1; l <= L; l++) {
      thumbs.push(D.index[l - 1].map((_, j) => {
        const c = document.createElement("canvas"), [x, y] = pos[l][j];
        c.width = TH; c.height = TH; c.className = "thumb";
        c.style.left = `${x - TH / 2}px`; c.style.top = `${y - TH / 2}px`;
        c.title = `neuron ${j + 1} of layer ${l}: a[${l}][${j + 1}] over the plane (click: its bias b[${l}][${j + 1}])`;
        c.addEventListener("click", () => choose({l, j, k: 0, bias: true}));
        box.appendChild(c);
        return c;
      }));
    }
  }
  function drawDiagram(p) {
    // edges show the weights, or (with a clicked point) that point's dC/dw: BP4 edge by edge
    const N = build(p), r = point ? backprop(N, point.x, point.t) : null;
    const byGrad = r !== null && $("edge-mode").value === "gradient";
    const value = (l, j, q) => (byGrad ? r.dW[l][j][q] : N.W[l][j][q]);
    let biggest = 1e-12;
    for (let l = 1; l <= L; l++) N.W[l].forEach((row, j) => row.forEach((_, q) => { biggest = Math.max(biggest, Math.abs(value(l, j, q))); }));
    for (const e of lines) {
      const l = +e.dataset.l, j = +e.dataset.j, q = +e.dataset.k, v = value(l, j, q);
      e.setAttribute("stroke", `rgb(${(v >= 0 ? BLUE : ORANGE).join(",")})`);
      e.setAttribute("stroke-width", (0.5 + 4 * Math.abs(v) / biggest).toFixed(2));
      e.setAttribute("stroke-opacity", (0.25 + 0.75 * Math.abs(v) / biggest).toFixed(2));
      e.classList.toggle("chosen", !chosen.bias && l === chosen.l && j === chosen.j && q === chosen.k);
      const name = `w[${l}][${j + 1}][${q + 1}]`;
      e.firstChild.textContent = `${name} = ${num(N.W[l][j][q])}` + (r ? `; ∂C/∂${name} = δ[${l}][${j + 1}] · a[${l - 1}][${q + 1}] = ${num(r.dW[l][j][q])} at the clicked point` : "");
    }
    for (let l = 1; l <= L; l++) thumbs[l].forEach((c, j) => {
      c.classList.toggle("chosen", chosen.bias && chosen.l === l && chosen.j === j);
      const g = c.getContext("2d");
      if (!grid) { g.fillStyle = shade(N.b[l][j], 1); g.fillRect(0, 0, TH, TH); return; }
      const u = grid.units[l][j];
      let m = 1e-12;
      for (const v of u) m = Math.max(m, Math.abs(v));
      g.imageSmoothingEnabled = false;
      g.drawImage(paint((r, q) => rgb(u[r * G + q], m)), 0, 0, TH, TH);
    });
  }

  // ---- the curves ---------------------------------------------------------------------------
  function curve(id, keys, fixed) {
    const c = $(id), g = c.getContext("2d"), S = D.snapshots;
    g.clearRect(0, 0, c.width, c.height);
    const steps = S.map(s => s.step), x0 = steps[0], x1 = Math.max(steps[K - 1], x0 + 1);
    let lo = fixed ? 0 : Infinity, hi = fixed ? 1 : -Infinity;
    if (!fixed) for (const key of keys) for (const s of S) if (s[key] !== null) { lo = Math.min(lo, s[key]); hi = Math.max(hi, s[key]); }
    if (!(hi > lo)) { hi = lo + 1; }
    const X = st => 30 + (st - x0) / (x1 - x0) * (c.width - 40), Y = v => c.height - 12 - (v - lo) / (hi - lo) * (c.height - 24);
    g.fillStyle = "#555"; g.font = "10px sans-serif";
    g.fillText(num(hi), 2, 10); g.fillText(num(lo), 2, c.height - 12);
    g.fillText(id === "loss-curve" ? `${D.loss} loss` : "accuracy", 90, 10);
    keys.forEach((key, i) => {
      g.strokeStyle = i ? "#d9731a" : "#1f5fbf"; g.lineWidth = 1.5; g.beginPath();
      let started = false;
      S.forEach(s => { if (s[key] === null) return; const [x, y] = [X(s.step), Y(s[key])]; if (started) g.lineTo(x, y); else { g.moveTo(x, y); started = true; } });
      g.stroke();
    });
    g.strokeStyle = "#000"; g.lineWidth = 1; g.beginPath(); g.moveTo(X(S[k].step), 2); g.lineTo(X(S[k].step), c.height - 2); g.stroke();
  }

  // ---- one point's passes -------------------------------------------------------------------
  function cell(tr, text, head) { const td = document.createElement(head ? "th" : "td"); td.textContent = text; tr.appendChild(td); }
  function drawDetail(N) {
    const table = $("detail");
    table.replaceChildren();
    $("detail-more").textContent = "";
    if (!point) return;
    const r = backprop(N, point.x, point.t);
    $("detail-head").textContent = `x = (${point.x.map(num).join(", ")}), ${point.label}, t = (${point.t.map(num).join(", ")}): C = ${num(r.loss)}`;
    const head = document.createElement("tr");
    ["neuron", "z", "a", "δ = ∂C/∂z", "S′(z)"].forEach(h => cell(head, h, true));
    table.appendChild(head);
    const f = forward(N, point.x);
    for (let l = 1; l <= L; l++) r.z[l].forEach((z, j) => {
      const tr = document.createElement("tr");
      cell(tr, `[${l}][${j + 1}]${l === L ? " BP1" : " BP2"}`, true);
      [z, r.a[l][j], r.delta[l][j], f.sp[l][j]].forEach(v => cell(tr, num(v)));
      tr.dataset.l = l; tr.dataset.j = j;
      table.appendChild(tr);
    });
    const g = chosen.bias ? r.db[chosen.l][chosen.j] : r.dW[chosen.l][chosen.j][chosen.k];
    const tr = document.createElement("tr");
    const how = chosen.bias ? `δ[${chosen.l}][${chosen.j + 1}] (BP3)` : `δ[${chosen.l}][${chosen.j + 1}] · a[${chosen.l - 1}][${chosen.k + 1}] (BP4)`;
    cell(tr, `∂C/∂${chosenName()} = ${how}`, true); cell(tr, num(g));
    tr.id = "detail-grad";
    table.appendChild(tr);
    $("detail-more").textContent = `One step further, this sample's scalar graph edge by edge: below` +
      (GR ? "" : " (too big for the page)") + `, or in the backprop player: view.player(${k}, [${point.x.join(", ")}], [${point.t.join(", ")}]) in Python.`;
  }

  // ---- one click further: the sample's scalar graph, edge by edge ----------------------------
  // the graph's structure and picture come from Python (the player's layout); the numbers from
  // SampleGraph.run (RULES, in backward_steps' order) at this point and these parameters
  const GR = D.graph;
  let graphOpen = false, graphStep = 0;
  const svgNode = i => document.querySelector(`#graph-svg g[data-node="${i}"]`);
  function drawGraph(p) {
    const box = $("graph-box");
    box.hidden = !point;
    if (!point) return;
    if (!GR) {
      $("graph-open").hidden = $("graph-prev").hidden = $("graph-next").hidden = true;
      $("graph-note").textContent = `${D.graph_note}. In Python: view.player(${k}, [${point.x.join(", ")}], [${point.t.join(", ")}]).`;
      return;
    }
    $("graph-prev").hidden = $("graph-next").hidden = !graphOpen;
    $("graph-svg").hidden = !graphOpen;
    $("graph-open").textContent = graphOpen ? "hide the scalar graph ▾" : "step through this sample's scalar graph ▸";
    $("graph-note").textContent = graphOpen ? `C at snapshot ${k + 1} for x = (${point.x.map(num).join(", ")}), t = (${point.t.map(num).join(", ")}): ` +
      `${GR.nodes.length} Values, ${GR.steps.length} backward steps (∂C/∂x += ∂C/∂z · ∂z/∂x, edge by edge).` : "";
    if (!graphOpen) { $("graph-step").textContent = ""; $("graph-count").textContent = ""; return; }
    const r = SampleGraph.run(GR, p, point.x, point.t), n = r.steps.length;
    graphStep = Math.max(0, Math.min(n - 1, graphStep));
    const s = r.steps[graphStep], e = GR.edges[s.edge], z = GR.nodes[s.child], x = GR.nodes[s.parent];
    $("graph-count").textContent = `step ${graphStep + 1}/${n}`;
    $("graph-prev").disabled = graphStep === 0; $("graph-next").disabled = graphStep === n - 1;
    $("graph-step").replaceChildren();
    const line = text => { const d = document.createElement("div"); d.textContent = text; $("graph-step").appendChild(d); };
    line(`${z.name} sends to ${x.name}: ∂C/∂${x.name} += ∂C/∂${z.name} · ∂${z.name}/∂${x.name} = ${num(s.upstream)} · ${num(s.local)} = ${num(s.contribution)}`);
    line(`${e.words}: ∂z/∂${e.arg} = ${e.formula} = ${num(s.local)}`);
    line(`∂C/∂${x.name}: ${num(s.before)} → ${num(s.after)}`);
    // the picture: every node's value, gradients so far, the active edge
    const sofar = new Array(GR.nodes.length).fill(0.0), got = new Array(GR.nodes.length).fill(false);
    sofar[GR.root] = 1.0; got[GR.root] = true;
    for (let q = 0; q <= graphStep; q++) { sofar[r.steps[q].parent] = r.steps[q].after; got[r.steps[q].parent] = true; }
    const four = v => String(Number((v + 0.0).toPrecision(4)));
    GR.nodes.forEach((_, i) => {
      const g = svgNode(i);
      if (!g) return;
      const dt = g.querySelector('text[data-field="data"]'), gt = g.querySelector('text[data-field="grad"]');
      if (dt) dt.textContent = `data ${four(r.values[i])}`;
      if (gt) gt.textContent = got[i] ? `grad ${four(sofar[i])}` : "grad —";
      g.classList.toggle("sending", i === s.child);
      g.classList.toggle("receiving", i === s.parent);
    });
    document.querySelectorAll("#graph-svg g[data-edge]").forEach(g => {
      g.classList.toggle("active", +g.dataset.edge === s.edge);
      if (+g.dataset.edge === s.edge && g.scrollIntoView) g.scrollIntoView({block: "nearest", inline: "nearest"});
    });
  }

  // ---- showing a snapshot -------------------------------------------------------------------
  function render() {
    const p = params(), N = build(p), s = D.snapshots[k];
    if (P) { grid = computeGrid(N); drawPlane(); }
    drawDiagram(p);
    curve("loss-curve", ["loss", "val_loss"], false);
    curve("acc-curve", ["accuracy", "val_accuracy"], true);
    $("scrub").value = k;
    $("snap-text").textContent = `snapshot ${k + 1}/${K} · epoch ${s.epoch} · step ${s.step} · loss ${num(s.loss)} · accuracy ${num(s.accuracy)}` +
      (s.val_loss !== null ? ` · val loss ${num(s.val_loss)} · val accuracy ${num(s.val_accuracy)}` : "");
    const w = p[chosenIndex()], span = Math.max(4, 2 * Math.abs(w));
    $("weight-name").textContent = chosenName();
    $("weight-value").textContent = num(w);
    const slider = $("weight");
    slider.min = -span; slider.max = span; slider.value = w;
    const b = batch(N, D.train);
    $("live-loss").textContent = num(b.loss); $("live-acc").textContent = num(b.accuracy);
    $("weight-grad").textContent = `∂C/∂${chosenName()} over the training set = ${num(b.grad)}`;
    $("reset").disabled = Object.keys(edits).length === 0;
    drawDetail(N);
    drawGraph(p);
  }
  function show(i) {
    const n = Math.max(0, Math.min(K - 1, i));
    if (n !== k) edits = {};
    k = n; render();
  }
  function choose(c) { chosen = c; render(); }

  // ---- predict, then reveal -----------------------------------------------------------------
  function next() {
    if (k >= K - 1) return;
    if (!$("predict").checked) { show(k + 1); return; }
    pending = true;
    $("question").hidden = false;
    $("question-text").textContent = `Which way will ${chosenName()} move by snapshot ${k + 2}?`;
  }
  function answer(up) {
    if (!pending) return;
    pending = false; $("question").hidden = true;
    const before = D.snapshots[k].params[chosenIndex()], g = batch(build(D.snapshots[k].params), D.train).grad;
    const expect = -g > 0, right = up === expect;
    score.asked++; if (right) score.right++;
    show(k + 1);
    const moved = D.snapshots[k].params[chosenIndex()] - before;
    $("feedback").textContent = `${right ? "Right" : "Not this time"}: −∂C/∂${chosenName()} = ${num(-g)}, so gradient descent moves it ${expect ? "up" : "down"}; it moved ${num(moved)} by this snapshot.`;
    $("score").textContent = `score ${score.right} / ${score.asked}`;
  }

  // ---- wiring -------------------------------------------------------------------------------
  function togglePlay() {
    if (timer) { clearInterval(timer); timer = null; $("play").textContent = "▶ play"; return; }
    if (k >= K - 1) show(0);
    $("play").textContent = "⏸ pause";
    timer = setInterval(() => { if (k >= K - 1) togglePlay(); else show(k + 1); }, 180);
  }
  $("title").textContent = D.title;
  $("scrub").max = K - 1;
  $("first").addEventListener("click", () => show(0));
  $("last").addEventListener("click", () => show(K - 1));
  $("prev").addEventListener("click", () => show(k - 1));
  $("next").addEventListener("click", next);
  $("play").addEventListener("click", togglePlay);
  $("scrub").addEventListener("input", e => show(+e.target.value));
  $("up").addEventListener("click", () => answer(true));
  $("down").addEventListener("click", () => answer(false));
  $("weight").addEventListener("input", e => { edits[chosenIndex()] = +e.target.value; render(); });
  $("reset").addEventListener("click", () => { edits = {}; render(); });
  $("edge-mode").addEventListener("change", render);
  document.addEventListener("keydown", e => {
    // the weight's slider keeps its own arrow keys (nudging the weight); text fields theirs
    if (e.target instanceof HTMLSelectElement || (e.target instanceof HTMLInputElement && (e.target.id === "weight" || (e.target.type !== "range" && e.target.type !== "checkbox")))) return;
    const act = {ArrowRight: next, ArrowLeft: () => show(k - 1), Home: () => show(0), End: () => show(K - 1), " ": togglePlay}[e.key];
    if (act) { e.preventDefault(); act(); }
  });
  D.classes.forEach(c => { const o = document.createElement("option"); o.value = c; o.textContent = `class ${c}`; $("target").appendChild(o); });
  $("target").addEventListener("change", () => { if (point && point.free) { point.t = target(+$("target").value); point.label = `class ${$("target").value} (chosen)`; render(); } });
  if (P) {
    $("plane").addEventListener("click", e => {
      const c = $("plane"), rect = c.getBoundingClientRect();
      const px = (e.clientX - rect.left) * c.width / rect.width, py = (e.clientY - rect.top) * c.height / rect.height;
      let best = null, dist = 8;
      for (const [data, kind] of [[D.train, "training"], [D.val, "validation"]]) if (data) data.X.forEach((x, m) => {
        const [qx, qy] = toPx(x[0], x[1], c), d = Math.hypot(qx - px, qy - py);
        if (d < dist) { dist = d; best = {x: x.slice(), t: target(data.y[m]), label: `${kind} point ${m + 1}, class ${data.y[m]}`, free: false}; }
      });
      point = best || {x: fromPx(px, py, c), t: target(+$("target").value), label: `class ${$("target").value} (chosen)`, free: true};
      render();
    });
  } else {
    $("plane-box").hidden = true;
    const note = $("no-plane");
    note.hidden = false;
    note.textContent = `The plane needs 2 inputs; this model takes ${D.sizes[0]}: curves and diagram only.`;
  }
  $("graph-open").addEventListener("click", () => { graphOpen = !graphOpen; render(); });
  $("graph-prev").addEventListener("click", () => { graphStep--; drawGraph(params()); });
  $("graph-next").addEventListener("click", () => { graphStep++; drawGraph(params()); });
  setupDiagram();
  render();

  // for tests and for the curious: the page's own numbers
  window.trainingView = {
    sample: (s, x, t) => { const r = backprop(build(D.snapshots[s].params), x, t); return {z: r.z, a: r.a, delta: r.delta, loss: r.loss, dW: r.dW}; },
    grid: () => (grid ? {xs: grid.xs, ys: grid.ys, out: grid.out} : null),
    unit: (l, j) => (grid ? Array.from(grid.units[l][j]) : null),
    show, choose: (l, j, q, bias) => choose({l, j: j - 1, k: q - 1, bias: !!bias}),
    state: () => ({k, edits: {...edits}, chosen: chosenName(), score: {...score}, point, graphStep, graphOpen}),
    // the sample's scalar graph at snapshot s: node names and values, backward_steps' records, final gradients
    graph: (s, x, t) => {
      if (!GR) return null;
      const r = SampleGraph.run(GR, D.snapshots[s].params, x, t), name = i => GR.nodes[i].name;
      return {names: GR.nodes.map(n => n.name), values: r.values, grad: r.grad,
              steps: r.steps.map(q => ({node: name(q.child), parent: name(q.parent), upstream: q.upstream, local: q.local,
                                        contribution: q.contribution, parent_grad: q.after}))};
    },
  };
  document.body.dataset.ready = "1";
})();
