window.pageErrors = [];
window.addEventListener("error", function (e) { window.pageErrors.push("uncaught: " + e.message); });
window.addEventListener("unhandledrejection", function (e) { window.pageErrors.push("unhandled rejection: " + e.reason); });
(function () {
  var orig = console.error;
  console.error = function () {
    window.pageErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return orig.apply(console, arguments);
  };
})();
