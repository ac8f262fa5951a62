/* global document, navigator, window */
// The card page's only script: keeps the page for offline use (service worker) and says when it is offline.
(function () {
  'use strict';
  var note = document.getElementById('offline');
  function mark() {
    if (note) note.hidden = navigator.onLine !== false;
  }
  mark();
  window.addEventListener('online', mark);
  window.addEventListener('offline', mark);
  // The invite code's share button: the system share sheet where there is one, else it stays hidden.
  var share = document.getElementById('share');
  if (share && navigator.share) {
    share.hidden = false;
    share.addEventListener('click', function () {
      var data = { text: share.parentNode.querySelector('p').textContent };
      if (share.getAttribute('data-url')) data.url = share.getAttribute('data-url');
      navigator.share(data).catch(function () {});
    });
  }
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/card/sw.js', { scope: '/card/' }).catch(function () {});
})();
