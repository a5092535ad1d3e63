// The table of contents of a long entry (templates/public/_article.html): open on wide screens,
// collapsed on phones, where it would push the article a screen down. Runs again only when the
// width crosses the line (a phone turned sideways), so a reader's own open/close is kept otherwise.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 48rem)");
  function apply() {
    document.querySelectorAll("details.toc-details").forEach(function (details) {
      details.open = wide.matches;
    });
  }
  apply();
  if (wide.addEventListener) {
    wide.addEventListener("change", apply);
  }
})();
