// The counselling dashboard's charts. The page embeds its numbers with json_script (no inline script: CSP);
// the tables on the page hold the same numbers, so nothing is lost when this does not run.
(() => {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  // Level colours: the same as .level-badge-N in static/css/counseling.css.
  const LEVEL_COLOURS = ["#f0c419", "#fd7e14", "#dc3545", "#6f1d1b"];
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

  draw("chart-cases", {
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

  draw("chart-weekly", {
    grid: { left: 40, right: 16, top: 24, bottom: 40 },
    xAxis: { type: "category", data: data.weeks.map((d) => d.slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: data.weeklyName, type: "bar", data: data.weekly, itemStyle: { color: "#0d6efd" } }],
  });

  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();
