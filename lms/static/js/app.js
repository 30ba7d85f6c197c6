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
  // A translated text's %(name)s placeholders filled in.
  window.lmsFill = function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, key) { return values[key] === undefined ? "" : values[key]; });
  };
  // Follow a background job (GET /api/v1/jobs/<id>) on a page's progress box: its bar, its
  // percentage and a status line with the texts ``t.running``, ``t.failed`` and, once done,
  // ``doneText(result)``; ``onDone`` runs after that.
  window.lmsFollowJob = function (job, parts, t, doneText, onDone) {
    parts.box.hidden = false;
    parts.bar.setAttribute("aria-valuenow", job.percent);
    parts.bar.querySelector("rect").setAttribute("width", job.percent);
    parts.percent.textContent = job.percent + "%";
    var status = parts.status;
    if (job.status === "done") {
      status.textContent = doneText(job.result || {});
      status.className = "flash flash-success";
      if (onDone) { onDone(job); }
    } else if (job.status === "failed") {
      status.textContent = window.lmsFill(t.failed, { error: job.error || "" });
      status.className = "flash flash-error";
    } else {
      status.textContent = window.lmsFill(t.running, { done: job.done, total: job.total });
      window.setTimeout(function () {
        window.lmsFetch("/api/v1/jobs/" + job.id).then(function (r) { return r.json(); }).then(function (next) {
          window.lmsFollowJob(next, parts, t, doneText, onDone);
        });
      }, 1000);
    }
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
  // Wide tables scroll sideways inside their own box (a 360 px phone never scrolls the page
  // sideways, and words are not cut mid-syllable): lesson tables get the box here, since
  // lesson HTML comes from Markdown. A box that scrolls must be reachable by keyboard, so
  // each one is a focusable region named after its table's caption or section heading.
  document.querySelectorAll(".lesson-body table").forEach(function (table) {
    if (table.parentElement.classList.contains("table-wrap")) { return; }
    var box = document.createElement("div");
    box.className = "table-wrap";
    table.parentElement.insertBefore(box, table);
    box.appendChild(table);
  });
  document.querySelectorAll(".table-wrap").forEach(function (box) {
    if (box.hasAttribute("tabindex")) { return; }
    var caption = box.querySelector("caption");
    var section = box.closest("section, article, main");
    var heading = caption || (section && section.querySelector("h1, h2, h3")) || document.querySelector("h1");
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", heading ? heading.textContent.trim() : document.title);
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
