// The aid dashboard's charts (set-up shared in charts.js).
(() => {
  "use strict";
  const charts = window.nuanxinCharts("aid-dashboard-data");
  if (!charts) {
    return;
  }
  const { data } = charts;
  const TIER_COLOURS = ["#6f42c1", "#0d6efd", "#20c997"];

  charts.draw("chart-tiers", {
    legend: { data: data.tiers, top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 40 },
    xAxis: { type: "category", data: data.colleges, axisLabel: { interval: 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: data.tiers.map((name, i) => ({
      name,
      type: "bar",
      stack: "tiers",
      data: data.tierSeries[i],
      itemStyle: { color: TIER_COLOURS[i] },
    })),
  });

  charts.draw("chart-party", {
    grid: { left: 64, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "category", data: data.parties },
    yAxis: { type: "value" },
    series: [{ name: data.amountName, type: "bar", data: data.partyAmounts, itemStyle: { color: "#198754" } }],
  });

  charts.draw("chart-coverage", {
    grid: { left: 40, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "category", data: data.aids, axisLabel: { interval: 0 } },
    yAxis: { type: "value", max: 100 },
    series: [{ name: data.coverageName, type: "bar", data: data.coverage, itemStyle: { color: "#fd7e14" } }],
  });

})();
