// Live countdown to a deadline: every element with data-deadline="<ISO time>" shows the time left,
// updated every second ("已超过报告期限 …" once it has passed). Loaded by the incident page only.
(function () {
  "use strict";
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function describe(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var text = (d ? d + " 天 " : "") + two(h) + ":" + two(m) + ":" + two(s % 60);
    return ms >= 0 ? "距报告期限还有 " + text : "已超过报告期限 " + text;
  }
  function tick() {
    var nodes = document.querySelectorAll("[data-deadline]");
    for (var i = 0; i < nodes.length; i++) {
      var due = Date.parse(nodes[i].getAttribute("data-deadline"));
      if (isNaN(due)) { continue; }
      var left = due - Date.now();
      nodes[i].textContent = describe(left);
      nodes[i].classList.toggle("overdue", left < 0);
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.querySelector("[data-deadline]")) { return; }
    tick();
    window.setInterval(tick, 1000);
  });
})();
