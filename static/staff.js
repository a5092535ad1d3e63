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
  var leaving = false;  /* the form is being sent: no more previews (their answers would race the redirect) */
  form.addEventListener("submit", function () { leaving = true; });
  function renderPreview() {
    if (leaving) return;
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
      Array.prototype.forEach.call(copy.querySelectorAll("input, textarea, select"), function (el) {
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

/* paste and 整理格式: rich text (Word, WPS, a 公众号 article) and multi-line plain text pasted into the
   body become Markdown through /staff/convert; if that fails, the clipboard's plain text goes in
   as a normal paste would. The import report of a just-imported draft is shown above the form. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  var button = form && form.querySelector(".tidy-body");
  if (!button) return;
  var token = form.querySelector("input[name=csrf_token]").value;
  var body = form.querySelector("textarea[name=body]");
  var status = form.querySelector(".upload-status");

  function convert(payload) {
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    if (controller) setTimeout(function () { controller.abort(); }, 30000);  /* never leave the body locked */
    return fetch(button.dataset.convertUrl, {
      method: "POST",
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
      headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok || typeof data.markdown !== "string") {
          var refused = new Error(data.error || ("转换失败（" + r.status + "）"));
          refused.said = true;
          throw refused;
        }
        return data;
      });
    }).catch(function (err) {  /* the browser's own messages are English: say it in Chinese */
      if (err && err.said) throw err;
      throw new Error(err && err.name === "AbortError" ? "转换超时" : "网络连接失败");
    });
  }

  /* replace body[start, end) with text, keeping the browser's undo history where it can */
  function put(start, end, text) {
    body.focus();
    body.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done || body.value.slice(start, start + text.length) !== text) {
      body.value = body.value.slice(0, start) + text + body.value.slice(end);
      body.setSelectionRange(start + text.length, start + text.length);
      body.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }

  /* blocks (several paragraphs, a list, a table) go in as paragraphs of their own */
  function padded(markdown, start, end) {
    var text = markdown.replace(/\n+$/, "");
    if (text.indexOf("\n") < 0) return text;
    var before = body.value.slice(0, start), after = body.value.slice(end);
    if (before && !/\n\n$/.test(before)) text = (/\n$/.test(before) ? "\n" : "\n\n") + text;
    if (after && !/^\n\n/.test(after)) text += /^\n/.test(after) ? "\n" : "\n\n";
    return text;
  }

  body.addEventListener("paste", function (event) {
    var clip = event.clipboardData;
    if (!clip) return;
    var html = clip.getData("text/html"), plain = clip.getData("text/plain");
    var payload = html ? {html: html} : (/\n/.test(plain) ? {text: plain} : null);
    if (!payload) return;  /* one line of plain text: the browser's own paste */
    event.preventDefault();
    var start = body.selectionStart, end = body.selectionEnd;
    /* the text stays as it is until the answer lands at the remembered place: no typing meanwhile */
    body.readOnly = true;
    body.setAttribute("aria-busy", "true");
    status.textContent = "正在转换粘贴的内容…（完成前正文暂不能编辑）";
    var finish = function () { body.readOnly = false; body.removeAttribute("aria-busy"); };
    convert(payload).then(function (data) {
      finish();
      put(start, end, padded(data.markdown, start, end));
      status.textContent = (data.report || []).join("；");
    }).catch(function (err) {
      finish();
      put(start, end, plain);
      status.textContent = err.message + "，已按纯文本粘贴";
    });
  });

  button.addEventListener("click", function () {
    status.textContent = "整理中…";
    var before = body.value;
    convert({tidy: before}).then(function (data) {
      if (body.value !== before) { status.textContent = "正文在整理期间有改动，请再点一次"; return; }
      if (data.markdown === before || data.markdown === before + "\n") { status.textContent = "格式已经整齐"; return; }
      put(0, before.length, data.markdown);
      status.textContent = "已整理格式（可按 Ctrl+Z 撤销）";
    }).catch(function (err) { status.textContent = err.message; });
  });

  var imported = new URLSearchParams(window.location.search).get("imported");
  if (imported && /^\d+$/.test(imported)) {
    fetch(button.dataset.reportUrl.replace(/0\.json$/, imported + ".json"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var box = document.createElement("details");
        box.className = "import-report flash";
        box.open = true;
        var summary = document.createElement("summary");
        summary.textContent = "导入报告";
        box.appendChild(summary);
        var list = document.createElement("ul");
        data.report.forEach(function (line) {
          var li = document.createElement("li");
          li.textContent = line;
          list.appendChild(li);
        });
        box.appendChild(list);
        var link = document.createElement("a");
        link.href = data.url;
        link.textContent = "单独查看";
        box.appendChild(link);
        form.parentNode.insertBefore(box, form);
      }).catch(function () {});
  }
})();

/* attachments (PDF, DOCX, XLSX): checked by the server, then added as a line "path 标题" to the
   attachments box; a refusal is shown beside the button and nothing typed is touched. The 出处
   inputs are shown for 微分享 (national) cases only: they ask for where the article came from. */
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var scope = form.querySelector("select[name=scope]");
  var scoped = form.querySelectorAll("[data-scope-only]");
  function showScoped() {
    for (var i = 0; i < scoped.length; i++) {
      scoped[i].hidden = !!scope && scope.value !== scoped[i].dataset.scopeOnly;
    }
  }
  if (scope && scoped.length) { scope.addEventListener("change", showScoped); showScoped(); }

  var button = form.querySelector(".upload-attachment");
  if (!button) return;
  var token = form.querySelector("input[name=csrf_token]").value;
  var input = form.querySelector(".attachment-input");
  var box = form.querySelector("textarea[name=attachments]");
  var status = form.querySelector(".attachment-status");
  button.addEventListener("click", function () { input.value = ""; input.click(); });
  input.addEventListener("change", function () {
    var file = input.files[0];
    if (!file) return;
    var data = new FormData();
    data.append("file", file);
    status.textContent = "上传中…";
    fetch(form.dataset.attachmentUrl, {
      method: "POST", credentials: "same-origin", body: data,
      headers: {"X-CSRFToken": token, "Accept": "application/json"}
    }).then(function (r) {
      return r.json().catch(function () {
        return {error: r.status === 413 ? "文件太大，未上传" : "上传失败（" + r.status + "）"};
      });
    }).then(function (result) {
      if (result.error) { status.textContent = result.error; return; }
      box.value = (box.value.replace(/\s+$/, "") + "\n" + result.line).replace(/^\n/, "");
      box.dispatchEvent(new Event("input", {bubbles: true}));
      status.textContent = "已上传：" + result.title + "（" + result.size + "），可在框中修改标题";
    }).catch(function () { status.textContent = "上传失败：网络中断，请重试"; });
  });
})();
