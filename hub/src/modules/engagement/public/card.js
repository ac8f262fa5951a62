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
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/card/sw.js', { scope: '/card/' }).catch(function () {});
})();
