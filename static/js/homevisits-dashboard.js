// The home-visit year summary's charts (set-up shared in charts.js). Bars: no licence-clean China
// geoJSON is shipped, so provinces and prefectures are bars; the same numbers are in the tables.
(() => {
  "use strict";
  const charts = window.nuanxinCharts("homevisits-dashboard-data");
  if (!charts) {
    return;
  }
  const { data } = charts;
  const bars = (id, labels, values, name, colour) =>
    charts.draw(id, {
      grid: { left: 40, right: 16, top: 24, bottom: 60 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name, type: "bar", data: values, itemStyle: { color: colour } }],
    });
  bars("chart-provinces", data.provinces, data.provinceCounts, data.visitsName, "#0d6efd");
  bars("chart-prefectures", data.prefectures, data.prefectureCounts, data.visitsName, "#20c997");
  bars("chart-needs", data.needs, data.needCounts, data.needsName, "#fd7e14");
})();
