(function () {
  "use strict";
  var steps = document.querySelectorAll("section.step");
  var links = document.querySelectorAll("#steplist a");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var pos = document.getElementById("pos");
  var cur = 0;
  document.documentElement.classList.add("js");

  // show makes step i (from 0) the current one and records it in the URL.
  function show(i) {
    if (steps.length === 0) {
      prev.disabled = next.disabled = true;
      return;
    }
    cur = Math.max(0, Math.min(steps.length - 1, i));
    for (var j = 0; j < steps.length; j++) {
      steps[j].classList.toggle("current", j === cur);
      if (j === cur) {
        links[j].setAttribute("aria-current", "step");
      } else {
        links[j].removeAttribute("aria-current");
      }
    }
    prev.disabled = cur === 0;
    next.disabled = cur === steps.length - 1;
    pos.textContent = "step " + (cur + 1) + " of " + steps.length;
    var hash = "#" + (cur + 1);
    if (location.hash !== hash) {
      history.replaceState(null, "", hash);
    }
  }

  // fromHash is the step the URL names, from 0.
  function fromHash() {
    var n = parseInt(location.hash.slice(1), 10);
    return isNaN(n) ? 0 : n - 1;
  }

  prev.addEventListener("click", function () { show(cur - 1); });
  next.addEventListener("click", function () { show(cur + 1); });
  Array.prototype.forEach.call(links, function (a, i) {
    a.addEventListener("click", function (e) { e.preventDefault(); show(i); });
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) {
      return;
    }
    if (e.key === "ArrowLeft") {
      show(cur - 1);
      e.preventDefault();
    } else if (e.key === "ArrowRight") {
      show(cur + 1);
      e.preventDefault();
    }
  });
  window.addEventListener("hashchange", function () { show(fromHash()); });

  // selftest drives the controls through every step, checks after each
  // that exactly the expected step is shown, drawn, listed and in the URL,
  // and appends the verdict as #selftest-result.
  function selftest() {
    var problems = [];
    function expect(i, how) {
      var shown = [];
      for (var j = 0; j < steps.length; j++) {
        if (getComputedStyle(steps[j]).display !== "none") {
          shown.push(j + 1);
        }
      }
      if (shown.length !== 1 || shown[0] !== i + 1) {
        problems.push(how + ": showing step(s) [" + shown.join(",") + "], want " + (i + 1));
      }
      if (location.hash !== "#" + (i + 1)) {
        problems.push(how + ": URL hash " + location.hash + ", want #" + (i + 1));
      }
      if (links[i].getAttribute("aria-current") !== "step") {
        problems.push(how + ": the step list does not mark step " + (i + 1));
      }
      var svg = steps[i].querySelector("svg.state");
      if (!svg || svg.getBoundingClientRect().width === 0 || svg.querySelectorAll("rect").length === 0) {
        problems.push(how + ": step " + (i + 1) + " draws no picture");
      }
    }
    function key(k) {
      document.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    }
    var n = steps.length;
    if (n > 0) {
      show(0);
      expect(0, "start");
      for (var i = 1; i < n; i++) {
        next.click();
        expect(i, "Next");
      }
      if (!next.disabled) {
        problems.push("Next is enabled at the last step");
      }
      for (i = n - 2; i >= 0; i--) {
        prev.click();
        expect(i, "Prev");
      }
      key("ArrowRight");
      expect(Math.min(1, n - 1), "ArrowRight");
      key("ArrowLeft");
      expect(0, "ArrowLeft");
      links[n - 1].click();
      expect(n - 1, "step list");
    }
    var all = window.pageErrors.concat(problems);
    var out = document.createElement("output");
    out.id = "selftest-result";
    out.textContent = (all.length === 0 ? "PASS " : "FAIL ") + n + " steps" + (all.length ? ": " + all.join("; ") : "");
    document.body.appendChild(out);
  }

  if (location.hash === "#selftest") {
    selftest();
  } else {
    show(fromHash());
  }
})();
