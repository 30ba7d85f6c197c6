// Trainers' and officials' pages: session rows, attendance count, CSV preview, enrol job.
(function () {
  "use strict";

  function i18n(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }
  var fill = window.lmsFill;
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  // New class: one more session row.
  var addRow = document.getElementById("add-session-row");
  if (addRow) {
    addRow.addEventListener("click", function () {
      var rows = document.getElementById("session-rows");
      var last = rows.lastElementChild;
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) {
        if (input.type === "date" || input.name === "session_topic") { input.value = ""; }
      });
      rows.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }

  // Attendance: live count, "everyone present".
  var sheet = document.getElementById("attendance-form");
  if (sheet) {
    var boxes = sheet.querySelectorAll('input[name="present"]');
    var counter = document.getElementById("present-count");
    var update = function () {
      var n = 0;
      boxes.forEach(function (b) { if (b.checked) { n += 1; } });
      counter.textContent = n + " / " + boxes.length;
    };
    boxes.forEach(function (b) { b.addEventListener("change", update); });
    document.getElementById("all-present").addEventListener("click", function () {
      boxes.forEach(function (b) { b.checked = true; });
      update();
    });
    update();
  }

  // CSV / XLSX enrollment: preview (dry run) with highlighted cells, then apply.
  var importForm = document.getElementById("import-form");
  if (importForm) {
    var t = i18n("import-i18n");
    var message = document.getElementById("import-message");
    var preview = document.getElementById("preview");
    var tbody = document.querySelector("#preview-table tbody");
    var applyButton = document.getElementById("apply-button");
    var columns = ["email", "phone", "full_name", "unit_code", "target_group"];
    var file = null;

    var send = function (dryRun) {
      var data = new FormData();
      data.append("file", file);
      var invite = document.getElementById("import-invite");
      var query = dryRun ? "?dry_run=true" : (invite && invite.value ? "?invite=" + encodeURIComponent(invite.value) : "");
      return window.lmsFetch(importForm.dataset.api + query, { method: "POST", body: data })
        .then(function (response) { return response.json().then(function (body) { return { status: response.status, body: body }; }); });
    };
    var say = function (text, kind) {
      message.className = "flash flash-" + kind;
      message.textContent = text;
    };
    var render = function (rows, errors) {
      tbody.textContent = "";
      rows.forEach(function (row) {
        var tr = el("tr", { "data-row": row.row });
        tr.appendChild(el("td", {}, row.row));
        var bad = false;
        columns.forEach(function (c) {
          var shown = row.raw && row.raw[c] !== undefined ? row.raw[c] : row[c];
          if (c === "target_group" && t.groups && t.groups[shown]) { shown = t.groups[shown]; }
          var td = el("td", { "data-field": c }, shown || "");
          var problems = errors && errors["rows." + row.row + "." + c];
          if (problems) {
            bad = true;
            td.className = "cell-error";
            td.appendChild(el("span", { "class": "cell-message" }, problems.join(" ")));
          }
          tr.appendChild(td);
        });
        var action = row.action ? (t[row.action] || row.action) + (row.note ? " · " + row.note : "") : "";
        tr.appendChild(el("td", { "class": "action-" + (row.action || "") }, action));
        if (bad) { tr.className = "row-error"; }
        tbody.appendChild(tr);
      });
      preview.hidden = false;
    };

    importForm.addEventListener("submit", function (event) {
      event.preventDefault();
      file = document.getElementById("import-file").files[0];
      if (!file) { return; }
      applyButton.hidden = true;
      send(true).then(function (result) {
        if (result.status === 200) {
          render(result.body.rows, null);
          document.getElementById("preview-summary").textContent = fill(t.summary, result.body.summary);
          say(t.ready, "success");
          applyButton.hidden = false;
        } else if (result.status === 422 && result.body.rows) {
          say(result.body.message + " " + t.errors, "error");
          document.getElementById("preview-summary").textContent = "";
          render(result.body.rows, result.body.errors);
        } else {
          preview.hidden = true;
          var details = Object.values(result.body.errors || {}).map(function (v) { return v.join(" "); })
            .filter(function (text) { return text !== result.body.message; });
          say([result.body.message || t.failed].concat(details).join(" "), "error");
        }
      }).catch(function () { say(t.failed, "error"); });
    });
    applyButton.addEventListener("click", function () {
      applyButton.disabled = true;
      send(false).then(function (result) {
        applyButton.disabled = false;
        if (result.status === 200) {
          say(t.done, "success");
          applyButton.hidden = true;
          // The class page says what was done (a message that outlives this page).
          var s = result.body.summary || {};
          var added = (s.create || 0) + (s.enrol || 0) + (s.join || 0);
          window.location.href = importForm.dataset.classUrl + "?imported=" + added + "&skipped=" + (s.skip || 0);
        } else {
          say(result.body.message || t.failed, "error");
        }
      }).catch(function () { applyButton.disabled = false; say(t.failed, "error"); });
    });
  }

  // Assigned enrollment: start the job, poll its progress.
  var assignForm = document.getElementById("assign-form");
  if (assignForm) {
    var a = i18n("assign-i18n");
    var box = document.getElementById("job");
    var status = document.getElementById("job-status");
    var parts = {
      box: box,
      bar: document.getElementById("job-bar"),
      percent: document.getElementById("job-percent"),
      status: status
    };
    var show = function (job) {
      window.lmsFollowJob(job, parts, a, function (r) {
        return fill(a.done, { enrolled: r.enrolled, already: r.already_enrolled, people: r.people });
      });
    };
    assignForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var course = document.getElementById("assign-course").value;
      if (!course) { status.textContent = a.choose; box.hidden = false; return; }
      var button = document.getElementById("assign-button");
      button.disabled = true;
      window.lmsFetch(assignForm.dataset.api.replace("__slug__", encodeURIComponent(course)), {
        method: "POST",
        json: { unit: document.getElementById("assign-unit").value.trim(), target_group: document.getElementById("assign-group").value }
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (result) {
        button.disabled = false;
        if (result.status === 202) { show(result.body); return; }
        box.hidden = false;
        status.className = "flash flash-error";
        var details = result.body.errors ? " " + Object.values(result.body.errors).map(function (v) { return v.join(" "); }).join(" ") : "";
        status.textContent = (result.body.message || "") + details;
      }).catch(function () { button.disabled = false; });
    });
  }
})();
