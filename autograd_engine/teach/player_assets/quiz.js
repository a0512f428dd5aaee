// The quiz's diagnosis. Each wrong answer is compared with what a student holding each known
// misconception answers at that step: those numbers are computed in Python
// (teach/misconceptions.py, replayed through mutated rows of the rule table) and carried in the
// page's data, so the page only compares. Once a misconception explains enough of the wrong
// answers (quiz.afterWrong of them, or every step where it could show), it is named, with the
// smallest graph where it fails. The player (player.js) announces a wrong answer with the
// document event "quiz:wrong" {step, answer, ask}.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("player-data").textContent);
  var Q = D.quiz || {}, M = Q.misconceptions || {}, NAMES = Object.keys(M);
  var TOLERANCE = { abs: 1e-4, rel: 5e-3 };  // the player's: an answer within 0.5 % (or 1e-4)
  var skip = {};
  (Q.skip || []).forEach(function (k) { skip[k] = true; });
  var fits = {};  // misconception -> {step: true} where a wrong answer was its answer
  NAMES.forEach(function (n) { fits[n] = {}; });

  var box = document.createElement("div");
  box.id = "diagnosis";
  box.setAttribute("aria-live", "polite");
  // below the graph, not in the panel: the panel's height is fixed (the graph never moves) and
  // a diagnosis at its bottom would be scrolled out of sight
  var footer = document.querySelector("footer");
  footer.parentNode.insertBefore(box, footer);

  function same(a, b) { return Math.abs(a - b) <= TOLERANCE.abs + TOLERANCE.rel * Math.abs(b); }
  function count(o) { return Object.keys(o).length; }
  // the asked steps where misconception n's answer differs from the right one (in this mode)
  function chances(n, ask) {
    var c = 0;
    D.steps.forEach(function (s, k) { if (!skip[k] && !same(M[n][ask][k], s[ask])) c++; });
    return c;
  }

  document.addEventListener("quiz:wrong", function (ev) {
    var k = ev.detail.step, a = ev.detail.answer, ask = ev.detail.ask === "after" ? "after" : "contribution";
    NAMES.forEach(function (n) {
      if (same(a, M[n][ask][k]) && !same(M[n][ask][k], D.steps[k][ask])) fits[n][k] = true;
    });
    var best = null;
    NAMES.forEach(function (n) { if (count(fits[n]) && (best === null || count(fits[n]) > count(fits[best]))) best = n; });
    if (best === null || count(fits[best]) < Math.min(Q.afterWrong || 2, chances(best, ask))) return;
    var m = M[best];
    box.textContent = "These wrong answers fit a known misconception (" + best.replace(/_/g, " ") + "): " +
      m.description + ".\nThe smallest graph where it fails: " + m.example + ".";
    document.body.setAttribute("data-misconception", best);
  });
})();
