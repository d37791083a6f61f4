/* The big screen (大屏): draws the board, then fetches it again every data-refresh seconds and redraws
   in place (no page reload); a clock; the Fullscreen API behind a button. If a fetch fails the last
   figures stay and the status line says since when. */
(function () {
  "use strict";
  var root = document.getElementById("screen");
  if (!root || typeof echarts === "undefined") return;
  var texts = JSON.parse(document.getElementById("client-texts").textContent);
  var board = JSON.parse(document.getElementById("board-data").textContent);
  var lib = window.OneGridCharts;
  var charts = new lib.Charts(board, texts, { dark: true });
  var status = document.getElementById("refreshed");
  var seconds = Math.max(1, parseInt(root.getAttribute("data-refresh"), 10) || 60);
  var lang = document.documentElement.lang || "zh-hans";

  function hhmmss(date) { return date.toLocaleTimeString(lang, { hour12: false }); }
  function stamp(iso) { return iso.slice(11, 19); }

  charts.draw(board);

  function refresh() {
    fetch(root.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (next) {
        board = next;
        lib.figures(board);
        charts.draw(board);
        status.textContent = texts.updated.replace("{time}", stamp(board.generated_at));
        status.classList.remove("stale");
        status.setAttribute("data-count", String(parseInt(status.getAttribute("data-count"), 10) + 1));
      })
      .catch(function () {
        status.textContent = texts.stale.replace("{time}", stamp(board.generated_at));
        status.classList.add("stale");
      })
      .then(function () { window.setTimeout(refresh, seconds * 1000); });
  }
  window.setTimeout(refresh, seconds * 1000);

  var clock = document.getElementById("clock");
  function tick() {
    var now = new Date();
    clock.textContent = now.toLocaleDateString(lang) + " " + hhmmss(now);
    clock.setAttribute("datetime", now.toISOString());
  }
  tick();
  window.setInterval(tick, 1000);

  var button = document.getElementById("fullscreen");
  if (!document.fullscreenEnabled) button.hidden = true;
  button.addEventListener("click", function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen();
  });
  window.addEventListener("resize", function () { charts.resize(); });
})();
