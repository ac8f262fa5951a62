/* global self, caches, fetch, Response, URL */
// Offline card pages: network first; the last page that loaded (and its logo) answers when offline.
'use strict';
var CACHE = 'card-pages-v1';
self.addEventListener('install', function () {
  self.skipWaiting();
});
self.addEventListener('activate', function (e) {
  e.waitUntil(self.clients.claim());
});
self.addEventListener('fetch', function (e) {
  var req = e.request;
  if (req.method !== 'GET') return;
  var url = new URL(req.url);
  var page = req.mode === 'navigate' && url.pathname.indexOf('/card/') === 0;
  var asset = url.pathname === '/static/engagement/card.js' || url.pathname.indexOf('/v1/public/wallet/images/') === 0;
  if (!page && !asset) return;
  e.respondWith(
    fetch(req)
      .then(function (res) {
        if (res.ok) {
          var copy = res.clone();
          caches.open(CACHE).then(function (c) {
            return c.put(req, copy);
          });
        }
        return res;
      })
      .catch(function () {
        return caches.open(CACHE).then(function (c) {
          return c.match(req).then(function (hit) {
            return hit || Response.error();
          });
        });
      }),
  );
});
