/* OneGrid dashboards: the charts of a board (the figures built by web/centre/dashboard.py), for the
   dashboard page and the big screen. Every label comes from the server in the page's language. */
(function () {
  "use strict";
  var RATES = ["response_rate", "on_time_resolution_rate", "resolution_rate", "satisfaction_rate"];
  var MAX_BARS = 30;

  function percent(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function hours(v) { return v === null || v === undefined ? "—" : v.toFixed(1); }

  function Charts(board, texts, options) {
    this.texts = texts;
    this.dark = !!options.dark;
    this.onArea = options.onArea || null;
    this.instances = {};
    this.board = board;
  }

  Charts.prototype.chart = function (id) {
    var el = document.getElementById(id);
    if (!el) return null;
    if (!this.instances[id]) {
      this.instances[id] = echarts.init(el, this.dark ? "dark" : null, { renderer: "svg" });
    }
    return this.instances[id];
  };

  Charts.prototype.base = function () {
    var size = this.dark ? 18 : 12;
    return {
      backgroundColor: "transparent",
      textStyle: { fontFamily: "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, sans-serif", fontSize: size },
      animation: !this.dark,
      tooltip: { trigger: "item" }
    };
  };

  Charts.prototype.set = function (id, option, count) {
    var chart = this.chart(id);
    if (!chart) return;
    var base = this.base();
    for (var k in base) if (!(k in option)) option[k] = base[k];
    if (!count) {
      option = { backgroundColor: "transparent", title: { text: this.texts.noData, left: "center", top: "middle",
        textStyle: { fontSize: this.dark ? 22 : 14, fontWeight: "normal", color: this.dark ? "#9fb3c8" : "#535f6d" } } };
    }
    chart.setOption(option, true);
    chart.getDom().setAttribute("data-drawn", String(count));
  };

  Charts.prototype.draw = function (board) {
    var self = this, t = this.texts, big = this.dark ? 18 : 12;
    this.board = board;
    this.set("chart-channels", {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      series: [{ type: "pie", name: t.matters, radius: ["35%", "68%"], label: { fontSize: big },
        data: board.channels.map(function (r) { return { name: r.label, value: r.n }; }) }]
    }, board.channels.length);

    var cats = board.categories.slice(0, 10).reverse();
    this.set("chart-categories", {
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: cats.map(function (r) { return r.label; }), axisLabel: { interval: 0, fontSize: big } },
      series: [{ type: "bar", name: t.matters, data: cats.map(function (r) { return r.n; }) }]
    }, cats.length);

    this.set("chart-trend", {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: board.days.map(function (r) { return r.day; }), axisLabel: { fontSize: big } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", name: t.matters, smooth: true, showSymbol: board.days.length <= 31,
        areaStyle: { opacity: 0.15 }, data: board.days.map(function (r) { return r.n; }) }]
    }, board.days.length);

    var kids = board.children.slice(0, MAX_BARS);
    this.set("chart-children", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v.toFixed(1) + "%"; } },
      legend: { top: 0, textStyle: { fontSize: big } },
      grid: { left: 8, right: 16, top: this.dark ? 48 : 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: kids.map(function (r) { return r.label; }),
        axisLabel: { interval: 0, rotate: kids.length > 8 ? 30 : 0, fontSize: big } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: RATES.map(function (rate) {
        return { type: "bar", name: t.rates[rate], cursor: self.onArea ? "pointer" : "default",
          data: kids.map(function (r) { return r[rate] === null ? null : Math.round(r[rate] * 1000) / 10; }) };
      })
    }, kids.length);
    var children = this.chart("chart-children");
    if (children && this.onArea) {
      children.off("click");
      children.on("click", function (e) {
        var row = self.board.children[e.dataIndex];
        if (row) self.onArea(row);
      });
    }

    var orgs = board.organisations.slice(0, 10).reverse();
    this.set("chart-organisations", {
      tooltip: { trigger: "axis" },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: orgs.map(function (r) { return r.label; }),
        axisLabel: { interval: 0, fontSize: big, width: this.dark ? 260 : 180, overflow: "truncate" } },
      series: [{ type: "bar", name: t.matters, data: orgs.map(function (r) { return r.total; }) }]
    }, orgs.length);
  };

  Charts.prototype.resize = function () {
    for (var id in this.instances) this.instances[id].resize();
  };

  /* The headline figures (elements with data-figure="name") from a board. */
  function figures(board) {
    var nodes = document.querySelectorAll("[data-figure]");
    for (var i = 0; i < nodes.length; i++) {
      var name = nodes[i].getAttribute("data-figure"), v = board.figures[name];
      nodes[i].textContent = /rate|share/.test(name) ? percent(v) : name.indexOf("hours") >= 0 ? hours(v) : String(v);
    }
  }

  window.OneGridCharts = { Charts: Charts, figures: figures, percent: percent };
})();
