/* casebook staff settings: add rows to the glossary/places forms, follow background jobs. No libraries. */
(function () {
  "use strict";

  /* rows: the form always carries a few blank rows (works without JS); this adds more in place */
  var form = document.getElementById("settings-form");
  if (form) {
    var invalid = form.querySelector("[aria-invalid=true]");
    if (invalid) invalid.focus();  /* a refused save: straight to the first row to fix */
    var list = form.querySelector(".setting-rows");
    var add = form.querySelector(".add-row");
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = list.querySelectorAll("[data-row]");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.classList.remove("has-error");
      Array.prototype.forEach.call(copy.querySelectorAll("input, textarea"), function (el) {
        el.value = "";
        el.removeAttribute("aria-invalid");
      });
      Array.prototype.forEach.call(copy.querySelectorAll(".error"), function (el) { el.remove(); });
      copy.querySelector(".row-number").textContent = String(rows.length + 1);
      list.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }

  /* jobs: poll the status of a queued or running job until it is done or failed */
  function follow(box) {
    var url = box.dataset.jobUrl;
    function show(job) {
      box.className = "job-status job-" + job.state;
      box.querySelector(".job-headline").textContent = job.headline;
      box.querySelector(".job-message").textContent = job.message || "";
      var active = job.state === "queued" || job.state === "running";
      var bar = box.querySelector(".job-progress");
      bar.hidden = !active;
      if (job.total) { bar.max = job.total; bar.value = job.done; } else { bar.removeAttribute("value"); }
      box.querySelector(".job-count").textContent = active && job.total ? job.done + "/" + job.total : "";
      var stuck = box.querySelector(".job-stuck");
      stuck.textContent = job.stuck || "";
      stuck.hidden = !job.stuck;
      var rerun = box.querySelector(".job-rerun");
      if (rerun) rerun.hidden = job.state !== "failed";
      return active;
    }
    function poll() {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (job) { if (show(job)) setTimeout(poll, 2000); })
        .catch(function () { setTimeout(poll, 10000); });
    }
    setTimeout(poll, 1000);
  }
  Array.prototype.forEach.call(document.querySelectorAll(".job-status[data-poll]"), follow);
})();
