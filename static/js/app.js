// Small behaviours for every page, in place of inline handlers (the Content-Security-Policy
// allows no inline script). Delegated from the document, so content swapped in by htmx works too.
//   data-confirm="…"  on a form: ask before it is sent; on a button or link: ask before it acts
//   data-print         a button that prints the page
//   data-autosubmit    a select that sends its form when changed
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-confirm]") && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var asking = event.target.closest("[data-confirm]:not(form)");
    if (asking && !window.confirm(asking.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]") && event.target.form) {
      event.target.form.submit();
    }
  });
}());
