// My certificates: copy a share link to the clipboard.
(function () {
  "use strict";
  document.querySelectorAll(".copy-link").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-target"));
      if (!input) { return; }
      input.select();
      var done = function () { button.textContent = button.getAttribute("data-done"); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done);
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();

// A class's certificates: "issue to all" runs as a background job with a progress bar.
(function () {
  "use strict";
  var form = document.getElementById("issue-all-form");
  var node = document.getElementById("issue-i18n");
  if (!form || !node || !window.lmsFetch) { return; }
  var t = JSON.parse(node.textContent);
  var box = document.getElementById("issue-job");
  var status = document.getElementById("issue-job-status");
  var parts = {
    box: box,
    bar: document.getElementById("issue-job-bar"),
    percent: document.getElementById("issue-job-percent"),
    status: status
  };
  var show = function (job) {
    window.lmsFollowJob(job, parts, t, function (r) {
      return window.lmsFill(t.done, { issued: (r.issued || []).length, skipped: (r.skipped || []).length });
    }, function () {
      window.setTimeout(function () { window.location.reload(); }, 1500);
    });
  };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = document.getElementById("issue-all-button");
    button.disabled = true;
    window.lmsFetch(form.dataset.api, { method: "POST", json: {} }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (result.status === 202) { show(result.body); return; }
      button.disabled = false;
      box.hidden = false;
      status.className = "flash flash-error";
      status.textContent = result.body.message || "";
    }).catch(function () { button.disabled = false; });
  });
})();
