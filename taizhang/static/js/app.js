/* taizhang pages: charts from data-chart specs. No inline scripts anywhere (strict CSP). */
(function () {
  "use strict";

  var PALETTE = ["#1d4e89", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6c757d", "#8e6cc0"];
  var TONES = { "自主可控": "#2a9d8f", "部分可控": "#e9c46a", "不可控": "#e76f51",
                "已上云": "#2a9d8f", "未上云": "#c9d3df" };
  var FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';

  function pieOption(spec) {
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0, type: "scroll" },
      series: [{
        type: "pie", radius: ["38%", "68%"], center: ["50%", "45%"],
        label: { formatter: "{b}\n{c}（{d}%）" },
        data: spec.data
      }]
    };
  }

  function barOption(spec) {
    var category = { type: "category", data: spec.categories, axisLabel: { interval: 0, width: 150, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    var series = spec.series.map(function (s, i) {
      return {
        name: s.name, type: "bar", data: s.data, stack: spec.stack ? "total" : undefined,
        itemStyle: { color: TONES[s.name] || PALETTE[i % PALETTE.length] },
        label: { show: !spec.stack || spec.series.length === 1, position: spec.horizontal ? "right" : "top" },
        barMaxWidth: 36
      };
    });
    return {
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: spec.series.length > 1 ? { bottom: 0 } : undefined,
      grid: { left: 8, right: 40, top: 16, bottom: spec.series.length > 1 ? 36 : 8, containLabel: true },
      xAxis: spec.horizontal ? value : category,
      yAxis: spec.horizontal ? category : value,
      series: series
    };
  }

  var charts = [];

  function initCharts(root) {
    if (typeof window.echarts === "undefined") { return; }
    var nodes = (root || document).querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(nodes, function (node) {
      if (node.getAttribute("data-chart-ready")) { return; }
      var spec;
      try { spec = JSON.parse(node.getAttribute("data-chart")); } catch (e) { return; }
      var chart = window.echarts.init(node, null, { renderer: "canvas" });
      chart.setOption(spec.kind === "pie" ? pieOption(spec) : barOption(spec));
      node.setAttribute("data-chart-ready", "1");
      charts.push(chart);
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });

  document.addEventListener("DOMContentLoaded", function () { initCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { initCharts(event.target); });
})();
