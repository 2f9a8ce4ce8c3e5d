/*
 * The micro web dashboard. One page for every path: this script routes on
 * location.pathname (/login, /, /service/<svc>, /service/<svc>/<Endpoint>,
 * /runtime, /runtime/<svc>) and links are ordinary page loads.
 *
 * Unary calls go straight to the API gateway named by /config.json, with the
 * user's token (cookie micro-token) as Authorization, so the gateway's auth
 * rules apply. Streams go to this server's /stream/<svc>/<Endpoint>, which
 * relays them to the proxy and answers newline-delimited JSON (web_stream.h).
 * Text from the server only ever reaches the page as text nodes (MicroForm.h).
 */
(function () {
  'use strict';
  var h = MicroForm.h;
  var main = document.getElementById('main');
  var TOKEN_EXPIRY = 30 * 24 * 3600;   /* what upstream's dashboard asks for */
  var config = null;

  /* ---- the token -------------------------------------------------------------- */

  function token() {
    var m = document.cookie.match(/(?:^|;\s*)micro-token=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : '';
  }

  function setToken(tok, expiry) {
    var when = new Date((Number(expiry) || Date.now() / 1000 + TOKEN_EXPIRY) * 1000);
    document.cookie = 'micro-token=' + encodeURIComponent(tok) + '; Path=/; SameSite=Strict; Expires=' +
      when.toUTCString();
  }

  function toLogin() {
    document.cookie = 'micro-token=; Path=/; Max-Age=0; SameSite=Strict';
    location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
  }

  /* ---- calls ------------------------------------------------------------------ */

  /* "/helloworld/Helloworld/Call" for (helloworld, Helloworld.Call) */
  function gatewayPath(service, endpoint) {
    var dot = endpoint.indexOf('.');
    return '/' + service.split('.').map(encodeURIComponent).join('/') + '/' +
      encodeURIComponent(endpoint.slice(0, dot)) + '/' + encodeURIComponent(endpoint.slice(dot + 1));
  }

  /* A unary call through the gateway: resolves to the response, rejects with
   * {status, error} where error is the micro error ({id, code, detail, status}). */
  function call(service, endpoint, body, anonymous) {
    var headers = { 'Content-Type': 'application/json' };
    if (!anonymous && token()) headers.Authorization = 'Bearer ' + token();
    return fetch(config.api + gatewayPath(service, endpoint), {
      method: 'POST', headers: headers, body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : {}; } catch (e) { json = null; }
        if (r.ok) return json === null ? text : json;
        if (r.status === 401 && !anonymous) toLogin();
        throw { status: r.status, error: json && typeof json === 'object' ? json : { detail: text } };
      });
    }, function (e) {
      throw { status: 0, error: { detail: 'cannot reach the API gateway at ' + config.api + ': ' + e.message } };
    });
  }

  /* A stream through this server: onEvent gets each line's object ({message},
   * {done} or {error}); resolves when the stream ends. */
  function stream(service, endpoint, body, onEvent, signal) {
    var headers = { 'Content-Type': 'application/json' };
    if (token()) headers.Authorization = 'Bearer ' + token();
    return fetch('/stream/' + encodeURIComponent(service) + '/' + encodeURIComponent(endpoint), {
      method: 'POST', headers: headers, body: typeof body === 'string' ? body : JSON.stringify(body || {}),
      signal: signal
    }).then(function (r) {
      var reader = r.body.getReader(), decoder = new TextDecoder(), pending = '';
      function lines(text) {
        var parts = (pending + text).split('\n');
        pending = parts.pop();
        parts.forEach(function (line) {
          if (!line) return;
          try { onEvent(JSON.parse(line)); } catch (e) { onEvent({ raw: line }); }
        });
      }
      function next() {
        return reader.read().then(function (step) {
          if (step.done) { lines('\n'); return; }
          lines(decoder.decode(step.value, { stream: true }));
          return next();
        });
      }
      return next();
    });
  }

  function errorText(err) {
    var e = err && err.error ? err.error : err || {};
    var head = [e.code || err.status, e.id].filter(Boolean).join(' ');
    return (head ? head + ': ' : '') + (e.detail || e.message || JSON.stringify(e));
  }

  function errorBox(err) {
    return h('div', { class: 'error', role: 'alert', text: errorText(err) });
  }

  /* ---- rendering responses ---------------------------------------------------- */

  /* A value as nested fields; URLs become links. */
  function fields(v) {
    if (v === null || v === undefined) return h('span', { class: 'muted', text: 'null' });
    if (Array.isArray(v)) {
      if (!v.length) return h('span', { class: 'muted', text: '[]' });
      return h('ol', {}, v.map(function (x) { return h('li', {}, fields(x)); }));
    }
    if (typeof v === 'object') {
      var keys = Object.keys(v);
      if (!keys.length) return h('span', { class: 'muted', text: '{}' });
      return h('dl', { class: 'fields' }, keys.map(function (k) {
        return [h('dt', { text: k }), h('dd', {}, fields(v[k]))];
      }));
    }
    if (typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v))
      return h('a', { href: v, rel: 'noopener noreferrer', target: '_blank', text: v });
    return h('span', { class: 'value', text: String(v) });
  }

  function json(v) {
    return h('pre', { class: 'json', text: typeof v === 'string' ? v : JSON.stringify(v, null, 2) });
  }

  /* Tab buttons: names -> onSelect(name); returns {el, select}. */
  function tabs(id, names, onSelect) {
    var buttons = {};
    var el = h('div', { class: 'tabs', role: 'tablist', id: id }, names.map(function (n) {
      buttons[n] = h('button', { type: 'button', role: 'tab', 'data-tab': n, text: n,
                                 onclick: function () { select(n); } });
      return buttons[n];
    }));
    function select(n) {
      names.forEach(function (m) { buttons[m].classList.toggle('active', m === n); });
      onSelect(n);
    }
    return { el: el, select: select };
  }

  function show() {
    main.textContent = '';
    Array.prototype.slice.call(arguments).forEach(function (c) { if (c) main.appendChild(c); });
  }

  /* ---- login ------------------------------------------------------------------ */

  function safeNext() {
    var n = new URLSearchParams(location.search).get('next') || '/';
    return n[0] === '/' && n[1] !== '/' && n[1] !== '\\' ? n : '/';
  }

  function loginPage() {
    document.getElementById('nav').classList.add('hidden');
    var user = h('input', { type: 'text', id: 'username', name: 'username', autocomplete: 'username' });
    var pass = h('input', { type: 'password', id: 'password', name: 'password',
                            autocomplete: 'current-password' });
    var problem = h('div', { class: 'error hidden', id: 'login-error', role: 'alert' });
    var button = h('button', { type: 'submit', class: 'primary', id: 'login', text: 'Log in' });
    var form = h('form', { class: 'login' },
      h('h1', { text: 'Log in to micro' }),
      h('label', { for: 'username', text: 'Username' }), user,
      h('label', { for: 'password', text: 'Password' }), pass,
      h('div', { class: 'actions' }, button), problem);
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      button.disabled = true;
      problem.classList.add('hidden');
      call('auth', 'Auth.Token', { id: user.value, secret: pass.value, token_expiry: TOKEN_EXPIRY }, true)
        .then(function (rsp) {
          var t = rsp && rsp.token;
          if (!t || !t.access_token) throw { status: 0, error: { detail: 'no token in the answer' } };
          setToken(t.access_token, t.expiry);
          location.assign(safeNext());
        }).catch(function (err) {
          problem.textContent = errorText(err);
          problem.classList.remove('hidden');
          button.disabled = false;
        });
    });
    show(form);
    user.focus();
  }

  /* ---- services --------------------------------------------------------------- */

  var RECENT_KEY = 'micro.recent';

  function recent() {
    try { return JSON.parse(localStorage.getItem(RECENT_KEY)) || []; } catch (e) { return []; }
  }

  function remember(query) {
    var list = recent().filter(function (q) { return q !== query; });
    list.unshift(query);
    localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, 10)));
  }

  /* "svc endpoint k=v k=v" -> the endpoint page with those fields pre-filled */
  function jump(query) {
    var words = query.trim().split(/\s+/), svc = words[0], ep = words[1];
    if (!svc) return false;
    remember(query.trim());
    var url = '/service/' + encodeURIComponent(svc);
    if (ep) {
      var params = new URLSearchParams();
      words.slice(2).forEach(function (kv) {
        var eq = kv.indexOf('=');
        if (eq > 0) params.append(kv.slice(0, eq), kv.slice(eq + 1));
      });
      url += '/' + encodeURIComponent(ep) + (params.toString() ? '?' + params : '');
    }
    location.assign(url);
    return true;
  }

  function servicesPage() {
    var filter = h('input', { type: 'search', id: 'filter', autocomplete: 'off',
                              placeholder: 'Filter services, or type: service endpoint key=value' });
    var list = h('ul', { class: 'list', id: 'services' });
    var count = h('p', { class: 'muted', id: 'count' });
    var recentList = h('ul', { class: 'list', id: 'recent' }, recent().map(function (q) {
      return h('li', {}, h('a', { href: '#', text: q, onclick: function (ev) { ev.preventDefault(); jump(q); } }));
    }));
    show(h('h1', { text: 'Services' }), filter, count, list,
         recent().length ? h('h2', { text: 'Recent' }) : null, recentList);
    function apply() {
      var word = filter.value.trim().split(/\s+/)[0].toLowerCase(), shown = 0;
      Array.prototype.forEach.call(list.children, function (li) {
        var hit = li.getAttribute('data-name').toLowerCase().indexOf(word) >= 0;
        li.classList.toggle('hidden', !hit);
        if (hit) shown++;
      });
      count.textContent = shown + ' of ' + list.children.length + ' services';
    }
    filter.addEventListener('input', apply);
    filter.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter') return;
      var visible = list.querySelectorAll('li:not(.hidden) a');
      if (filter.value.trim().split(/\s+/).length > 1) jump(filter.value);
      else if (visible.length === 1) location.assign(visible[0].href);
    });
    call('registry', 'Registry.ListServices', {}).then(function (rsp) {
      var names = {};
      (rsp.services || []).forEach(function (s) { names[s.name] = true; });
      Object.keys(names).sort().forEach(function (n) {
        list.appendChild(h('li', { 'data-name': n },
          h('a', { href: '/service/' + encodeURIComponent(n), text: n })));
      });
      apply();
      filter.focus();
    }).catch(function (err) { main.appendChild(errorBox(err)); });
  }

  /* ---- a service -------------------------------------------------------------- */

  function streamKind(ep) {
    var md = ep.metadata || {};
    return md.stream === 'true' ? md.stream_kind || 'bidi' : '';
  }

  /* A Value tree as indented text: "name type" per line. */
  function schemaText(v, depth, out) {
    if (!v) return out;
    out.push(new Array(depth + 1).join('  ') + (v.name || '') + ' ' + (v.type || ''));
    (v.values || []).forEach(function (c) { schemaText(c, depth + 1, out); });
    return out;
  }

  function getService(name) {
    return call('registry', 'Registry.GetService', { service: name }).then(function (rsp) {
      var list = rsp.services || [];
      if (!list.length) throw { status: 404, error: { detail: 'service ' + name + ' not found' } };
      return list;
    });
  }

  function servicePage(name) {
    show(h('h1', { text: name }));
    getService(name).then(function (versions) {
      versions.forEach(function (svc) {
        var eps = (svc.endpoints || []).slice().sort(function (a, b) { return a.name < b.name ? -1 : 1; });
        main.appendChild(h('p', { class: 'muted', text: 'version ' + (svc.version || '') }));
        main.appendChild(h('h2', { text: 'Endpoints' }));
        main.appendChild(eps.length ? h('ul', { class: 'list', id: 'endpoints' }, eps.map(function (ep) {
          var kind = streamKind(ep);
          return h('li', {}, h('a', { href: '/service/' + encodeURIComponent(name) + '/' +
                                          encodeURIComponent(ep.name), text: ep.name }),
                   kind ? h('span', { class: 'badge', text: kind + ' stream' }) : null);
        })) : h('p', { class: 'muted', text: 'This service publishes no endpoints.' }));
        main.appendChild(h('h2', { text: 'Nodes' }));
        main.appendChild(h('table', { id: 'nodes' },
          h('tr', {}, h('th', { text: 'ID' }), h('th', { text: 'Address' }), h('th', { text: 'Metadata' })),
          (svc.nodes || []).map(function (n) {
            return h('tr', {}, h('td', { text: n.id }), h('td', { text: n.address }),
                     h('td', {}, fields(n.metadata || {})));
          })));
        main.appendChild(h('h2', { text: 'Schemas' }));
        eps.forEach(function (ep) {
          main.appendChild(h('details', {}, h('summary', { text: ep.name }),
            h('pre', { text: 'request\n' + schemaText(ep.request, 1, []).join('\n') +
                             '\n\nresponse\n' + schemaText(ep.response, 1, []).join('\n') })));
        });
      });
      main.appendChild(h('p', {}, h('a', { href: '/runtime/' + encodeURIComponent(name),
                                           text: 'Logs on the runtime' })));
    }).catch(function (err) { main.appendChild(errorBox(err)); });
  }

  /* ---- an endpoint ------------------------------------------------------------ */

  function findEndpoint(versions, wanted) {
    var all = [];
    versions.forEach(function (s) { all = all.concat(s.endpoints || []); });
    var lower = wanted.toLowerCase();
    return all.filter(function (e) { return e.name === wanted; })[0] ||
      all.filter(function (e) { return e.name.toLowerCase() === lower; })[0] ||
      all.filter(function (e) { return e.name.toLowerCase().split('.')[1] === lower; })[0];
  }

  /* The request the URL carries: ?req=<JSON>, or key=value pairs (dot paths nest). */
  function prefill() {
    var params = new URLSearchParams(location.search), out = null;
    if (params.has('req')) {
      try { return JSON.parse(params.get('req')); } catch (e) { return null; }
    }
    params.forEach(function (v, k) {
      var o = out = out || {}, parts = k.split('.');
      parts.slice(0, -1).forEach(function (p) { o = o[p] = typeof o[p] === 'object' ? o[p] : {}; });
      o[parts[parts.length - 1]] = v;
    });
    return out;
  }

  function shq(s) {
    return "'" + s.replace(/'/g, "'\\''") + "'";
  }

  function endpointPage(service, wanted) {
    show(h('h1', { text: service + ' ' + wanted }));
    getService(service).then(function (versions) {
      var ep = findEndpoint(versions, wanted);
      if (!ep) throw { status: 404, error: { detail: 'endpoint ' + wanted + ' not found in ' + service } };
      var path = '/service/' + encodeURIComponent(service) + '/' + encodeURIComponent(ep.name);
      if (location.pathname !== path) history.replaceState(null, '', path + location.search);
      endpointView(service, ep);
    }).catch(function (err) { main.appendChild(errorBox(err)); });
  }

  function endpointView(service, ep) {
    var kind = streamKind(ep), mode = 'Form', view = 'Fields', results = [];
    var form = MicroForm.build(ep.request, update);
    var raw = h('textarea', { id: 'raw', class: 'hidden', spellcheck: 'false', oninput: update });
    var problem = h('div', { class: 'error hidden', id: 'request-error' });
    var callButton = h('button', { type: 'button', class: 'primary', id: 'call', text: kind ? 'Start' : 'Call' });
    var stopButton = h('button', { type: 'button', id: 'stop', class: 'hidden', text: 'Stop' });
    var status = h('span', { class: 'muted', id: 'call-status' });
    var microCmd = h('pre', { id: 'micro-cmd' }), curlCmd = h('pre', { id: 'curl-cmd' });
    var share = h('a', { id: 'share', text: 'Link to this request' });
    var output = h('div', { id: 'response' });
    var controller = null;

    var inputTabs = tabs('input-tabs', ['Form', 'JSON'], function (n) {
      if (n === mode) return;
      try {
        if (n === 'JSON') raw.value = JSON.stringify(form.get(), null, 2);
        else form.set(JSON.parse(raw.value || '{}'));
      } catch (e) { /* keep what the other tab had; update() reports the problem */ }
      mode = n;
      form.el.classList.toggle('hidden', n !== 'Form');
      raw.classList.toggle('hidden', n !== 'JSON');
      update();
    });
    var outputTabs = tabs('output-tabs', ['Fields', 'JSON'], function (n) { view = n; render(); });

    function request() {
      if (mode === 'JSON') {
        try { return JSON.parse(raw.value || '{}'); } catch (e) { throw new Error('the JSON is not valid: ' + e.message); }
      }
      return form.get();
    }

    function update() {
      var body;
      try { body = request(); } catch (e) {
        problem.textContent = e.message;
        problem.classList.remove('hidden');
        callButton.disabled = true;
        return;
      }
      problem.classList.add('hidden');
      callButton.disabled = false;
      var text = JSON.stringify(body);
      microCmd.textContent = 'micro ' + (kind ? 'stream' : 'call') + ' ' + service + ' ' + ep.name + ' ' + shq(text);
      curlCmd.textContent = 'curl ' + (kind ? '-N ' : '') + "-H 'Content-Type: application/json' " +
        '-H "Authorization: Bearer $MICRO_TOKEN" -d ' + shq(text) + ' ' +
        (kind ? location.origin + '/stream/' + service + '/' + ep.name : config.api + gatewayPath(service, ep.name));
      share.href = location.pathname + '?req=' + encodeURIComponent(text);
    }

    function render() {
      output.textContent = '';
      results.forEach(function (r) {
        var box = r.error ? errorBox(r.error) : view === 'JSON' ? json(r.value) : fields(r.value);
        output.appendChild(kind ? h('div', { class: 'message' }, box) : box);
      });
    }

    function runUnary(body) {
      status.textContent = 'calling\u2026';
      call(service, ep.name, body).then(function (rsp) {
        results = [{ value: rsp }];
        status.textContent = 'ok';
      }, function (err) {
        results = [{ error: err }];
        status.textContent = 'failed';
      }).then(function () { callButton.disabled = false; render(); });
    }

    function runStream(body) {
      var count = 0;
      controller = new AbortController();
      stopButton.classList.remove('hidden');
      status.textContent = 'streaming\u2026';
      stream(service, ep.name, body, function (ev) {
        if (ev.message !== undefined) {
          results.push({ value: ev.message });
          count++;
          status.textContent = 'streaming\u2026 ' + count + ' message' + (count === 1 ? '' : 's');
        } else if (ev.error) {
          results.push({ error: { error: ev.error } });
        } else if (ev.done) {
          status.textContent = 'done, ' + count + ' message' + (count === 1 ? '' : 's');
        } else if (ev.raw) {
          results.push({ value: ev.raw });
        }
        render();
      }, controller.signal).catch(function (e) {
        status.textContent = e.name === 'AbortError' ? 'stopped' : 'failed: ' + e.message;
      }).then(function () {
        stopButton.classList.add('hidden');
        callButton.disabled = false;
        controller = null;
      });
    }

    callButton.addEventListener('click', function () {
      var body;
      try { body = request(); } catch (e) { update(); return; }
      callButton.disabled = true;
      results = [];
      render();
      if (kind) runStream(body); else runUnary(body);
    });
    stopButton.addEventListener('click', function () { if (controller) controller.abort(); });

    var initial = prefill();
    if (initial) { form.set(initial); raw.value = JSON.stringify(initial, null, 2); }
    main.textContent = '';
    main.appendChild(h('h1', {}, h('a', { href: '/service/' + encodeURIComponent(service), text: service }),
                       ' ' + ep.name, kind ? h('span', { class: 'badge', text: kind + ' stream' }) : null));
    [inputTabs.el, form.el, raw, problem,
     h('div', { class: 'actions' }, callButton, stopButton, status, share),
     h('h2', { text: 'Response' }), outputTabs.el, output,
     h('h2', { text: 'The same from a terminal' }), microCmd, curlCmd].forEach(function (e) { main.appendChild(e); });
    inputTabs.select('Form');
    outputTabs.select('Fields');
    update();
  }

  /* ---- the runtime ------------------------------------------------------------ */

  var STATUS = ['unknown', 'pending', 'building', 'starting', 'running', 'stopping', 'stopped', 'error'];

  function runtimePage() {
    var body = h('tbody', { id: 'runtime' });
    show(h('h1', { text: 'Runtime' }),
         h('table', {}, h('thead', {}, h('tr', {}, ['Name', 'Version', 'Source', 'Status', 'Error']
           .map(function (t) { return h('th', { text: t }); }))), body));
    call('runtime', 'Runtime.Read', {}).then(function (rsp) {
      var list = rsp.services || [];
      if (!list.length)
        main.appendChild(h('p', { class: 'muted', id: 'runtime-empty',
                                  text: 'No services on the runtime: start one with micro run.' }));
      list.forEach(function (s) {
        var md = s.metadata || {}, st = STATUS[s.status] || md.status || 'unknown';
        body.appendChild(h('tr', {},
          h('td', {}, h('a', { href: '/runtime/' + encodeURIComponent(s.name), text: s.name })),
          h('td', { text: s.version || '' }), h('td', { text: md.source || s.source || '' }),
          h('td', { class: st === 'error' ? 'status-bad' : st === 'running' ? 'status-ok' : '', text: st }),
          h('td', { text: md.error || '' })));
      });
    }).catch(function (err) { main.appendChild(errorBox(err)); });
  }

  function logsPage(name) {
    var out = h('pre', { class: 'logs', id: 'logs' });
    var status = h('span', { class: 'muted', id: 'logs-status', text: 'following\u2026' });
    var controller = new AbortController();
    var stop = h('button', { type: 'button', id: 'stop', text: 'Stop following',
                             onclick: function () { controller.abort(); } });
    show(h('h1', { text: 'Logs of ' + name }), h('div', { class: 'actions' }, stop, status), out);
    stream('runtime', 'Runtime.Logs', { service: name, stream: true, count: 200 }, function (ev) {
      if (ev.message) {
        var r = ev.message, ts = Number(r.timestamp);
        var when = ts ? new Date(ts * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' ' : '';
        var follow = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
        out.appendChild(document.createTextNode(when + (r.message || '') + '\n'));
        if (follow) out.scrollTop = out.scrollHeight;
      } else if (ev.error) {
        main.appendChild(errorBox({ error: ev.error }));
      }
    }, controller.signal).then(function () {
      status.textContent = 'the log ended';
    }, function (e) {
      status.textContent = e.name === 'AbortError' ? 'stopped' : 'failed: ' + e.message;
    }).then(function () { stop.disabled = true; });
  }

  /* ---- routing ---------------------------------------------------------------- */

  function route() {
    var parts = location.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (location.pathname === '/login') return loginPage();
    if (!token()) return toLogin();
    if (parts.length === 0) return servicesPage();
    if (parts[0] === 'service' && parts.length === 2) return servicePage(parts[1]);
    if (parts[0] === 'service' && parts.length === 3) return endpointPage(parts[1], parts[2]);
    if (parts[0] === 'runtime' && parts.length === 1) return runtimePage();
    if (parts[0] === 'runtime' && parts.length === 2) return logsPage(parts[1]);
    show(h('h1', { text: 'Not found' }), h('p', {}, 'Nothing here: ', h('a', { href: '/', text: 'services' })));
  }

  fetch('/config.json').then(function (r) { return r.json(); }).then(function (c) {
    config = c;
    route();
  }).catch(function (e) {
    show(errorBox({ error: { detail: 'cannot load the dashboard configuration: ' + e.message } }));
  });
})();
