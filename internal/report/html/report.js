"use strict";
// Filters the findings table by rule, severity, status and subscription.
// Works offline: it reads the data-* attributes of each row and toggles the
// rows' hidden attribute; it loads nothing.
(function () {
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  var shown = document.getElementById("shown");
  function apply() {
    var want = {};
    selects.forEach(function (s) { want[s.getAttribute("data-filter")] = s.value; });
    var n = 0;
    rows.forEach(function (r) {
      var ok = Object.keys(want).every(function (k) {
        return want[k] === "" || r.getAttribute("data-" + k) === want[k];
      });
      r.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = String(n);
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  var reset = document.getElementById("reset");
  if (reset) {
    reset.addEventListener("click", function () {
      selects.forEach(function (s) { s.value = ""; });
      apply();
    });
  }
  apply();
})();
