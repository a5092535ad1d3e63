/* casebook video chapters: a chapter of a <video> seeks and plays it; a chapter that reloads an
   embedded player (bilibili, by its link's target) brings the player into view. Delegated from the
   document, so it also works in the editor's live preview, which is replaced as staff type. */
(function () {
  "use strict";
  function playerOf(link) {
    var block = link.closest(".video");
    return block ? block.querySelector("video, iframe") : null;
  }
  function reveal(player) {
    var box = player.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) player.scrollIntoView({block: "center"});
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".chapters a.chapter") : null;
    if (!link) return;
    var player = playerOf(link);
    if (!player) return;
    if (player.tagName === "VIDEO" && link.hasAttribute("data-seek")) {
      event.preventDefault();
      var at = Number(link.getAttribute("data-seek"));
      /* before anything is loaded (preload="none") this sets where playback will start… */
      player.currentTime = at;
      if (player.readyState < 1) {
        /* …and once the length is known, the seek is made again, in case the browser forgot it */
        player.addEventListener("loadedmetadata", function () { player.currentTime = at; }, {once: true});
      }
      var playing = player.play();
      if (playing && playing.catch) playing.catch(function () { /* blocked or offline: the reader can press play */ });
      link.closest(".chapters").querySelectorAll("a.chapter").forEach(function (a) { a.removeAttribute("aria-current"); });
      link.setAttribute("aria-current", "true");
    }
    reveal(player);
  });
})();
