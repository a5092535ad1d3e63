/* 长辈模式 (elder mode): larger text, stronger contrast, bigger targets, a simpler header.
 *
 * Loaded without defer in <head>, so the class is on <html> before the first paint (no flash of the
 * standard page). The choice comes from the address (?mode=elder / ?mode=normal, which is also
 * remembered) or else from localStorage; the server never varies a page by cookie, so cached pages
 * stay shared. The header's toggle button switches and remembers; the class "has-mode-switch", set
 * here at once, shows it from the first paint (without scripts it stays hidden: it could not work).
 */
(function () {
  "use strict";
  var KEY = "casebook-mode";
  var CLASS = "elder";
  var root = document.documentElement;
  root.classList.add("has-mode-switch");

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }

  function remember(mode) {
    try { window.localStorage.setItem(KEY, mode); } catch (e) { /* private mode: this page only */ }
  }

  var asked = /[?&]mode=(elder|normal)(?:&|$)/.exec(window.location.search);
  if (asked) remember(asked[1]);
  var mode = asked ? asked[1] : stored();
  if (mode === "elder") root.classList.add(CLASS);
  else if (mode === "normal") root.classList.remove(CLASS);

  function show(button) {
    button.setAttribute("aria-pressed", root.classList.contains(CLASS) ? "true" : "false");
  }

  function wire() {
    var buttons = document.querySelectorAll("button.mode-toggle");
    Array.prototype.forEach.call(buttons, function (button) {
      show(button);
      button.addEventListener("click", function () {
        var on = !root.classList.contains(CLASS);
        root.classList.toggle(CLASS, on);
        remember(on ? "elder" : "normal");
        Array.prototype.forEach.call(buttons, show);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
