// 征集 form: the community list shows only the chosen street's communities (the form works without it).
(function () {
  "use strict";
  function narrow(street, community) {
    var groups = community.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i++) {
      var on = !street.value || groups[i].getAttribute("data-street") === street.value;
      groups[i].hidden = !on;
      groups[i].disabled = !on;
    }
    var chosen = community.options[community.selectedIndex];
    if (chosen && chosen.parentNode.tagName === "OPTGROUP" && chosen.parentNode.disabled) {
      community.value = "";
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var street = document.getElementById("f-street");
    var community = document.getElementById("f-community");
    if (!street || !community) return;
    narrow(street, community);
    street.addEventListener("change", function () { narrow(street, community); });
  });
})();
