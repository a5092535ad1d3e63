/* Share bar: copy-link that also works in WeChat's in-app browser over plain http, and the
   optional JS-SDK share card. No third-party code; WeChat's own SDK only when configured. */
(function () {
  "use strict";

  function legacyCopy(text) {
    // The async clipboard API is missing over http and in older WebViews: select a text field and copy.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "-9999px";
    area.style.fontSize = "16px";
    document.body.appendChild(area);
    area.select();
    area.setSelectionRange(0, text.length);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function copy(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(legacyCopy(text)); });
    } else {
      done(legacyCopy(text));
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-share-copy]"), function (button) {
    button.addEventListener("click", function () {
      var box = button.closest(".share");
      var status = box.querySelector(".share-status");
      var field = box.querySelector(".share-url");
      copy(button.getAttribute("data-share-copy"), function (ok) {
        if (ok) {
          box.classList.add("share-copied");
          status.textContent = "链接已复制，可以粘贴到微信群或发给好友";
        } else {
          // Last resort: show the link selected, for a long press and manual copy.
          box.classList.add("share-manual");
          field.focus();
          field.select();
          field.setSelectionRange(0, field.value.length);
          status.textContent = "请长按上面的链接，选择“全选”后复制";
        }
      });
    });
  });

  var data = document.getElementById("share-data");
  if (!data || !window.wx || !window.fetch) { return; }
  var page = location.href.split("#")[0];
  fetch(data.getAttribute("data-api") + "?url=" + encodeURIComponent(page), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (c) {
      var wx = window.wx;
      wx.config({ debug: false, appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature,
        jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"] });
      wx.ready(function () {
        var card = { title: data.getAttribute("data-title"), desc: data.getAttribute("data-desc"),
          link: data.getAttribute("data-link"), imgUrl: data.getAttribute("data-img") };
        wx.updateAppMessageShareData(card);
        wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
        document.documentElement.setAttribute("data-wechat-card", "ready");
      });
    })
    .catch(function () { /* WeChat shows its default card */ });
})();
