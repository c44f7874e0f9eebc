// The aid dashboard's charts. The page embeds its numbers with json_script (no inline script: CSP); the
// tables on the page hold the same numbers, so nothing is lost when this does not run.
(() => {
  "use strict";
  const source = document.getElementById("aid-dashboard-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const TIER_COLOURS = ["#6f42c1", "#0d6efd", "#20c997"];
  const charts = [];

  function draw(id, option) {
    const el = document.getElementById(id);
    if (!el) {
      return;
    }
    const chart = window.echarts.init(el, null, { renderer: "canvas" });
    // richText tooltips are drawn on the canvas: HTML tooltips would need inline styles the CSP refuses.
    chart.setOption({ tooltip: { trigger: "axis", renderMode: "richText" }, ...option });
    charts.push(chart);
  }

  draw("chart-tiers", {
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

  draw("chart-party", {
    grid: { left: 64, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "category", data: data.parties },
    yAxis: { type: "value" },
    series: [{ name: data.amountName, type: "bar", data: data.partyAmounts, itemStyle: { color: "#198754" } }],
  });

  draw("chart-coverage", {
    grid: { left: 40, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "category", data: data.aids, axisLabel: { interval: 0 } },
    yAxis: { type: "value", max: 100 },
    series: [{ name: data.coverageName, type: "bar", data: data.coverage, itemStyle: { color: "#fd7e14" } }],
  });

  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
