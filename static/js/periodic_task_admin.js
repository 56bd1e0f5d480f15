// The periodic task form of the admin (django-celery-beat): under the crontab field, the chosen
// schedule in words. Replaces the package's inline script, which the Content-Security-Policy refuses.
(function () {
  "use strict";
  var script = document.currentScript;
  var data = document.getElementById("readable-crontabs");
  if (!window.django || !django.jQuery || !data) { return; }
  var $ = django.jQuery;
  var readable = JSON.parse(data.textContent);
  $(".field-crontab_translation").hide();
  $(".field-crontab").on("change", function () {
    var words = readable[$("#id_crontab").val()] || "";
    $(".field-crontab .help").text(script.dataset.helpText).append($("<br>"))
      .append(document.createTextNode(script.dataset.label + " " + words));
  });
}());
