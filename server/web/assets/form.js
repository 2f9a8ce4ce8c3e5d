/*
 * Forms generated from an endpoint's request schema: the registry's Value tree
 * ({name, type, values}, Go type names, see shared/mc_schema.h). Messages
 * become fieldsets, bools checkboxes, numbers text inputs checked as you type,
 * repeated fields lists with add/remove, maps key/value rows; a field whose
 * type the tree does not describe (an enum, a message past the tree's depth)
 * takes JSON or plain text. Every field is a small object {el, get, set}:
 * get() gives the field's JSON value or undefined when left empty (so the
 * request carries only what the user filled in) and throws on invalid input.
 *
 * Everything is built with DOM calls and text nodes, never innerHTML, so
 * names and values that come from the server cannot inject markup.
 */
(function () {
  'use strict';

  /* h('div', {class: 'x', onclick: f}, child, 'text', [more]) */
  function h(tag, props) {
    var e = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      var v = props[k];
      if (v === undefined || v === null) return;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else if (k === 'value' || k === 'checked' || k === 'disabled') e[k] = v;
      else e.setAttribute(k, v);
    });
    append(e, Array.prototype.slice.call(arguments, 2));
    return e;
  }

  function append(e, children) {
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) append(e, c);
      else e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
  }

  var INT = /^-?\d+$/, UINT = /^\d+$/;
  var FLOAT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
  var BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  /* Scalar types: how to check the text and what JSON value it becomes. 64-bit
   * integers stay strings (jsonpb's form), so no digit is lost to doubles. */
  var SCALARS = {
    string: {},
    int32: { re: INT, num: true, min: -2147483648, max: 2147483647 },
    uint32: { re: UINT, num: true, min: 0, max: 4294967295 },
    int64: { re: INT }, uint64: { re: UINT },
    float32: { re: FLOAT, num: true }, float64: { re: FLOAT, num: true },
    '[]uint8': { re: BASE64, hint: 'base64' }
  };

  var nextId = 0;

  function isEmpty(v) {
    return v === undefined;
  }

  /* Shows (or clears) a text input's problem beside it; returns the problem. */
  function flag(input, problem, bad) {
    problem.textContent = bad;
    input.classList.toggle('invalid', bad !== '');
    return bad;
  }

  /* Puts a value in a text input: objects as JSON, nothing as empty. */
  function fill(input, v) {
    input.value = v === undefined || v === null ? '' :
      typeof v === 'object' ? JSON.stringify(v) : String(v);
  }

  /* A text input for a scalar; problems are shown beside it as you type. */
  function scalar(path, type, onChange) {
    var spec = SCALARS[type];
    var input = h('input', { type: 'text', name: path, id: 'f' + (++nextId), autocomplete: 'off' });
    var problem = h('span', { class: 'problem' });
    if (spec.num) input.setAttribute('inputmode', 'decimal');
    function check() {
      var t = input.value.trim(), bad = '';
      if (t !== '' && spec.re && !spec.re.test(t)) bad = 'not ' + (spec.hint || 'a valid ' + type);
      else if (t !== '' && spec.min !== undefined && (Number(t) < spec.min || Number(t) > spec.max))
        bad = 'out of range for ' + type;
      return flag(input, problem, bad);
    }
    input.addEventListener('input', function () { check(); onChange(); });
    return {
      el: input, extra: problem, id: input.id,
      get: function () {
        var bad = check(), t = type === 'string' ? input.value : input.value.trim();
        if (bad) throw new Error(path + ': ' + bad);
        if (t === '') return undefined;
        return spec.num ? Number(t) : t;
      },
      set: function (v) { fill(input, v); check(); },
      invalid: function () { return check() !== ''; }
    };
  }

  function checkbox(path, onChange) {
    var input = h('input', { type: 'checkbox', name: path, id: 'f' + (++nextId), onchange: onChange });
    return {
      el: input, id: input.id,
      get: function () { return input.checked ? true : undefined; },
      set: function (v) { input.checked = v === true || v === 'true'; },
      invalid: function () { return false; }
    };
  }

  /* A field the tree does not describe: JSON when it looks like JSON, a number
   * when it is one, else the text (an enum's name). */
  function loose(path, type, onChange) {
    var input = h('input', { type: 'text', name: path, id: 'f' + (++nextId), autocomplete: 'off',
                             placeholder: 'JSON or text' });
    var problem = h('span', { class: 'problem' });
    function parse() {
      var t = input.value.trim();
      if (t === '') return undefined;
      if (t[0] === '{' || t[0] === '[' || t[0] === '"') return JSON.parse(t);
      return FLOAT.test(t) ? Number(t) : t;
    }
    function check() {
      var bad = '';
      try { parse(); } catch (e) { bad = 'not valid JSON'; }
      return flag(input, problem, bad);
    }
    input.addEventListener('input', function () { check(); onChange(); });
    return {
      el: input, extra: problem, id: input.id,
      get: function () {
        if (check()) throw new Error(path + ': not valid JSON');
        return parse();
      },
      set: function (v) { fill(input, v); check(); },
      invalid: function () { return check() !== ''; }
    };
  }

  /* A list of elements of one type, with Add and Remove. */
  function repeated(path, elem, onChange) {
    var rows = [], list = h('div', { class: 'items' });
    var add = h('button', { type: 'button', class: 'small add', 'data-path': path, text: '+ Add' });
    function addRow(value) {
      var f = field(path + '[' + rows.length + ']', { name: '', type: elem, values: [] }, onChange, true);
      var row = h('div', { class: 'row' }, h('div', { class: 'item' }, f.el));
      var rm = h('button', { type: 'button', class: 'small remove', title: 'Remove', text: '\u00d7' });
      rm.addEventListener('click', function () {
        rows.splice(rows.indexOf(f), 1);
        row.remove();
        onChange();
      });
      row.appendChild(rm);
      rows.push(f);
      list.appendChild(row);
      if (value !== undefined) f.set(value);
      return f;
    }
    add.addEventListener('click', function () { addRow(); onChange(); });
    return {
      el: h('div', { class: 'repeated' }, list, add),
      get: function () {
        var out = rows.map(function (f) { return f.get(); }).filter(function (v) { return !isEmpty(v); });
        return out.length ? out : undefined;
      },
      set: function (v) {
        list.textContent = '';
        rows = [];
        (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).forEach(addRow);
      },
      invalid: function () { return rows.some(function (f) { return f.invalid(); }); }
    };
  }

  /* map[K]V: rows of key and value. */
  function map(path, valueType, onChange) {
    var rows = [], list = h('div', { class: 'items' });
    var add = h('button', { type: 'button', class: 'small add', 'data-path': path, text: '+ Add' });
    function addRow(key, value) {
      var k = h('input', { type: 'text', placeholder: 'key', name: path + '.key', oninput: onChange });
      var f = field(path + '.value', { name: '', type: valueType, values: [] }, onChange, true);
      var entry = { key: k, f: f };
      var row = h('div', { class: 'row' }, k, h('div', { class: 'item' }, f.el));
      var rm = h('button', { type: 'button', class: 'small remove', title: 'Remove', text: '\u00d7' });
      rm.addEventListener('click', function () {
        rows.splice(rows.indexOf(entry), 1);
        row.remove();
        onChange();
      });
      row.appendChild(rm);
      rows.push(entry);
      list.appendChild(row);
      if (key !== undefined) { k.value = key; f.set(value); }
    }
    add.addEventListener('click', function () { addRow(); onChange(); });
    return {
      el: h('div', { class: 'map' }, list, add),
      get: function () {
        var out = {}, any = false;
        rows.forEach(function (r) {
          var v = r.f.get();
          if (r.key.value === '' && isEmpty(v)) return;
          out[r.key.value] = isEmpty(v) ? '' : v;
          any = true;
        });
        return any ? out : undefined;
      },
      set: function (v) {
        list.textContent = '';
        rows = [];
        Object.keys(v && typeof v === 'object' ? v : {}).forEach(function (k) { addRow(k, v[k]); });
      },
      invalid: function () { return rows.some(function (r) { return r.f.invalid(); }); }
    };
  }

  /* A message with a described body: one field per value. */
  function message(path, value, onChange, top) {
    var fields = (value.values || []).map(function (v) {
      return { name: v.name, f: field(path ? path + '.' + v.name : v.name, v, onChange) };
    });
    var body = fields.map(function (x) { return x.f.el; });
    var el = top ? h('div', { class: 'message-form' }, body.length ? body :
                     h('p', { class: 'muted', text: 'This request has no fields.' }))
                 : h('fieldset', { 'data-path': path },
                     h('legend', {}, title(value.name), h('span', { class: 'type', text: value.type })), body);
    return {
      el: el,
      get: function () {
        var out = {}, any = false;
        fields.forEach(function (x) {
          var v = x.f.get();
          if (!isEmpty(v)) { out[x.name] = v; any = true; }
        });
        return any || top ? out : undefined;
      },
      set: function (v) {
        fields.forEach(function (x) { x.f.set(v && typeof v === 'object' ? v[x.name] : undefined); });
      },
      invalid: function () { return fields.some(function (x) { return x.f.invalid(); }); }
    };
  }

  /* "user_name" -> "User name", as upstream's dashboard labels fields */
  function title(name) {
    var text = name.replace(/_/g, ' ');
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function label(value, id) {
    return h('label', { for: id }, title(value.name), h('span', { class: 'type', text: value.type }));
  }

  /* The right kind of field for a Value; bare (no label) for list elements. */
  function field(path, value, onChange, bare) {
    var type = value.type || '', f;
    if (type.slice(0, 2) === '[]' && type !== '[]uint8') f = repeated(path, type.slice(2), onChange);
    else if (type.slice(0, 4) === 'map[') f = map(path, type.slice(type.indexOf(']') + 1), onChange);
    else if (type === 'bool') f = checkbox(path, onChange);
    else if (SCALARS[type]) f = scalar(path, type, onChange);
    else if (value.values && value.values.length) return message(path, value, onChange, false);
    else f = loose(path, type, onChange);
    if (bare) {
      if (f.extra) f.el = h('span', {}, f.el, f.extra);
      return f;
    }
    var wrap = h('div', { class: 'field', 'data-path': path }, label(value, f.id || ''), f.el, f.extra);
    return { el: wrap, get: f.get, set: f.set, invalid: f.invalid };
  }

  /* The form of a request schema (a Value tree, or null for none). onChange runs
   * after every edit. Returns {el, get, set, invalid}; get() throws on invalid input. */
  function build(schema, onChange) {
    return message('', schema || { name: '', type: '', values: [] }, onChange || function () {}, true);
  }

  window.MicroForm = { h: h, build: build };
})();
