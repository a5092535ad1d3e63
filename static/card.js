/* A4 card: the 打印 button prints the page (hidden in print by the card's own styles). */
(function () {
  "use strict";
  var button = document.querySelector("button.print");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
