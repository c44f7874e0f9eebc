// The screening campaign dashboard's chart (set-up shared in charts.js).
(() => {
  "use strict";
  const charts = window.nuanxinCharts("screening-campaign-data");
  if (!charts) {
    return;
  }
  const { data } = charts;
  charts.draw("chart-completion", {
    legend: { data: [data.completedName, data.remainingName], top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 64 },
    xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: data.completedName, type: "bar", stack: "students", data: data.completed, itemStyle: { color: "#198754" } },
      { name: data.remainingName, type: "bar", stack: "students", data: data.remaining, itemStyle: { color: "#adb5bd" } },
    ],
  });
})();
