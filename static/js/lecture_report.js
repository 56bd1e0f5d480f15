// The outreach report's charts (ECharts, vendored). Figures come from the page's json_script
// blocks; series names come translated from the chart elements' data- attributes.
(function () {
  "use strict";
  var months = JSON.parse(document.getElementById("data-month").textContent);
  var scenes = JSON.parse(document.getElementById("data-scene").textContent);
  var monthElement = document.getElementById("chart-month");
  var sceneElement = document.getElementById("chart-scene");
  if (!window.echarts || !monthElement || !sceneElement) { return; }
  var red = "#b3191e";
  var lectures = monthElement.dataset.labelLectures, audience = monthElement.dataset.labelAudience;
  // Tooltips drawn on the canvas: ECharts' HTML tooltips carry style attributes the CSP refuses.
  var monthChart = echarts.init(monthElement);
  monthChart.setOption({
    animation: false, tooltip: {trigger: "axis", renderMode: "richText"}, grid: {left: 40, right: 40, top: 30, bottom: 30},
    legend: {data: [lectures, audience]},
    xAxis: {type: "category", data: months.map(function (m) { return m.label; })},
    yAxis: [{type: "value", minInterval: 1}, {type: "value"}],
    series: [
      {name: lectures, type: "bar", data: months.map(function (m) { return m.lectures; }), itemStyle: {color: red}},
      {name: audience, type: "line", yAxisIndex: 1, data: months.map(function (m) { return m.audience; }), itemStyle: {color: "#d9a400"}}
    ]
  });
  var sceneChart = echarts.init(sceneElement);
  sceneChart.setOption({
    animation: false, tooltip: {trigger: "item", renderMode: "richText"},
    series: [{type: "pie", radius: ["35%", "65%"], data: scenes.map(function (s) { return {name: s.scene, value: s.lectures}; }),
      label: {formatter: "{b}\n{c}"}}]
  });
  window.addEventListener("resize", function () { monthChart.resize(); sceneChart.resize(); });
}());
