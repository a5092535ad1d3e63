/* 公众号 export page: copy the 阅读原文 link, and copy the article as rich text (the 公众号 editor keeps
   inline styles) with a selection-and-execCommand fallback for WebViews without the async clipboard. */
(function () {
  var status = document.getElementById("gzh-status");
  function done(ok) { status.textContent = ok ? "已复制" : "复制失败，请手动选中后复制"; }
  function selectAndCopy(node) {
    var range = document.createRange(); range.selectNodeContents(node);
    var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
    var ok = false; try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    return ok;
  }
  document.querySelector('[data-copy="readmore"]').addEventListener("click", function () {
    var field = document.getElementById("gzh-readmore"); field.focus(); field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(document.execCommand("copy")); });
    } else { var ok = false; try { ok = document.execCommand("copy"); } catch (e) {} done(ok); }
  });
  document.querySelector('[data-copy="article"]').addEventListener("click", function () {
    var node = document.getElementById("gzh-article");
    var html = node.innerHTML;
    if (navigator.clipboard && window.ClipboardItem && window.isSecureContext) {
      var item = new ClipboardItem({ "text/html": new Blob([html], { type: "text/html" }),
                                     "text/plain": new Blob([node.innerText], { type: "text/plain" }) });
      navigator.clipboard.write([item]).then(function () { done(true); }, function () { done(selectAndCopy(node)); });
    } else { done(selectAndCopy(node)); }
  });
})();
