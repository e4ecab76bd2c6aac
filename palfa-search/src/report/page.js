// palfa report: sorting, filtering and the fold viewer. State in the URL
// fragment: #sort=KEY&dir=asc|desc&q=TEXT&hideknown=1&hideimpulsive=1&open=N
(function () {
  'use strict';
  var body = document.body;
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  var cands = document.getElementById('cands');
  var state = { sort: null, dir: 'asc', q: '', hideKnown: false, hideImp: false, open: null };

  function headers(tbl) { return Array.prototype.slice.call(tbl.tHead.rows[0].cells); }
  function rows(tbl) { return Array.prototype.slice.call(tbl.tBodies[0].rows); }

  function cellValue(row, idx, type) {
    var td = row.cells[idx];
    var v = td.getAttribute('data-v');
    if (v === null) { v = td.textContent.trim(); }
    if (type === 'num') {
      if (v === '') { return null; }
      var x = parseFloat(v);
      return isNaN(x) ? null : x;
    }
    return v === '' ? null : v;
  }

  // Sorts `tbl` by the column `key`; empty cells last either way, ties in
  // their present order. Returns whether the column exists.
  function sortTable(tbl, key, dir) {
    var ths = headers(tbl);
    var idx = -1;
    ths.forEach(function (th, i) { if (th.getAttribute('data-key') === key) { idx = i; } });
    if (idx < 0) { return false; }
    var type = ths[idx].getAttribute('data-type') || 'str';
    var sign = dir === 'desc' ? -1 : 1;
    var dec = rows(tbl).map(function (r, i) { return { r: r, v: cellValue(r, idx, type), i: i }; });
    dec.sort(function (a, b) {
      if (a.v === null || b.v === null) {
        if (a.v === b.v) { return a.i - b.i; }
        return a.v === null ? 1 : -1;
      }
      var c = type === 'num' ? a.v - b.v : collator.compare(a.v, b.v);
      return c !== 0 ? sign * c : a.i - b.i;
    });
    var frag = document.createDocumentFragment();
    dec.forEach(function (d) { frag.appendChild(d.r); });
    tbl.tBodies[0].appendChild(frag);
    ths.forEach(function (th, i) {
      th.setAttribute('aria-sort', i === idx ? (dir === 'asc' ? 'ascending' : 'descending') : 'none');
    });
    tbl.setAttribute('data-sorted-by', key);
    tbl.setAttribute('data-sort-dir', dir);
    return true;
  }

  function headerClicks(tbl, onSort) {
    headers(tbl).forEach(function (th) {
      function go() {
        var key = th.getAttribute('data-key');
        var dir = th.getAttribute('data-first') || 'asc';
        if (tbl.getAttribute('data-sorted-by') === key) {
          dir = tbl.getAttribute('data-sort-dir') === 'asc' ? 'desc' : 'asc';
        }
        sortTable(tbl, key, dir);
        if (onSort) { onSort(key, dir); }
      }
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); }
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (tbl) {
    if (tbl !== cands) { headerClicks(tbl, null); }
  });

  // URL fragment.
  function readHash() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      if (!kv) { return; }
      var i = kv.indexOf('=');
      var k = i < 0 ? kv : kv.slice(0, i);
      var v = i < 0 ? '' : kv.slice(i + 1);
      try { out[decodeURIComponent(k)] = decodeURIComponent(v.replace(/\+/g, ' ')); } catch (e) { /* ignore a bad one */ }
    });
    return out;
  }
  function writeHash() {
    var parts = [];
    if (state.sort) { parts.push('sort=' + encodeURIComponent(state.sort), 'dir=' + state.dir); }
    if (state.q) { parts.push('q=' + encodeURIComponent(state.q)); }
    if (state.hideKnown) { parts.push('hideknown=1'); }
    if (state.hideImp) { parts.push('hideimpulsive=1'); }
    if (state.open !== null) { parts.push('open=' + state.open); }
    var url = parts.length ? '#' + parts.join('&') : location.pathname + location.search;
    try { history.replaceState(null, '', url); } catch (e) { /* file: URLs in some browsers */ }
  }

  function recordState() {
    body.setAttribute('data-sorted-by', state.sort || '');
    body.setAttribute('data-sort-dir', state.dir);
    body.setAttribute('data-open', state.open === null ? '' : String(state.open));
  }

  if (!cands) {
    recordState();
    body.setAttribute('data-ready', '1');
    return;
  }

  // Filtering.
  var filter = document.getElementById('filter');
  var hideKnown = document.getElementById('hide-known');
  var hideImp = document.getElementById('hide-impulsive');
  var shown = document.getElementById('shown');
  function applyFilter() {
    var q = state.q.toLowerCase();
    var all = rows(cands);
    var n = 0;
    all.forEach(function (r) {
      var hide = (state.hideKnown && r.getAttribute('data-known') === '1') ||
        (state.hideImp && r.getAttribute('data-impulsive') === '1') ||
        (q !== '' && r.textContent.toLowerCase().indexOf(q) < 0);
      r.hidden = hide;
      if (!hide) { n += 1; }
    });
    shown.textContent = n + ' of ' + all.length + ' shown';
    body.setAttribute('data-visible-rows', String(n));
  }
  filter.addEventListener('input', function () { state.q = filter.value; applyFilter(); writeHash(); });
  hideKnown.addEventListener('change', function () { state.hideKnown = hideKnown.checked; applyFilter(); writeHash(); });
  hideImp.addEventListener('change', function () { state.hideImp = hideImp.checked; applyFilter(); writeHash(); });

  headerClicks(cands, function (key, dir) { state.sort = key; state.dir = dir; recordState(); writeHash(); });

  // The fold viewer.
  var dlg = document.getElementById('viewer');
  var img = document.getElementById('fold-img');
  var missing = document.getElementById('fold-missing');
  var info = document.getElementById('fold-info');
  var title = document.getElementById('viewer-title');
  img.addEventListener('load', function () {
    img.setAttribute('data-loaded', img.complete && img.naturalWidth > 0 ? '1' : '0');
  });
  img.addEventListener('error', function () {
    img.setAttribute('data-loaded', '0');
    img.setAttribute('data-load-error', '1');
  });

  function rowOf(n) { return cands.querySelector('tbody tr[data-cand="' + n + '"]'); }
  function visible() { return rows(cands).filter(function (r) { return !r.hidden; }); }

  function openCand(n) {
    var row = rowOf(n);
    if (!row) { return false; }
    rows(cands).forEach(function (r) { r.classList.toggle('selected', r === row); });
    var plot = row.getAttribute('data-plot');
    img.setAttribute('data-loaded', '0');
    img.removeAttribute('data-load-error');
    img.setAttribute('data-cand', String(n));
    if (plot) {
      img.hidden = false;
      missing.hidden = true;
      img.src = plot;
      img.alt = 'fold plot of candidate ' + n;
    } else {
      img.removeAttribute('src');
      img.hidden = true;
      missing.hidden = false;
    }
    var cells = row.cells;
    title.textContent = 'Candidate ' + n + ' · P = ' + cells[1].textContent + ' ms · DM ' +
      cells[3].textContent + ' · σ fold ' + cells[8].textContent;
    var tpl = document.getElementById('detail-' + n);
    info.textContent = '';
    if (tpl) { info.appendChild(tpl.content.cloneNode(true)); }
    info.scrollTop = 0;
    if (!dlg.open) {
      if (typeof dlg.showModal === 'function') { dlg.showModal(); } else { dlg.setAttribute('open', ''); }
    }
    state.open = n;
    recordState();
    writeHash();
    return true;
  }
  function step(delta) {
    var vis = visible();
    var i = vis.indexOf(rowOf(state.open));
    var next = vis[i + delta];
    if (next) { openCand(next.getAttribute('data-cand')); }
  }
  function closeViewer() {
    if (dlg.open && typeof dlg.close === 'function') { dlg.close(); } else { dlg.removeAttribute('open'); onClosed(); }
  }
  function onClosed() {
    var row = state.open !== null ? rowOf(state.open) : null;
    state.open = null;
    recordState();
    writeHash();
    if (row) { row.focus(); }
  }
  dlg.addEventListener('close', onClosed);
  document.getElementById('v-prev').addEventListener('click', function () { step(-1); });
  document.getElementById('v-next').addEventListener('click', function () { step(1); });
  document.getElementById('v-close').addEventListener('click', closeViewer);
  dlg.addEventListener('click', function (e) { if (e.target === dlg) { closeViewer(); } });
  dlg.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowLeft' || e.key === 'k') { e.preventDefault(); step(-1); }
    else if (e.key === 'ArrowRight' || e.key === 'j') { e.preventDefault(); step(1); }
  });
  cands.tBodies[0].addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr && !e.target.closest('a')) { openCand(tr.getAttribute('data-cand')); }
  });
  cands.tBodies[0].addEventListener('keydown', function (e) {
    var tr = e.target.closest('tr');
    if (!tr) { return; }
    if (e.key === 'Enter') { e.preventDefault(); openCand(tr.getAttribute('data-cand')); }
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      var vis = visible();
      var t = vis[vis.indexOf(tr) + (e.key === 'ArrowDown' ? 1 : -1)];
      if (t) { e.preventDefault(); t.focus(); }
    }
  });

  // The state the page was opened with.
  var h = readHash();
  if (h.q) { state.q = h.q; filter.value = h.q; }
  if (h.hideknown === '1') { state.hideKnown = true; hideKnown.checked = true; }
  if (h.hideimpulsive === '1') { state.hideImp = true; hideImp.checked = true; }
  if (h.sort) {
    var dir = h.dir === 'desc' ? 'desc' : 'asc';
    if (sortTable(cands, h.sort, dir)) { state.sort = h.sort; state.dir = dir; }
  }
  applyFilter();
  recordState();
  if (h.open && !openCand(h.open)) { body.setAttribute('data-open-missing', h.open); }
  window.addEventListener('hashchange', function () {
    var o = readHash().open;
    if (o && String(o) !== String(state.open)) { openCand(o); }
  });
  body.setAttribute('data-ready', '1');
}());
