/* The header's company switcher: <form data-company-switch> with a <select> and a submit
   button. With JavaScript, choosing a company shows it at once and the button is hidden;
   without, the button sends the form. */
(function () {
  "use strict";

  function setUp(form) {
    var select = form.querySelector("select");
    var button = form.querySelector("button[type=submit]");
    if (!select || !button) {
      return;
    }
    form.classList.add("company-switch--auto");
    select.addEventListener("change", function () {
      form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-company-switch]"), setUp);
  });
})();
