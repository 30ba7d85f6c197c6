// Taking a quiz: questions one at a time, answers saved as the learner goes (and kept in
// localStorage until the server has them, so a reload or a lost connection loses nothing),
// a countdown from the server's remaining time, and a confirmation before submitting.
// No framework, no CDN.
(function () {
  "use strict";

  // Dates printed by the server in UTC are shown in the reader's local time.
  function localTimes() {
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var value = el.getAttribute("datetime");
      if (!value) { return; }
      var d = new Date(value);
      if (!isNaN(d)) { el.textContent = d.toLocaleString(document.documentElement.lang || "vi"); }
    });
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) {
      return values[name] !== undefined ? values[name] : "";
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key.slice(0, 2) === "on") { node.addEventListener(key.slice(2), attrs[key]); }
      else if (attrs[key] !== false && attrs[key] !== null && attrs[key] !== undefined) {
        node.setAttribute(key, attrs[key] === true ? "" : attrs[key]);
      }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function isEmpty(value) {
    if (value === null || value === undefined || value === "") { return true; }
    if (Array.isArray(value)) { return value.length === 0; }
    if (typeof value === "object") { return Object.keys(value).length === 0; }
    return false;
  }

  function QuizApp(root) {
    this.root = root;
    this.t = JSON.parse(document.getElementById("quiz-i18n").textContent);
    this.storageKey = "lms-attempt-" + root.dataset.attemptId;
    this.questions = [];
    this.responses = {};
    this.pending = {};
    this.index = 0;
    this.saving = false;
    this.saveTimer = null;
    this.retryDelay = 2000;
    this.closed = false;
    this.endsAt = null;
  }

  QuizApp.prototype.start = function () {
    var self = this;
    document.getElementById("quiz-prev").addEventListener("click", function () { self.go(self.index - 1); });
    document.getElementById("quiz-next").addEventListener("click", function () { self.go(self.index + 1); });
    document.getElementById("quiz-submit").addEventListener("click", function () { self.confirmSubmit(); });
    window.addEventListener("online", function () { self.flush(); });
    // Leaving the page: send what is pending (the copy in localStorage covers a failure).
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { self.flush(true); }
    });
    this.load();
  };

  QuizApp.prototype.load = function () {
    var self = this;
    window.lmsFetch(this.root.dataset.attemptUrl).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) { throw new Error(res.body.message || "load"); }
      var data = res.body;
      if (data.status !== "open") { return self.finish(); }
      self.questions = data.questions;
      self.responses = data.responses || {};
      // Answers typed before a reload or a lost connection, not yet confirmed by the server.
      var stored = {};
      try { stored = JSON.parse(window.localStorage.getItem(self.storageKey) || "{}"); } catch (e) { stored = {}; }
      Object.keys(stored).forEach(function (key) {
        if (key in self.responses) { self.responses[key] = stored[key]; self.pending[key] = stored[key]; }
      });
      self.startTimer(data.remaining_seconds);
      self.renderNav();
      // A resumed attempt opens at the first question not yet answered, not at question 1.
      var first = self.questions.findIndex(function (q) { return isEmpty(self.responses[q.key]); });
      self.go(first < 0 ? 0 : first);
      if (Object.keys(self.pending).length) { self.flush(); }
    }).catch(function () {
      document.getElementById("quiz-question").textContent = self.t.failed;
    });
  };

  QuizApp.prototype.startTimer = function (remaining) {
    var self = this;
    var timer = document.getElementById("quiz-timer");
    if (remaining === null || remaining === undefined) { return; }
    this.endsAt = Date.now() + remaining * 1000;
    timer.hidden = false;
    function tick() {
      var left = Math.max(0, Math.round((self.endsAt - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      timer.textContent = self.t.time_left + ": " + (h ? h + ":" : "") +
        (m < 10 && h ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      timer.classList.toggle("low", left <= 60);
      if (left <= 0) {
        clearInterval(self.timerId);
        self.setState("saving", self.t.time_up);
        self.submit();
      }
    }
    tick();
    this.timerId = setInterval(tick, 1000);
  };

  QuizApp.prototype.renderNav = function () {
    var self = this;
    var nav = document.getElementById("quiz-nav");
    nav.textContent = "";
    this.questions.forEach(function (q, i) {
      nav.appendChild(el("button", {
        type: "button", class: "qnav-item" + (isEmpty(self.responses[q.key]) ? "" : " answered") +
          (i === self.index ? " current" : ""),
        "aria-current": i === self.index ? "step" : false,
        "aria-label": format(self.t.question, { n: i + 1, total: self.questions.length }),
        text: String(i + 1), onclick: function () { self.go(i); }
      }));
    });
  };

  QuizApp.prototype.go = function (i) {
    if (i < 0 || i >= this.questions.length) { return; }
    this.index = i;
    this.renderQuestion();
    this.renderNav();
    document.getElementById("quiz-prev").disabled = i === 0;
    document.getElementById("quiz-next").disabled = i === this.questions.length - 1;
  };

  QuizApp.prototype.answer = function (key, value) {
    this.responses[key] = value;
    this.pending[key] = isEmpty(value) ? null : value;
    try { window.localStorage.setItem(this.storageKey, JSON.stringify(this.pending)); } catch (e) { /* private mode */ }
    this.renderNav();
    this.scheduleSave(600);
  };

  QuizApp.prototype.scheduleSave = function (delay) {
    var self = this;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(function () { self.flush(); }, delay);
  };

  QuizApp.prototype.setState = function (state, text) {
    var node = document.getElementById("quiz-save-state");
    node.dataset.state = state;
    node.textContent = text;
  };

  // Send every answer not yet confirmed; resolves when the server has them (or gave up).
  QuizApp.prototype.flush = function (keepalive) {
    var self = this;
    var batch = Object.assign({}, this.pending);
    if (!Object.keys(batch).length || this.closed) { return Promise.resolve(true); }
    if (this.saving) { return this.saving.then(function () { return self.flush(); }); }
    this.setState("saving", this.t.saving);
    this.saving = window.lmsFetch(this.root.dataset.saveUrl, {
      method: "PUT", json: { responses: batch }, keepalive: keepalive === true
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (res) {
      self.saving = false;
      if (res.status === 200) {
        Object.keys(batch).forEach(function (key) {
          if (JSON.stringify(self.pending[key]) === JSON.stringify(batch[key])) { delete self.pending[key]; }
        });
        self.store();
        self.retryDelay = 2000;
        self.setState("saved", format(self.t.saved, { time: new Date().toLocaleTimeString() }));
        if (Object.keys(self.pending).length) { self.scheduleSave(300); }
        return true;
      }
      if (res.status === 409) { self.closed = true; self.store(true); self.setState("closed", self.t.closed); self.finish(); return false; }
      if (res.status === 422) {
        // The server names the answers it refused; the others were not saved either, resend them.
        var errors = (res.body && res.body.errors) || {};
        Object.keys(errors).forEach(function (field) {
          var key = field.replace(/^responses\./, "");
          delete self.pending[key];
        });
        self.store();
        self.setState("error", self.t.rejected + " " + Object.keys(errors).map(function (f) {
          return errors[f].join(" ");
        }).join(" "));
        if (Object.keys(self.pending).length) { self.scheduleSave(300); }
        return false;
      }
      throw new Error("save " + res.status);
    }).catch(function () {
      self.saving = false;
      self.setState("offline", self.t.offline);
      self.scheduleSave(self.retryDelay);
      self.retryDelay = Math.min(self.retryDelay * 2, 30000);
      return false;
    });
    return this.saving;
  };

  QuizApp.prototype.store = function (clear) {
    try {
      if (clear || !Object.keys(this.pending).length) { window.localStorage.removeItem(this.storageKey); }
      else { window.localStorage.setItem(this.storageKey, JSON.stringify(this.pending)); }
    } catch (e) { /* storage unavailable */ }
  };

  QuizApp.prototype.confirmSubmit = function () {
    var self = this;
    var missing = this.questions.filter(function (q) { return isEmpty(self.responses[q.key]); }).length;
    var text = missing ? format(this.t.unanswered, { n: missing, total: this.questions.length })
      : format(this.t.all_answered, { total: this.questions.length });
    var dialog = document.getElementById("quiz-confirm");
    document.getElementById("quiz-confirm-text").textContent = text;
    if (typeof dialog.showModal !== "function") {
      if (window.confirm(text)) { self.submit(); }
      return;
    }
    dialog.returnValue = "";
    dialog.addEventListener("close", function onClose() {
      dialog.removeEventListener("close", onClose);
      if (dialog.returnValue === "ok") { self.submit(); }
    });
    dialog.showModal();
  };

  QuizApp.prototype.submit = function () {
    var self = this;
    if (this.submitting) { return; }
    this.submitting = true;
    document.getElementById("quiz-submit").disabled = true;
    this.setState("saving", this.t.submitting);
    this.flush().then(function () {
      return window.lmsFetch(self.root.dataset.submitUrl, { method: "POST", json: {} });
    }).then(function (response) {
      if (response.ok || response.status === 409) {
        self.closed = true;
        self.store(true);
        return self.finish();
      }
      throw new Error("submit " + response.status);
    }).catch(function () {
      self.submitting = false;
      document.getElementById("quiz-submit").disabled = false;
      self.setState("error", self.t.failed);
    });
  };

  QuizApp.prototype.finish = function () {
    this.closed = true;
    clearInterval(this.timerId);
    window.location.assign(this.root.dataset.resultUrl);
  };

  // --- one renderer per question type -----------------------------------------------------

  QuizApp.prototype.renderQuestion = function () {
    var q = this.questions[this.index];
    var box = document.getElementById("quiz-question");
    box.textContent = "";
    box.dataset.key = q.key;
    box.dataset.type = q.type;
    box.appendChild(el("p", { class: "muted qnum", text: format(this.t.question, { n: this.index + 1, total: this.questions.length }) +
      " · " + format(this.t.points, { n: q.points }) }));
    box.appendChild(el("h2", { class: "q-text", id: "q-text", text: q.text }));
    var render = RENDERERS[q.type] || RENDERERS.fill_in;
    box.appendChild(render.call(this, q, this.responses[q.key]));
  };

  function choiceList(self, q, current, multiple) {
    var name = "q-" + q.key;
    var selected = multiple ? (current || []) : current;
    var list = el("fieldset", { class: "choices", "aria-labelledby": "q-text" });
    if (multiple) { list.appendChild(el("p", { class: "muted", text: self.t.select_all })); }
    q.options.forEach(function (option) {
      var checked = multiple ? selected.indexOf(option.id) !== -1 : selected === option.id;
      var input = el("input", {
        type: multiple ? "checkbox" : "radio", name: name, value: option.id, checked: checked,
        onchange: function () {
          if (multiple) {
            var values = Array.prototype.map.call(list.querySelectorAll("input:checked"), function (i) { return i.value; });
            self.answer(q.key, values);
          } else { self.answer(q.key, option.id); }
        }
      });
      list.appendChild(el("label", { class: "choice" }, [input, el("span", { text: option.text })]));
    });
    return list;
  }

  var RENDERERS = {
    single_choice: function (q, current) { return choiceList(this, q, current, false); },
    multiple_choice: function (q, current) { return choiceList(this, q, current, true); },
    true_false: function (q, current) {
      var self = this;
      var list = el("fieldset", { class: "choices", "aria-labelledby": "q-text" });
      [true, false].forEach(function (value) {
        var input = el("input", { type: "radio", name: "q-" + q.key, value: String(value), checked: current === value,
          onchange: function () { self.answer(q.key, value); } });
        list.appendChild(el("label", { class: "choice" }, [input, el("span", { text: value ? self.t["true"] : self.t["false"] })]));
      });
      return list;
    },
    fill_in: function (q, current) {
      var self = this;
      return el("input", { type: "text", class: "answer-text", "aria-labelledby": "q-text", maxlength: q.max_length || 500,
        placeholder: self.t.type_answer, value: current || "", autocomplete: "off",
        oninput: function (event) { self.answer(q.key, event.target.value); } });
    },
    numeric: function (q, current) {
      var self = this;
      return el("input", { type: "text", inputmode: "decimal", class: "answer-text", "aria-labelledby": "q-text",
        placeholder: self.t.type_number, value: current === null || current === undefined ? "" : String(current),
        autocomplete: "off", oninput: function (event) { self.answer(q.key, event.target.value.trim()); } });
    },
    matching: function (q, current) {
      var self = this;
      var value = Object.assign({}, current || {});
      var table = el("div", { class: "matching" }, [el("p", { class: "muted", text: self.t.match_help })]);
      q.left.forEach(function (left) {
        var select = el("select", { "aria-label": left.text, onchange: function (event) {
          if (event.target.value) { value[left.id] = event.target.value; } else { delete value[left.id]; }
          self.answer(q.key, Object.assign({}, value));
        } }, [el("option", { value: "", text: self.t.choose })]);
        q.right.forEach(function (right) {
          select.appendChild(el("option", { value: right.id, text: right.text, selected: value[left.id] === right.id }));
        });
        table.appendChild(el("label", { class: "match-row" }, [el("span", { class: "match-left", text: left.text }), select]));
      });
      return table;
    },
    ordering: function (q, current) {
      var self = this;
      var texts = {};
      q.items.forEach(function (item) { texts[item.id] = item.text; });
      var order = (current && current.length === q.items.length) ? current.slice() : q.items.map(function (i) { return i.id; });
      var list = el("ol", { class: "ordering" });
      function draw() {
        list.textContent = "";
        order.forEach(function (id, i) {
          function move(delta) {
            var j = i + delta;
            if (j < 0 || j >= order.length) { return; }
            var tmp = order[i]; order[i] = order[j]; order[j] = tmp;
            self.answer(q.key, order.slice());
            draw();
          }
          list.appendChild(el("li", { "data-id": id }, [
            el("span", { class: "order-text", text: texts[id] }),
            el("button", { type: "button", class: "order-move", "aria-label": self.t.up, text: "↑", disabled: i === 0, onclick: function () { move(-1); } }),
            el("button", { type: "button", class: "order-move", "aria-label": self.t.down, text: "↓", disabled: i === order.length - 1, onclick: function () { move(1); } })
          ]));
        });
      }
      draw();
      return el("div", {}, [el("p", { class: "muted", text: self.t.order_help }), list]);
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    localTimes();
    var root = document.getElementById("quiz-app");
    if (root) { new QuizApp(root).start(); }
  });
})();
