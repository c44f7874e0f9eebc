// Shared chart set-up for the dashboards. A page embeds its numbers with json_script (no inline script:
// CSP) and keeps the same numbers in tables, so nothing is lost when charts cannot be drawn.
// Usage: const charts = window.nuanxinCharts("data-element-id"); if (charts) charts.draw("chart-id", {...});
window.nuanxinCharts = (sourceId) => {
  "use strict";
  const source = document.getElementById(sourceId);
  if (!source || typeof window.echarts === "undefined") {
    return null;
  }
  const drawn = [];
  // People who ask their system for less motion get the finished chart at once; so do screenshots (the
  // browser journeys emulate reduced motion), which would otherwise catch the bars growing from the axis.
  const stillCharts = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  window.addEventListener("resize", () => drawn.forEach((chart) => chart.resize()));
  return {
    data: JSON.parse(source.textContent),
    draw(id, option) {
      const el = document.getElementById(id);
      if (!el) {
        return;
      }
      const chart = window.echarts.init(el, null, { renderer: "canvas" });
      // richText tooltips are drawn on the canvas: HTML tooltips would need inline styles the CSP refuses.
      chart.setOption({
        animation: !stillCharts,
        tooltip: { trigger: "axis", renderMode: "richText" },
        ...option,
      });
      drawn.push(chart);
    },
  };
};
