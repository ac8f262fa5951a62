/* global document, navigator, window */
// The card page's only script: keeps the page for offline use (service worker), says when it is offline, shares the invite code.
(function () {
  'use strict';
  var note = document.getElementById('offline');
  function mark() {
    if (note) note.hidden = navigator.onLine !== false;
  }
  mark();
  window.addEventListener('online', mark);
  window.addEventListener('offline', mark);
  // The invite code's share button: the system share sheet where there is one, else a copy to the clipboard.
  var share = document.getElementById('share');
  function copied() {
    share.textContent = share.getAttribute('data-copied');
  }
  function copyOld(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    var ok;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    document.body.removeChild(ta);
    if (ok) copied();
  }
  if (share) {
    share.hidden = false;
    share.addEventListener('click', function () {
      var text = share.getAttribute('data-text');
      var url = share.getAttribute('data-url');
      if (navigator.share) {
        navigator.share(url ? { text: text, url: url } : { text: text }).catch(function () {});
        return;
      }
      var all = url ? text + ' ' + url : text;
      if (navigator.clipboard && navigator.clipboard.writeText)
        navigator.clipboard.writeText(all).then(copied, function () {
          copyOld(all);
        });
      else copyOld(all);
    });
  }
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/card/sw.js', { scope: '/card/' }).catch(function () {});
})();
