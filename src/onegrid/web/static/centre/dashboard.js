/* The dashboard page: draws its charts from the board embedded in the page; a bar of the rates by
   area opens that area's dashboard (the drill-down). The tables stay for those who want the numbers. */
(function () {
  "use strict";
  var data = document.getElementById("board-data");
  if (!data || typeof echarts === "undefined") return;
  var board = JSON.parse(data.textContent);
  var texts = JSON.parse(document.getElementById("client-texts").textContent);
  var charts = new window.OneGridCharts.Charts(board, texts, {
    dark: false,
    onArea: function (row) { window.location.assign(row.url); }
  });
  charts.draw(board);
  var tables = document.querySelectorAll("details.as-table");
  for (var i = 0; i < tables.length; i++) tables[i].removeAttribute("open");
  window.addEventListener("resize", function () { charts.resize(); });
})();
