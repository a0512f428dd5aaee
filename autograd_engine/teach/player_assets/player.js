// The backprop player. Everything shown comes from the JSON data (made in Python from
// backward_steps() and the forward order) and is put in with textContent: labels are never markup.
// Frames: 0 start, 1..N forward (node i lights up at frame i + 1), N + 1 the seed ∂L/∂L,
// one frame per backward step (the state after that step), and the last frame: done.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("player-data").textContent);
  var N = D.nodes.length, E = D.steps.length, ROOT = D.root;
  var SEED = N + 1, FIRST = N + 2, DONE = N + 2 + E;
  var DELAYS = [1600, 1000, 600, 300, 120], SPEEDS = ["0.4×", "0.6×", "1×", "2×", "5×"];
  var TOLERANCE = { abs: 1e-4, rel: 5e-3 };  // a typed answer within 0.5 % (or 1e-4) is right

  function $(id) { return document.getElementById(id); }
  function text(id, s) { $(id).textContent = s; }
  var graph = $("graph"), svg = graph.querySelector("svg");

  // During the backward pass the active edge points the way its gradient flows (op → parent):
  // player.css hides its forward arrowhead and puts this one, reversed, at the parent's end.
  (function () {
    var NS = "http://www.w3.org/2000/svg";
    var defs = document.createElementNS(NS, "defs"), m = document.createElementNS(NS, "marker");
    var attrs = { id: "flow-back", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "3.5",
                  markerHeight: "3.5", orient: "auto-start-reverse" };
    Object.keys(attrs).forEach(function (a) { m.setAttribute(a, attrs[a]); });
    var head = document.createElementNS(NS, "path");
    head.setAttribute("d", "M 0 0 L 10 5 L 0 10 z");
    m.appendChild(head); defs.appendChild(m); svg.insertBefore(defs, svg.firstChild);
  })();

  // ---- the SVG, tagged in Python: records, op nodes, edges ---------------------------------
  var valueG = [], opG = [], edgeG = [], outG = [], dataT = [], gradT = [];
  svg.querySelectorAll("g[data-node]").forEach(function (g) {
    var i = +g.getAttribute("data-node");
    valueG[i] = g;
    dataT[i] = g.querySelector('text[data-field="data"]');
    gradT[i] = g.querySelector('text[data-field="grad"]');
  });
  svg.querySelectorAll("g[data-op]").forEach(function (g) { opG[+g.getAttribute("data-op")] = g; });
  svg.querySelectorAll("g[data-edge]").forEach(function (g) { edgeG[+g.getAttribute("data-edge")] = g; });
  svg.querySelectorAll("g[data-out]").forEach(function (g) { outG[+g.getAttribute("data-out")] = g; });
  var stepOfEdge = [];
  D.steps.forEach(function (s, k) { stepOfEdge[s.edge] = k; });

  // ---- state ------------------------------------------------------------------------------
  var frame = 0, timer = null, quiz = false;
  var attempted = new Array(E).fill(false), scored = new Array(E).fill(false);
  var resolved = new Array(E).fill(false), wrong = new Array(E).fill(false), revealed = new Array(E).fill(false);
  // the quiz's options, from play(quiz=, ask=, hints=): steps not asked are shown as answered;
  // a wrong answer stays in the box (typed); quiz.js names a misconception from the wrong ones
  var Q = D.quiz || {}, HINTS = Q.hints !== false, SKIP = Q.skip || [], ASKED = E - SKIP.length;
  var typed = new Array(E).fill("");
  SKIP.forEach(function (k) { resolved[k] = true; });

  function name(i) { return D.nodes[i].name; }
  function d(z, x) { return "∂" + z + "/∂" + x; }
  function known(k) { return !quiz || resolved[k]; }
  // The rule in its own variables, each bound to the node it stands for:
  // "multiply swaps: ∂z/∂y = x = 2   (z = x · y with z = f, x = v1, y = v2)"
  function ruleText(s, withValue) {
    var e = D.edges[s.edge], n = D.nodes[s.child];
    var lhs = "∂z/∂" + e.arg;
    var body = e.formula ? lhs + " = " + e.formula : lhs;
    var words = e.words ? e.words + ": " : e.op + ": ";
    var value = withValue && e.formula !== s.text.local ? " = " + s.text.local : "";
    var bound = (n.bind || []).map(function (b) { return b[0] === "…" ? "…" : b[0] + " = " + b[1]; });
    return words + body + value + "   (z = " + (n.z || n.op) + " with z = " + name(s.child) +
      (bound.length ? ", " + bound.join(", ") : "") + ")";
  }

  // The gradients after frame f: for each node the text of its last value, whether it is
  // hidden (quiz: a step into it is not answered yet) and its value.
  function gradients(f) {
    var out = [];
    for (var i = 0; i < N; i++) out.push({ four: null, value: null, hidden: false });
    if (f < SEED) return out;
    for (i = 0; i < N; i++) { out[i].four = "0"; out[i].value = 0; }
    out[ROOT].four = D.seed4; out[ROOT].value = D.seed;
    var upto = f >= DONE ? E - 1 : f - FIRST;
    for (var k = 0; k <= upto; k++) {
      var s = D.steps[k], o = out[s.parent];
      o.four = s.after4; o.value = s.after;
      if (!known(k)) o.hidden = true;
    }
    return out;
  }

  function setClass(el, cls, on) { if (el) el.classList.toggle(cls, !!on); }

  function paintGraph(f, step) {
    var g = gradients(f);
    for (var i = 0; i < N; i++) {
      var lit = f >= i + 1, cur = f === i + 1;
      setClass(valueG[i], "pending", !lit); setClass(valueG[i], "current", cur);
      setClass(opG[i], "pending", !lit); setClass(opG[i], "current", cur);
      setClass(outG[i], "pending", !lit); setClass(outG[i], "fwd", cur);
      setClass(outG[i], "active", step && step.child === i);
      var complete = f >= SEED && (D.nodes[i].lastIn < 0 || f >= DONE || f - FIRST >= D.nodes[i].lastIn);
      setClass(valueG[i], "complete", complete);
      setClass(valueG[i], "sender", step && step.child === i);
      setClass(valueG[i], "receiver", step && step.parent === i);
      if (dataT[i]) dataT[i].textContent = "data " + (lit ? D.nodes[i].data4 : "?");
      if (gradT[i]) {
        var show = g[i].four !== null && !g[i].hidden;
        gradT[i].textContent = "grad " + (show ? g[i].four : "?");
        setClass(gradT[i], "hidden", !show);
        if (show) gradT[i].setAttribute("data-value", String(g[i].value));
        else gradT[i].removeAttribute("data-value");
      }
    }
    var cur = f - FIRST;
    D.edges.forEach(function (e, k) {
      var el = edgeG[k], s = stepOfEdge[k];
      setClass(el, "pending", f < e.child + 1);
      setClass(el, "fwd", f === e.child + 1);
      setClass(el, "sent", f >= DONE || (f >= FIRST && s < cur));
      setClass(el, "active", f >= FIRST && f < DONE && s === cur);
    });
    return g;
  }

  function row(id, on) { $(id).classList.toggle("off", !on); }
  function rows(list) {
    ["row-forward", "row-bind", "row-upstream", "row-local", "row-contribution", "row-grad"].forEach(function (r) {
      row(r, list.indexOf(r) >= 0);
    });
  }
  function th(id, s) { $(id).parentNode.querySelector("th").textContent = s; }

  function paintPanel(f, g) {
    var phase, what = "";
    // every frame starts from an empty panel: the DOM says this frame's facts and nothing older
    ["rule", "forward-rule", "forward-bind", "upstream-name", "upstream", "local-name", "local",
     "contribution-name", "contribution", "grad-name", "grad-before", "grad-after", "question"].forEach(function (id) {
      text(id, "");
    });
    text("feedback", ""); $("feedback").className = "";
    if (f === 0) {
      phase = "start";
      what = "Press ▶ (or →) to run the forward pass: each node lights up after its inputs.";
      rows([]);
    } else if (f <= N) {
      var i = f - 1, n = D.nodes[i];
      phase = "forward " + f + " of " + N;
      rows(n.leaf ? [] : ["row-forward", "row-bind"]);
      if (n.leaf) {
        what = "Forward: input " + n.name + " = " + n.data6 + " (a leaf: no rule, its value is given)";
      } else {
        what = "Forward: " + n.name + " = " + n.data6 + "   (" + n.op + ", " + n.symbol + ")";
        th("forward-rule", "rule");
        text("forward-rule", n.words + ": z = " + (n.z || n.op) + " = " + n.data6);
        th("forward-bind", "operands");
        text("forward-bind", n.bind.map(function (b) {
          return b[2] === "" ? b[0] + " " + b[1] : b[0] + " ← " + b[1] + " = " + b[2];
        }).join(",   "));
      }
    } else if (f === SEED) {
      phase = "backward: seed";
      what = "Backward: the seed " + d("L", name(ROOT)) + " = " + D.seed6 + " (L is " + name(ROOT) +
        "). Then every edge, in reverse topological order, adds ∂L/∂z · ∂z/∂x to its parent.";
      rows([]);
    } else if (f < DONE) {
      var k = f - FIRST, s = D.steps[k], z = name(s.child), x = name(s.parent), open = known(k);
      phase = "backward " + (k + 1) + " of " + E;
      what = "Backward step " + (k + 1) + ": " + z + " → " + x + "   (" + z + " sends gradient to its parent " + x + ")";
      rows(["row-upstream", "row-local", "row-contribution", "row-grad"]);
      var upKnown = !g[s.child].hidden;
      var beforeKnown = true;
      for (var j = 0; j < k; j++) if (D.steps[j].parent === s.parent && !known(j)) beforeKnown = false;
      // the rule's own variables: this edge's parent is its operand y (say), so ∂z/∂y
      $("row-local").querySelector("th").textContent = "local ∂z/∂" + D.edges[s.edge].arg;
      text("upstream-name", d("L", z));
      text("upstream", upKnown ? s.text.upstream : "?");
      text("local-name", d(z, x));
      text("local", open ? s.text.local : "?");
      if ((open || wrong[k]) && (HINTS || !quiz || resolved[k])) text("rule", ruleText(s, open));
      text("contribution-name", d("L", z) + " · " + d(z, x) + " = " +
        (upKnown ? s.text.upstream : "?") + " · " + (open ? s.text.local : "?"));
      text("contribution", open ? s.text.contribution : "?");
      text("grad-name", d("L", x));
      text("grad-before", beforeKnown ? s.text.before : "?");
      text("grad-after", open ? s.text.after : "?");
      if (quiz) {
        var ask = $("ask").value === "after";
        text("question", (ask ? d("L", x) + " after this step" : d("L", z) + " · " + d(z, x)) + " = ");
        if (wrong[k] && !resolved[k]) {
          $("feedback").className = "wrong";
          text("feedback", HINTS ? "Not quite. The rule: " + ruleText(s, false) +
            ". The contribution is ∂L/∂z · ∂z/∂x; the parent's new gradient is its gradient before plus the contribution."
            : "Not quite: try again, or reveal.");
        } else if (resolved[k]) {
          $("feedback").className = "right";
          text("feedback", revealed[k] ? "Revealed (no point)." : scored[k] ? "Right!" : "Right (on a second try: no point).");
        }
      }
    } else {
      phase = "done";
      var leaves = [];
      D.nodes.forEach(function (n, i) { if (n.leaf) leaves.push(i); });
      what = "Done: every edge has carried its gradient; the gradients of " + name(ROOT) + ":";
      if (quiz) {
        var left = 0;
        for (var q = 0; q < E; q++) if (!attempted[q] && SKIP.indexOf(q) < 0) left++;
        what += "   Quiz score: " + score() + " of " + ASKED + (countRevealed() ? " (" + countRevealed() + " revealed)" : "") +
          (left ? "; " + left + " of " + ASKED + " steps left unanswered" : "; every step answered");
      }
      rows(["row-forward"].concat(leaves.some(function (i) { return D.nodes[i].held; }) ? ["row-bind"] : []));
      th("forward-rule", "gradients");
      var shown = leaves.slice(0, 16).map(function (i) {
        return d(name(ROOT), name(i)) + " = " + (g[i].hidden ? "?" : D.nodes[i].final6);
      });
      if (leaves.length > 16) shown.push("… " + (leaves.length - 16) + " more");
      text("forward-rule", shown.join(",   "));
      th("forward-bind", "accumulation");
      text("forward-bind", leaves.filter(function (i) { return D.nodes[i].held; }).map(function (i) {
        var n = D.nodes[i];
        return n.name + " held " + n.held6 + " before this pass: backward() adds to it, giving " + n.accumulated6;
      }).join(";   "));
    }
    text("what", what);
    text("phase", phase);
    text("frame-text", f + " / " + DONE);
    text("score", quiz ? "score " + score() + " / " + ASKED : "");
    var onEdge = f >= FIRST && f < DONE;
    $("answer").disabled = $("check").disabled = !onEdge || resolved[f - FIRST];
    $("reveal").disabled = !(onEdge ? !resolved[f - FIRST] : f === DONE);
    $("question").style.visibility = onEdge ? "visible" : "hidden";
  }

  function score() { return scored.filter(Boolean).length; }
  function countRevealed() { return revealed.filter(Boolean).length; }

  function follow(step) {
    if (!step || document.body.classList.contains("fit") || document.body.classList.contains("focus")) return;
    var el = valueG[step.parent];
    if (!el) return;
    var r = el.getBoundingClientRect(), c = graph.getBoundingClientRect();
    if (r.left < c.left) graph.scrollLeft -= c.left - r.left + 20;
    else if (r.right > c.right) graph.scrollLeft += r.right - c.right + 20;
    if (r.top < c.top) graph.scrollTop -= c.top - r.top + 20;
    else if (r.bottom > c.bottom) graph.scrollTop += r.bottom - c.bottom + 20;
  }

  // ---- the focus view: the current step's neighbourhood, text at least MIN_TEXT_PX -------------
  // Graphviz's SVG is in points (1 user unit = 1 pt = 4/3 px at natural size); the smallest text
  // is an edge label's 10 pt, so a scale of s px per unit draws it at 10·s px.
  var MIN_TEXT_PX = 11, SMALLEST_PT = 10, PAD = 24;
  var fullBox = svg.getAttribute("viewBox");
  var natural = { w: parseFloat(svg.getAttribute("width")), h: parseFloat(svg.getAttribute("height")) };
  function boxIn(el) {  // el's bounding box in the svg's viewBox coordinates
    var b = el.getBBox(), m = svg.getScreenCTM().inverse().multiply(el.getScreenCTM());
    var xs = [], ys = [];
    [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]].forEach(function (c) {
      var p = svg.createSVGPoint(); p.x = c[0]; p.y = c[1]; p = p.matrixTransform(m); xs.push(p.x); ys.push(p.y);
    });
    return { x0: Math.min.apply(null, xs), y0: Math.min.apply(null, ys), x1: Math.max.apply(null, xs), y1: Math.max.apply(null, ys) };
  }
  function near(f) {  // what the frame is about: the step's edge and its three nodes, or the node lit
    var els = [];
    var step = f >= FIRST && f < DONE ? D.steps[f - FIRST] : null;
    if (step) els = [valueG[step.child], opG[step.child], valueG[step.parent], edgeG[step.edge], outG[step.child]];
    else if (f >= 1 && f <= N) els = [valueG[f - 1], opG[f - 1], outG[f - 1]];
    else if (f === SEED) els = [valueG[ROOT]];
    return els.filter(Boolean);
  }
  function focusOn(f) {
    svg.querySelectorAll(".near").forEach(function (el) { el.classList.remove("near"); });
    if (!document.body.classList.contains("focus")) { svg.setAttribute("viewBox", fullBox); return; }
    svg.setAttribute("viewBox", fullBox);
    var els = near(f);
    var view = graph.getBoundingClientRect();
    var vw = Math.max(view.width, 50), vh = Math.max(view.height, 50);
    var full = fullBox.split(/[\s,]+/).map(Number);
    var r = { x0: full[0], y0: full[1], x1: full[0] + full[2], y1: full[1] + full[3] };
    if (els.length) {
      els.forEach(function (el) { el.classList.add("near"); });
      var bs = els.map(boxIn);
      r = { x0: Math.min.apply(null, bs.map(function (b) { return b.x0; })) - PAD,
            y0: Math.min.apply(null, bs.map(function (b) { return b.y0; })) - PAD,
            x1: Math.max.apply(null, bs.map(function (b) { return b.x1; })) + PAD,
            y1: Math.max.apply(null, bs.map(function (b) { return b.y1; })) + PAD };
    }
    // as large as fits, but never so small that text drops below MIN_TEXT_PX, nor above 2× natural
    var scale = Math.min(vw / (r.x1 - r.x0), vh / (r.y1 - r.y0), 2 * 4 / 3);
    scale = Math.max(scale, MIN_TEXT_PX / SMALLEST_PT);
    var w = vw / scale, h = vh / scale, cx = (r.x0 + r.x1) / 2, cy = (r.y0 + r.y1) / 2;
    svg.setAttribute("viewBox", [cx - w / 2, cy - h / 2, w, h].join(" "));
  }
  function fitScale() {  // px per unit of the whole picture with "fit" (at most its natural size)
    var full = fullBox.split(/[\s,]+/).map(Number);
    var natScale = (natural.w || full[2]) * 4 / 3 / full[2];
    return Math.min(natScale, Math.max(graph.clientWidth, 1) / full[2]);
  }

  function go(f) {
    frame = Math.max(0, Math.min(DONE, f | 0));
    var step = frame >= FIRST && frame < DONE ? D.steps[frame - FIRST] : null;
    var g = paintGraph(frame, step);
    paintPanel(frame, g);
    $("scrub").value = String(frame);
    document.body.setAttribute("data-frame", String(frame));
    document.body.setAttribute("data-step", step ? String(frame - FIRST + 1) : "");
    if (quiz && step && !resolved[frame - FIRST]) $("answer").value = typed[frame - FIRST];
    $("answer").classList.toggle("wrong", !!(quiz && step && !resolved[frame - FIRST] && typed[frame - FIRST]));
    focusOn(frame);
    follow(step);
  }

  // ---- playing ------------------------------------------------------------------------------
  function waiting() { return quiz && frame >= FIRST && frame < DONE && !resolved[frame - FIRST]; }
  function pause() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    text("play", "▶ play");
  }
  function tick() {
    timer = null;
    if (frame >= DONE || waiting()) { pause(); if (waiting()) $("answer").focus(); return; }
    go(frame + 1);
    if (frame >= DONE) { pause(); return; }
    timer = setTimeout(tick, DELAYS[+$("speed").value]);
  }
  function toggle() {
    if (timer !== null) { pause(); return; }
    if (frame >= DONE) go(0);
    text("play", "❚❚ pause");
    timer = setTimeout(tick, frame === 0 ? 0 : DELAYS[+$("speed").value]);
  }

  // ---- the quiz -----------------------------------------------------------------------------
  function parseAnswer(s) {
    s = s.trim().replace(/\u2212/g, "-").replace(/,/g, ".");
    var m = /^([-+]?[0-9.]+(?:e[-+]?\d+)?)\s*\/\s*([-+]?[0-9.]+(?:e[-+]?\d+)?)$/i.exec(s);
    if (m) return Number(m[1]) / Number(m[2]);
    return s === "" ? NaN : Number(s);
  }
  function check() {
    if (!(frame >= FIRST && frame < DONE)) return;
    var k = frame - FIRST, s = D.steps[k];
    if (resolved[k]) return;
    var a = parseAnswer($("answer").value);
    if (!isFinite(a)) {
      $("feedback").className = "wrong";
      text("feedback", "Type a number, e.g. 7, -0.5 or 1/2.");
      return;
    }
    var truth = $("ask").value === "after" ? s.after : s.contribution;
    var right = Math.abs(a - truth) <= TOLERANCE.abs + TOLERANCE.rel * Math.abs(truth);
    if (!attempted[k]) { attempted[k] = true; scored[k] = right; }
    if (right) resolved[k] = true; else { wrong[k] = true; typed[k] = $("answer").value; }
    go(frame);
    if (!right) {
      $("answer").focus();
      document.dispatchEvent(new CustomEvent("quiz:wrong", { detail: { step: k, answer: a, ask: $("ask").value } }));
    }
  }
  function reveal() {
    if (frame >= FIRST && frame < DONE) {
      var k = frame - FIRST;
      if (!resolved[k]) { resolved[k] = revealed[k] = true; attempted[k] = true; }
    } else if (frame === DONE) {
      for (var k2 = 0; k2 < E; k2++) if (!resolved[k2]) { resolved[k2] = revealed[k2] = true; attempted[k2] = true; }
    }
    go(frame);
  }

  // ---- wiring ---------------------------------------------------------------------------------
  $("scrub").max = String(DONE);
  $("start").addEventListener("click", function () { pause(); go(0); });
  $("back").addEventListener("click", function () { pause(); go(frame - 1); });
  $("step").addEventListener("click", function () { pause(); go(frame + 1); });
  $("end").addEventListener("click", function () { pause(); go(DONE); });
  $("play").addEventListener("click", toggle);
  $("scrub").addEventListener("input", function () { pause(); go(+$("scrub").value); });
  $("speed").addEventListener("input", function () { text("speed-text", SPEEDS[+$("speed").value]); });
  $("quiz").addEventListener("change", function () {
    quiz = $("quiz").checked;
    document.body.classList.toggle("quiz", quiz);
    go(frame);
  });
  $("fit").addEventListener("change", function () { document.body.classList.toggle("fit", $("fit").checked); });
  $("focus").addEventListener("change", function () {
    document.body.classList.toggle("focus", $("focus").checked);
    focusOn(frame);
  });
  $("ask").addEventListener("change", function () { go(frame); });
  $("check").addEventListener("click", check);
  $("reveal").addEventListener("click", reveal);
  $("answer").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); check(); }
  });
  document.addEventListener("keydown", function (ev) {
    var t = ev.target, tag = t && t.tagName;
    // typing, and controls that own these keys (a range's arrows, a checkbox's space), are theirs
    if (tag === "INPUT" && t.type !== "button" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var actions = {
      " ": toggle,
      "ArrowRight": function () { pause(); go(frame + 1); },
      "ArrowLeft": function () { pause(); go(frame - 1); },
      "Home": function () { pause(); go(0); },
      "End": function () { pause(); go(DONE); }
    };
    if (actions[ev.key]) { ev.preventDefault(); actions[ev.key](); }
  });
  // a focused button would also "click" on the space's keyup: the keydown above already acted
  document.addEventListener("keyup", function (ev) {
    if (ev.key === " " && ev.target && ev.target.tagName === "BUTTON") ev.preventDefault();
  });
  document.body.classList.toggle("fit", $("fit").checked);
  if (Q.start) $("quiz").checked = true;  // play(quiz=True): the page opens in quiz mode
  // a graph whose fitted picture would draw its smallest text under MIN_TEXT_PX opens in focus
  if (fitScale() * SMALLEST_PT < MIN_TEXT_PX) $("focus").checked = true;
  document.body.classList.toggle("focus", $("focus").checked);
  quiz = $("quiz").checked;  // a reload may keep the checkbox ticked
  document.body.classList.toggle("quiz", quiz);
  text("speed-text", SPEEDS[+$("speed").value]);
  go(0);
  document.body.setAttribute("data-ready", "1");
})();
