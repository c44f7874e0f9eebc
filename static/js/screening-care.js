// Screening over time (the care file and the student's own history) and the campaign summary's comparison.
// The numbers come from json_script elements (no inline script: CSP) and are also in the tables beside them.
(() => {
  "use strict";

  // One line per questionnaire, each in its own chart: the care file draws the band zones behind the line,
  // the student's own history draws none (no band names for the student).
  const drawTrend = (sourceId) => {
    const charts = window.nuanxinCharts(sourceId);
    if (!charts) {
      return;
    }
    const { data } = charts;
    data.series.forEach((series) => {
      const zones = series.zones.map((zone) => [
        { yAxis: zone.from - 0.5, name: zone.label, itemStyle: { color: zone.color } },
        { yAxis: zone.to + 0.5 },
      ]);
      charts.draw(`chart-trend-${series.code}`, {
        grid: { left: 40, right: 16, top: 24, bottom: 48 },
        xAxis: { type: "time", axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", min: 0, max: series.max, minInterval: 1 },
        series: [
          {
            name: `${series.name} ${data.scoreName}`,
            type: "line",
            data: series.points,
            symbolSize: 8,
            itemStyle: { color: "#0d6efd" },
            markArea: zones.length
              ? { silent: true, label: { position: "insideRight", color: "#495057", fontSize: 11 }, data: zones }
              : undefined,
          },
        ],
      });
    });
  };

  drawTrend("screening-trend-data");
  drawTrend("screening-history-data");

  const summary = window.nuanxinCharts("screening-summary-data");
  if (summary) {
    const { data } = summary;
    summary.draw("chart-summary", {
      legend: { data: [data.nowName, data.thenName], top: 0 },
      grid: { left: 40, right: 16, top: 40, bottom: 96 },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 40 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: data.nowName, type: "bar", data: data.now, itemStyle: { color: "#0d6efd" } },
        { name: data.thenName, type: "bar", data: data.then, itemStyle: { color: "#adb5bd" } },
      ],
    });
  }
})();
