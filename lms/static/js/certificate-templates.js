// Certificate templates: redraw the preview as the form is typed in (debounced).
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var image = document.getElementById("template-preview");
  if (!form || !image) { return; }
  var timer = null;
  function redraw() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token") { params.append(key, value); }
    });
    image.src = form.getAttribute("data-preview") + "?" + params.toString();
  }
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(redraw, 400);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
