// The screening campaign dashboard's chart. The page embeds its numbers with json_script (no inline
// script: CSP); the table on the page holds the same numbers, so nothing is lost when this does not run.
(() => {
  "use strict";
  const source = document.getElementById("screening-campaign-data");
  const el = document.getElementById("chart-completion");
  if (!source || !el || typeof window.echarts === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    // richText tooltips are drawn on the canvas: HTML tooltips would need inline styles the CSP refuses.
    tooltip: { trigger: "axis", renderMode: "richText" },
    legend: { data: [data.completedName, data.remainingName], top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 64 },
    xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: data.completedName, type: "bar", stack: "students", data: data.completed, itemStyle: { color: "#198754" } },
      { name: data.remainingName, type: "bar", stack: "students", data: data.remaining, itemStyle: { color: "#adb5bd" } },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
})();
