// The counselling dashboard's charts (set-up shared in charts.js).
(() => {
  "use strict";
  const charts = window.nuanxinCharts("dashboard-data");
  if (!charts) {
    return;
  }
  const { data } = charts;
  // Level colours: the same as .level-badge-N in static/css/counseling.css.
  const LEVEL_COLOURS = ["#f0c419", "#fd7e14", "#dc3545", "#6f1d1b"];

  charts.draw("chart-cases", {
    legend: { data: data.levels, top: 0 },
    grid: { left: 40, right: 16, top: 56, bottom: 40 },
    xAxis: { type: "category", data: data.colleges, axisLabel: { interval: 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: data.levels.map((name, i) => ({
      name,
      type: "bar",
      stack: "open",
      data: data.series[i],
      itemStyle: { color: LEVEL_COLOURS[i] },
    })),
  });

  charts.draw("chart-weekly", {
    grid: { left: 40, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "category", data: data.weeks.map((d) => d.slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: data.weeklyName, type: "bar", data: data.weekly, itemStyle: { color: "#0d6efd" } }],
  });

})();
