/* global document, window, fetch, URL, setInterval, clearInterval */
// The registration page's script (a file: the CSP forbids inline scripts). Phone first: the phone,
// then the SMS code (submitted on its sixth digit), then the card page. Browser checks come first
// and show every field's problem at once on that field; the hub's answer is still the authority.
// «Уже есть карта?» switches the same form to recovery: phone → code → the card link.
(function () {
  'use strict';
  var form = document.getElementById('reg');
  if (!form) return;
  var T = JSON.parse(form.getAttribute('data-i18n'));
  var ru = document.documentElement.lang === 'ru';
  var slug = form.getAttribute('data-slug');
  var needsSms = form.getAttribute('data-sms') === 'true';
  var msg = document.getElementById('msg');
  var sendBtn = document.getElementById('send-code');
  var submitBtn = document.getElementById('submit');
  var codeRow = document.getElementById('code-row');
  var resendBtn = document.getElementById('resend');
  var phoneEl = document.getElementById('f-phone');
  var codeEl = document.getElementById('f-code');
  var regOnly = document.getElementById('reg-only');
  var more = document.getElementById('more');
  var haveCard = document.getElementById('have-card');
  var newCard = document.getElementById('new-card');
  var bySms = document.getElementById('by-sms');
  var requestId = null;
  // The last code sent from this page: a refused resend (the hub's cooldown) goes back to it.
  var last = null;
  var recover = false;
  var timer = null;
  var busy = false;
  var api = '/v1/public/forms/' + encodeURIComponent(slug);

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) {
      return values && values[k] != null ? values[k] : m;
    });
  }
  function show(text) {
    msg.textContent = text || '';
  }
  // Under ten minutes as m:ss (the resend countdown), longer in minutes (the hourly cap).
  function duration(s) {
    s = Math.max(0, Math.ceil(s));
    if (s < 600) return Math.floor(s / 60) + ':' + (s % 60 < 10 ? '0' : '') + (s % 60);
    return Math.ceil(s / 60) + (ru ? ' мин' : ' min');
  }

  // ---- phone: digits only, +7 numbers shown as +7 916 123-45-66 ----
  function digits(v) {
    return String(v || '').replace(/\D/g, '');
  }
  function e164(v) {
    var d = digits(v);
    if (d.length === 11 && d.charAt(0) === '8') d = '7' + d.slice(1);
    if (d.length === 10 && d.charAt(0) === '9') d = '7' + d;
    return d;
  }
  function pretty(d) {
    if (d.length !== 11 || d.charAt(0) !== '7') return '+' + d;
    return '+7 ' + d.slice(1, 4) + ' ' + d.slice(4, 7) + '-' + d.slice(7, 9) + '-' + d.slice(9);
  }
  function masked(d) {
    if (d.length === 11 && d.charAt(0) === '7') return '+7 ' + d.slice(1, 4) + ' ***-**-' + d.slice(9);
    return '+' + d.slice(0, 3) + '*****' + d.slice(-2);
  }
  phoneEl.addEventListener('blur', function () {
    var d = e164(phoneEl.value);
    if (d.length >= 10) phoneEl.value = pretty(d);
  });

  // ---- field errors: all at once, on the field, focus on the first ----
  function errBox(el) {
    var id = el.getAttribute('aria-describedby');
    return id ? document.getElementById(id) : null;
  }
  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll('[aria-invalid]'), function (el) {
      el.removeAttribute('aria-invalid');
      var b = errBox(el);
      if (b) {
        b.hidden = true;
        b.textContent = '';
      }
    });
    show('');
  }
  function setErrors(list) {
    list.forEach(function (x) {
      x.el.setAttribute('aria-invalid', 'true');
      var b = errBox(x.el);
      if (b) {
        b.textContent = x.text;
        b.hidden = false;
      }
      if (x.el.closest && x.el.closest('details')) x.el.closest('details').open = true;
    });
    if (list.length) list[0].el.focus();
  }
  function check(el) {
    var v = el.type === 'checkbox' ? el.checked : String(el.value || '').trim();
    if (el === phoneEl) {
      var d = e164(el.value);
      return d.length < 10 || d.length > 15 ? T['err.phone'] : null;
    }
    if (el.required && !v) return el.type === 'checkbox' && el.name === 'consent' ? T['err.consent'] : T['err.required'];
    if (!v) return null;
    if (el.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return T['err.email'];
    if (el.type === 'date' && (!/^\d{4}-\d{2}-\d{2}$/.test(v) || (el.max && v > el.max) || (el.min && v < el.min))) return T['err.date'];
    if (el.type === 'number' && isNaN(Number(v))) return T['err.number'];
    return null;
  }
  function validate(all) {
    var els = [phoneEl];
    if (all && !recover) els = els.concat(Array.prototype.slice.call(form.querySelectorAll('#reg-only input, #reg-only select, #more input, #more select')));
    var list = [];
    els.forEach(function (el) {
      var text = check(el);
      if (text) list.push({ el: el, text: text });
    });
    setErrors(list);
    return !list.length;
  }
  // The hub's field names → the page's fields.
  function fieldEl(name) {
    if (name === 'phone') return phoneEl;
    if (name === 'code' || name === 'requestId') return codeEl || phoneEl;
    if (name === 'referralCode') return document.getElementById('f-ref');
    if (name === 'consent') return document.getElementById('f-consent');
    var m = /^variables\.(.+)$/.exec(name);
    if (m) return document.getElementById('v-' + m[1]);
    return document.getElementById('f-' + name);
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
          var ra = Number(res.headers.get('retry-after')) || (data && data.retryAfterSeconds) || 0;
          return { ok: res.ok, status: res.status, data: data || {}, retryAfter: ra };
        });
    });
  }

  // The hub refused: on the fields it names, else one sentence in the page's language.
  function problem(r) {
    var p = r.data;
    var code = p.code;
    if (code === 'wrong_code' && codeEl) {
      var n = Math.max(0, Math.min(5, Number(p.attemptsLeft) || 0));
      codeEl.value = '';
      return setErrors([{ el: codeEl, text: T['err.wrongCode'][n] }]);
    }
    if (code === 'phone_country_not_allowed') return setErrors([{ el: phoneEl, text: T['err.phoneCountry'] }]);
    if (code === 'too_many_attempts' || code === 'code_expired' || code === 'code_used' || code === 'unknown_code_request') {
      stopTimer();
      if (resendBtn) {
        resendBtn.disabled = false;
        resendBtn.textContent = T.resend;
      }
    }
    if (T['problem.' + code]) return show(fill(T['problem.' + code], { time: duration(r.retryAfter || 60) }));
    if (p.errors && p.errors.length) {
      var list = [];
      p.errors.forEach(function (x) {
        var el = fieldEl(String(x.field || '').split('.')[0] === 'variables' ? x.field : String(x.field || '').split('.')[0]);
        if (
          el &&
          !list.some(function (y) {
            return y.el === el;
          })
        )
          list.push({ el: el, text: check(el) || T['err.invalid'] });
      });
      if (list.length) return setErrors(list);
    }
    show(T['problem.generic']);
  }

  function stopTimer() {
    if (timer) clearInterval(timer);
    timer = null;
  }
  function countdown(seconds) {
    stopTimer();
    var left = seconds;
    resendBtn.disabled = true;
    resendBtn.textContent = fill(T.resendIn, { time: duration(left) });
    timer = setInterval(function () {
      left -= 1;
      if (left > 0) {
        resendBtn.textContent = fill(T.resendIn, { time: duration(left) });
        return;
      }
      stopTimer();
      resendBtn.disabled = false;
      resendBtn.textContent = T.resend;
    }, 1000);
  }

  function sendCode() {
    clearErrors();
    if (!validate(true) || busy) return;
    busy = true;
    var d = e164(phoneEl.value);
    if (sendBtn) sendBtn.disabled = true;
    if (resendBtn) resendBtn.disabled = true;
    post('/sms-codes', { phone: '+' + d })
      .then(function (r) {
        busy = false;
        if (sendBtn) sendBtn.disabled = false;
        if (!r.ok) {
          if (resendBtn && !timer) resendBtn.disabled = false;
          // A code went to this phone a moment ago: back to entering it, the countdown from the hub's seconds.
          if (r.data.code === 'sms_cooldown' && last && last.phone === d) codeStep(d, last.requestId);
          if (r.status === 429 && resendBtn && r.retryAfter) countdown(r.retryAfter);
          return problem(r);
        }
        last = { phone: d, requestId: r.data.requestId };
        codeStep(d, r.data.requestId);
        codeEl.value = '';
        countdown(r.data.resendAfterSeconds || 60);
      })
      .catch(function () {
        busy = false;
        if (sendBtn) sendBtn.disabled = false;
        if (resendBtn) resendBtn.disabled = false;
        show(T['problem.network']);
      });
  }
  // The code step: the phone locked (masked in the sentence), the code field focused.
  function codeStep(d, id) {
    requestId = id;
    phoneEl.value = pretty(d);
    phoneEl.readOnly = true;
    document.getElementById('code-sent').textContent = fill(T.codeSent, { phone: masked(d) });
    codeRow.hidden = false;
    sendBtn.hidden = true;
    submitBtn.hidden = false;
    codeEl.focus();
  }
  if (sendBtn) sendBtn.addEventListener('click', sendCode);
  if (resendBtn) resendBtn.addEventListener('click', sendCode);
  var change = document.getElementById('change');
  if (change)
    change.addEventListener('click', function () {
      stopTimer();
      requestId = null;
      phoneEl.readOnly = false;
      codeRow.hidden = true;
      sendBtn.hidden = false;
      submitBtn.hidden = true;
      clearErrors();
      phoneEl.focus();
    });
  if (codeEl)
    codeEl.addEventListener('input', function () {
      codeEl.value = digits(codeEl.value).slice(0, 6);
      if (codeEl.value.length === 6 && !busy) submit();
    });

  function setMode(toRecover) {
    recover = toRecover;
    regOnly.hidden = recover;
    more.hidden = recover;
    haveCard.hidden = recover;
    newCard.hidden = !recover;
    if (bySms) bySms.hidden = recover;
    submitBtn.textContent = recover ? T.recover : T.register;
    clearErrors();
    phoneEl.focus();
  }
  haveCard.addEventListener('click', function () {
    setMode(true);
  });
  newCard.addEventListener('click', function () {
    setMode(false);
  });

  function go(url, extra) {
    // The card page is served by this same hub: stay on the origin the page came from.
    var u = new URL(url, window.location.href);
    window.location.assign(u.pathname + u.search + (extra || ''));
  }

  function registrationBody() {
    var body = { phone: '+' + e164(phoneEl.value), consent: document.getElementById('f-consent').checked };
    ['name', 'birthday', 'email', 'gender', 'referralCode'].forEach(function (k) {
      var el = form.elements.namedItem(k);
      var v = el && el.value ? el.value.trim() : '';
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
    return body;
  }

  function submit() {
    clearErrors();
    if (busy) return;
    if (!validate(true)) return;
    if (needsSms && !/^\d{6}$/.test(codeEl.value)) return setErrors([{ el: codeEl, text: T['err.code'] }]);
    var body = recover ? { phone: '+' + e164(phoneEl.value) } : registrationBody();
    if (needsSms) {
      body.requestId = requestId || undefined;
      body.code = codeEl.value;
    }
    busy = true;
    submitBtn.disabled = true;
    post(recover ? '/card-links' : '/registrations', body)
      .then(function (r) {
        busy = false;
        submitBtn.disabled = false;
        if (!r.ok) return problem(r);
        // Pages without SMS codes answer the same for every phone: the card link comes by SMS.
        if (r.data.status === 'link_sent') {
          form.reset();
          return show(T.linkSent);
        }
        stopTimer();
        go(r.data.cardUrl, (recover || r.data.existing ? '' : '&new=1') + (r.data.referralIgnored ? '&ref=ignored' : ''));
      })
      .catch(function () {
        busy = false;
        submitBtn.disabled = false;
        show(T['problem.network']);
      });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    submit();
  });
})();
