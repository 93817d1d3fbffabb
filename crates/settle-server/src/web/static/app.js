// Settle's only script: keyboard work on lists and confirmation of money actions. The pages
// work without it; it only saves keystrokes.
(function () {
  "use strict";
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); };
  var current = -1;
  function select(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    all[current].scrollIntoView({ block: "nearest" });
  }
  function submitSelected(action) {
    var row = rows()[current];
    if (!row) { return; }
    var form = row.querySelector("form[data-action='" + action + "']");
    if (form) { form.requestSubmit(); }
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "a": submitSelected("accept"); break;
      case "r": submitSelected("reject"); break;
      case "Enter": {
        var row = rows()[current];
        var link = row && row.querySelector("a[data-open]");
        if (link) { window.location.href = link.href; }
        break;
      }
      case "/": {
        var search = document.querySelector("input[type=search]");
        if (search) { event.preventDefault(); search.focus(); }
        break;
      }
      case "?": {
        var help = document.getElementById("help");
        if (help) { help.classList.toggle("open"); }
        break;
      }
      default: return;
    }
  });
  if (rows().length) { select(0); }
})();
