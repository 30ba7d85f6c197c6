// Small helpers shared by pages; no framework, no CDN.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  // fetch() wrapper that sends the CSRF token and JSON, for pages that call /api/v1.
  window.lmsFetch = function (url, options) {
    options = options || {};
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    if (meta) { options.headers["X-CSRFToken"] = meta.content; }
    if (options.json !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
      delete options.json;
    }
    options.credentials = "same-origin";
    return fetch(url, options);
  };
  // Behaviour is wired here, never in inline on…= attributes: the Content-Security-Policy
  // runs no inline script. A <select data-autosubmit> submits its form when changed (pages
  // keep a <noscript> button for browsers without JavaScript)...
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // ...and a <form data-confirm="question"> asks before it is sent.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // The ☰ button opens the navigation on narrow screens.
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
})();
