/* global document, window, fetch, URL */
// The registration page's script (served as a file: the CSP forbids inline scripts).
// Step 1 asks the hub for an SMS code; step 2 sends the form with the code and opens the card page.
(function () {
  'use strict';
  var form = document.getElementById('reg');
  if (!form) return;
  var slug = form.getAttribute('data-slug');
  var needsSms = form.getAttribute('data-sms') === 'true';
  var msg = document.getElementById('msg');
  var sendBtn = document.getElementById('send-code');
  var submitBtn = document.getElementById('submit');
  var codeRow = document.getElementById('code-row');
  var requestId = null;
  var api = '/v1/public/forms/' + encodeURIComponent(slug);

  function show(text) {
    msg.textContent = text || '';
  }

  function problemText(p) {
    if (!p) return 'Error';
    var parts = [p.detail || p.title || 'Error'];
    if (p.errors && p.errors.length) {
      parts.push(
        p.errors
          .map(function (e) {
            return e.field + ': ' + e.message;
          })
          .join('; '),
      );
    }
    return parts.join(' — ');
  }

  function post(path, body) {
    return fetch(api + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res
        .json()
        .catch(function () {
          return null;
        })
        .then(function (data) {
          return { ok: res.ok, status: res.status, data: data };
        });
    });
  }

  function value(name) {
    var el = form.elements.namedItem(name);
    return el && el.value ? el.value.trim() : '';
  }

  if (sendBtn) {
    sendBtn.addEventListener('click', function () {
      show('');
      sendBtn.disabled = true;
      post('/sms-codes', { phone: value('phone') })
        .then(function (r) {
          sendBtn.disabled = false;
          if (!r.ok) return show(problemText(r.data));
          requestId = r.data.requestId;
          codeRow.hidden = false;
          submitBtn.hidden = false;
          document.getElementById('f-code').focus();
        })
        .catch(function () {
          sendBtn.disabled = false;
          show('Network error');
        });
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    show('');
    var body = { phone: value('phone'), consent: form.elements.namedItem('consent').checked };
    if (needsSms) {
      body.requestId = requestId || undefined;
      body.code = value('code') || undefined;
    }
    ['name', 'birthday', 'email', 'gender', 'referralCode'].forEach(function (k) {
      var v = value(k);
      if (v) body[k] = v;
    });
    var mc = form.elements.namedItem('marketingConsent');
    if (mc) body.marketingConsent = mc.checked;
    var vars = {};
    Array.prototype.forEach.call(form.querySelectorAll('[data-var]'), function (el) {
      var key = el.getAttribute('data-var');
      var type = el.getAttribute('data-type');
      if (type === 'checkbox') vars[key] = el.checked;
      else if (el.value !== '') vars[key] = type === 'number' ? Number(el.value) : el.value;
    });
    if (Object.keys(vars).length) body.variables = vars;
    var utm = {};
    Array.prototype.forEach.call(form.querySelectorAll('[data-utm]'), function (el) {
      utm[el.getAttribute('data-utm')] = el.value;
    });
    if (Object.keys(utm).length) body.utm = utm;
    submitBtn.disabled = true;
    post('/registrations', body)
      .then(function (r) {
        submitBtn.disabled = false;
        if (!r.ok) return show(problemText(r.data));
        // Pages without SMS codes answer the same for every phone: the card link comes by SMS.
        if (r.data && r.data.status === 'link_sent') {
          form.reset();
          return show(r.data.detail);
        }
        // The card page is served by this same hub: stay on the origin the page came from.
        var u = new URL(r.data.cardUrl, window.location.href);
        window.location.assign(u.pathname + u.search);
      })
      .catch(function () {
        submitBtn.disabled = false;
        show('Network error');
      });
  });
})();
