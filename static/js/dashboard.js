// Dashboard charts (ECharts, vendored). Data comes from the page's json_script block; series
// names come translated from the chart elements' data- attributes.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var red = "#c8161d", grey = "#d6d9dd";
  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) { return null; }
    var instance = echarts.init(element);
    option.animation = false;  // screenshots and big screens: draw once, no motion
    // Tooltips drawn on the canvas: ECharts' HTML tooltips carry style attributes the CSP refuses.
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    instance.setOption(option);
    window.addEventListener("resize", function () { instance.resize(); });
    return instance;
  }
  function label(id, name) {
    var element = document.getElementById(id);
    return element ? element.getAttribute("data-label-" + name) : "";
  }
  var children = chart("chart-children", {
    tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
    xAxis: { type: "category", data: data.children, axisLabel: { interval: 0, rotate: data.children.length > 6 ? 35 : 0 } },
    yAxis: { type: "value" },
    series: [
      { name: label("chart-children", "reached"), type: "bar", stack: "m", data: data.children_reached, itemStyle: { color: red } },
      { name: label("chart-children", "not-reached"), type: "bar", stack: "m", data: data.children_not_reached, itemStyle: { color: grey } }
    ]
  });
  if (children) {
    children.on("click", function (params) {
      var url = new URL(window.location.href);
      url.searchParams.set("org", data.children_ids[params.dataIndex]);
      window.location.href = url.toString();
    });
  }
  chart("chart-categories", {
    tooltip: { trigger: "axis" }, legend: { top: 0 },
    grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
    xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0 } },
    yAxis: { type: "value" },
    series: [
      { name: label("chart-categories", "members"), type: "bar", data: data.category_total, itemStyle: { color: grey } },
      { name: label("chart-categories", "reached"), type: "bar", data: data.category_reached, itemStyle: { color: red } }
    ]
  });
  chart("chart-months", {
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 8, bottom: 8, top: 16, containLabel: true },
    xAxis: { type: "category", data: data.months }, yAxis: { type: "value" },
    series: [{ type: "line", data: data.month_person_times, smooth: true, itemStyle: { color: red }, areaStyle: { opacity: 0.12 } }]
  });
  chart("chart-channels", {
    tooltip: { trigger: "item" }, legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["40%", "68%"], data: data.channels, label: { formatter: "{b}\n{d}%" } }]
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = document.querySelector(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(function () { button.classList.add("btn-success"); });
    });
  });
}());
