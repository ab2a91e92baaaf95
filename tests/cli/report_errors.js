// Put by test_report_browser.sh at the top of a copy of an xrdid report's head: records every
// script error and console.error message in window.__reportErrors for report_probe.js.
window.__reportErrors = [];
window.addEventListener("error", function (e) { window.__reportErrors.push("error: " + e.message); });
window.addEventListener("unhandledrejection", function (e) { window.__reportErrors.push("rejection: " + e.reason); });
(function () {
  var original = console.error;
  console.error = function () {
    window.__reportErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
