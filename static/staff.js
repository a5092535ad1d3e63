/* casebook staff editor: live preview, autosave in this browser, image upload. No libraries. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var token = form.querySelector("input[name=csrf_token]").value;
  var body = form.querySelector("textarea[name=body]");
  var preview = form.querySelector(".preview");
  var state = form.querySelector(".preview-state");
  var key = form.dataset.autosave;

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  /* live preview: the server renders the whole form through the public page's article template
     (entries) or the body alone (projects), with the public renderer and sanitizer */
  var sent = 0;
  function renderPreview() {
    var mine = ++sent;
    state.textContent = "更新中…";
    fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
      body: JSON.stringify(previewValues())
    }).then(function (r) {
      if (!r.ok) throw new Error(r.status === 401 || r.status === 400 ? "登录已失效，预览暂停；内容仍在本机自动保存" : "预览失败");
      return r.json();
    }).then(function (data) {
      if (mine !== sent) return;
      preview.innerHTML = data.html;
      state.textContent = "";
      showWarnings(data.warnings || []);
    }).catch(function (err) { if (mine === sent) state.textContent = err.message; });
  }
  /* 提示 (warnings) as `casebook check` gives them: skeleton text left in, a list glued to a paragraph… */
  var warningList = form.querySelector(".body-warnings");
  function showWarnings(items) {
    if (!warningList) return;
    warningList.textContent = "";
    items.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text;
      warningList.appendChild(li);
    });
  }
  function previewValues() {
    var out = values();
    out.kind = preview.dataset.kind || "";
    return out;
  }
  var previewLater = debounce(renderPreview, 250);
  form.addEventListener("input", previewLater);
  form.addEventListener("change", previewLater);
  renderPreview();

  /* autosave: a copy of every field in localStorage, offered back after a crash or lost connection */
  function values() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.name === "base" || el.name === "action") return;
      out[el.name] = el.type === "checkbox" ? (el.checked ? "1" : "") : el.value;
    });
    return out;
  }
  function fill(saved) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in saved)) return;
      if (el.type === "checkbox") el.checked = !!saved[el.name]; else el.value = saved[el.name];
    });
    renderPreview();
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function store() {
    try {
      localStorage.setItem(key, JSON.stringify({time: Date.now(), base: form.dataset.base, values: values()}));
    } catch (e) { /* storage full or disabled: nothing else to do */ }
  }
  var saveLater = debounce(store, 400);
  form.addEventListener("input", saveLater);
  form.addEventListener("change", saveLater);
  form.addEventListener("submit", function () {
    store();
    try { sessionStorage.setItem("casebook:submitted", key); } catch (e) {}
  });

  var banner = form.querySelector(".restore-banner");
  if (form.dataset.saved) {
    try {
      localStorage.removeItem(key);
      var submitted = sessionStorage.getItem("casebook:submitted");
      if (submitted) { localStorage.removeItem(submitted); sessionStorage.removeItem("casebook:submitted"); }
    } catch (e) {}
  } else {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && saved.values && !same(saved.values, values())) {
      banner.querySelector(".restore-time").textContent = new Date(saved.time).toLocaleString("zh-CN");
      banner.hidden = false;
      banner.querySelector(".restore-yes").addEventListener("click", function () {
        /* the copy was typed on top of the version it was based on: submit that base, so a save
           made meanwhile by someone else shows up as a conflict instead of being overwritten */
        if (typeof saved.base === "string") {
          form.querySelector("input[name=base]").value = saved.base;
          form.dataset.base = saved.base;
        }
        fill(saved.values); banner.hidden = true; store();
      });
      banner.querySelector(".restore-no").addEventListener("click", function () {
        try { localStorage.removeItem(key); } catch (e) {}
        banner.hidden = true;
      });
    }
  }

  /* repeatable rows (project indicators and milestones): copy the last row with the next number */
  Array.prototype.forEach.call(form.querySelectorAll(".add-row"), function (button) {
    button.addEventListener("click", function () {
      var group = button.closest(".rows-group");
      var rows = group.querySelectorAll(".row-item");
      var last = rows[rows.length - 1];
      var next = 0;
      Array.prototype.forEach.call(rows, function (row) { next = Math.max(next, Number(row.dataset.row) + 1); });
      var copy = last.cloneNode(true);
      copy.dataset.row = String(next);
      Array.prototype.forEach.call(copy.querySelectorAll("input, textarea"), function (el) {
        el.name = el.name.replace(/-\d+-/, "-" + next + "-");
        el.value = "";
      });
      Array.prototype.forEach.call(copy.querySelectorAll(".error"), function (el) { el.remove(); });
      last.after(copy);
      copy.querySelector("input").focus();
    });
  });

  /* image upload: checked and re-encoded by the server, then inserted as Markdown or set as cover */
  var fileInput = form.querySelector(".file-input");
  var status = form.querySelector(".upload-status");
  var target = "body";
  function pick(which) { target = which; fileInput.value = ""; fileInput.click(); }
  form.querySelector(".upload-image").addEventListener("click", function () { pick("body"); });
  var coverButton = form.querySelector(".upload-cover");
  if (coverButton) coverButton.addEventListener("click", function () { pick("cover"); });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    if (!file) return;
    var alt = target === "body" ? (window.prompt("图片说明（供读屏软件朗读，可留空）", "") || "") : "";
    var data = new FormData();
    data.append("file", file);
    data.append("alt", alt);
    status.textContent = "上传中…";
    fetch(form.dataset.uploadUrl, {
      method: "POST", credentials: "same-origin", body: data,
      headers: {"X-CSRFToken": token, "Accept": "application/json"}
    }).then(function (r) {
      return r.json().catch(function () { return {error: "上传失败（" + r.status + "）"}; });
    }).then(function (result) {
      if (result.error) { status.textContent = result.error; return; }
      if (target === "cover") {
        form.querySelector("input[name=cover]").value = result.path;
      } else {
        var at = typeof body.selectionStart === "number" ? body.selectionStart : body.value.length;
        var text = "\n\n" + result.markdown + "\n\n";
        body.value = body.value.slice(0, at) + text + body.value.slice(at);
        renderPreview();
      }
      status.textContent = "已上传：" + result.name;
      store();
    }).catch(function () { status.textContent = "上传失败：网络中断，请重试"; });
  });
})();
