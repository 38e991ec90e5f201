/** HTML helpers, the stylesheet and the page script (served as static files: no inline script). */

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A path component of a URL. */
export const seg = (s: string): string => encodeURIComponent(s);

export interface PageParts {
  readonly title: string;
  /** Breadcrumbs: [label, href] (the last one without href). */
  readonly crumbs: readonly (readonly [string, string?])[];
  readonly csrf: string;
  /** What the page shows, for the live updates: `run` and optionally `event`. */
  readonly scope: { readonly run?: string; readonly event?: string };
  readonly body: string;
}

export function page(p: PageParts): string {
  const crumbs = p.crumbs.map(([label, href]) => (href === undefined ? `<span>${escapeHtml(label)}</span>` : `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`)).join(' › ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(p.title)}</title>
<meta name="llama-csrf" content="${escapeHtml(p.csrf)}">
<link rel="stylesheet" href="/_static/app.css"><script src="/_static/app.js" defer></script></head>
<body data-run="${escapeHtml(p.scope.run ?? '')}" data-event="${escapeHtml(p.scope.event ?? '')}">
<header><nav>${crumbs}</nav><span id="live" title="live updates">○ connecting</span><output id="notice"></output></header>
<main id="live-region">${p.body}</main>
</body></html>`;
}

export function css(colours: Readonly<Record<string, string>>): string {
  const states = Object.entries(colours)
    .map(([state, colour]) => `.s-${state}{background:${colour}}`)
    .join('\n');
  return `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fff}
header{display:flex;gap:1em;align-items:center;padding:.5em 1em;background:#20324a;color:#fff}
header a{color:#cfe3ff}nav{flex:1}#live{font-size:12px}#live.on{color:#9f9}#notice{font-size:12px;color:#ffd}
main{padding:1em}h1{font-size:20px;margin:.2em 0}h2{font-size:16px;margin:1.2em 0 .4em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right}.cell{display:inline-block;min-width:4em;padding:0 4px;border-radius:3px}
.state{padding:0 4px;border-radius:3px}.legend span{margin-right:.6em;padding:0 4px;border-radius:3px;display:inline-block}
${states}
.dagbox{overflow:auto;border:1px solid #ddd;max-width:100%}svg.dag a:hover rect{stroke-width:2}
.previews{display:flex;flex-wrap:wrap;gap:1em}.previews figure{margin:0}.previews img{max-width:520px;border:1px solid #ccc}
canvas.pdf-preview{border:1px solid #ccc;background:#fff;max-width:100%}pre{background:#f7f7f7;padding:.5em;overflow:auto;max-height:40em}
form.inline{display:inline;margin:0}button{font-size:12px}.cmd{font-family:monospace;font-size:11px;color:#666}
.err{color:#a00;white-space:pre-wrap}.muted{color:#777}`;
}

/**
 * The page script: live updates over server-sent events (the page's region is fetched again when
 * a change concerns it) and actions posted with the CSRF token.
 */
export const APP_JS = `'use strict';
(function () {
  var csrf = document.querySelector('meta[name="llama-csrf"]').content;
  var run = document.body.dataset.run, event = document.body.dataset.event;
  var live = document.getElementById('live'), notice = document.getElementById('notice');
  var pending = null, busy = false;
  function concerns(change) {
    if (!run) return true;
    if (change.run !== run) return false;
    return !event || change.event === event;
  }
  function refresh() {
    pending = null;
    var region = document.getElementById('live-region');
    // Do not replace a form the operator is filling in; try again shortly.
    if (region.contains(document.activeElement) && /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) { schedule(1000); return; }
    if (busy) { schedule(200); return; }
    busy = true;
    fetch(location.href, { headers: { 'X-Llama-Fragment': '1' } }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html !== null) { region.innerHTML = html; bind(); renderPdfs(); document.body.dataset.refreshed = String(Date.now()); }
    }).finally(function () { busy = false; });
  }
  function schedule(ms) { if (pending === null) pending = setTimeout(refresh, ms); }
  var rowTimers = {};
  function updateRow(id) {
    if (rowTimers[id]) return;
    rowTimers[id] = setTimeout(function () {
      delete rowTimers[id];
      var old = [].slice.call(document.querySelectorAll('#events tr[data-event]')).filter(function (tr) { return tr.dataset.event === id; })[0];
      // A new event (or one gone) changes the table's order: fetch it whole.
      if (!old) { schedule(150); return; }
      fetch('/' + encodeURIComponent(run) + '/' + encodeURIComponent(id) + '/row').then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        if (html === null) { schedule(150); return; }
        var body = document.createElement('tbody');
        body.innerHTML = html;
        if (body.firstElementChild) old.replaceWith(body.firstElementChild);
      });
    }, 150);
  }
  function connect() {
    var source = new EventSource('/_events');
    source.onopen = function () { live.textContent = '● live'; live.className = 'on'; };
    source.onerror = function () { live.textContent = '○ reconnecting'; live.className = ''; };
    source.addEventListener('change', function (e) {
      var change = JSON.parse(e.data);
      if (!concerns(change)) return;
      // On an unfiltered events table, a change in one event updates just its row.
      if (!event && change.event && !location.search) updateRow(change.event); else schedule(150);
    });
    source.addEventListener('notice', function (e) { var n = JSON.parse(e.data); if (concerns(n)) notice.textContent = n.message; });
  }
  function bind() {
    document.querySelectorAll('form[data-action]').forEach(function (form) {
      if (form.dataset.bound) return;
      form.dataset.bound = '1';
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        var file = form.querySelector('input[type=file]');
        var body, headers = { 'X-Llama-CSRF': csrf, 'Accept': 'application/json' };
        if (file) {
          if (!file.files.length) { notice.textContent = 'choose a file first'; return; }
          body = file.files[0]; headers['Content-Type'] = 'application/octet-stream';
        } else {
          body = new URLSearchParams(new FormData(form));
        }
        notice.textContent = 'working…';
        fetch(form.action, { method: 'POST', headers: headers, body: body }).then(function (r) {
          return r.json().then(function (j) { notice.textContent = (r.ok ? '' : 'refused: ') + j.message; });
        }).catch(function (err) { notice.textContent = 'failed: ' + err; }).finally(function () { schedule(50); });
      });
    });
  }
  /** The first page of each summary PDF, drawn by pdf.js (loaded only when there is one). */
  function renderPdfs() {
    var canvases = [].slice.call(document.querySelectorAll('canvas.pdf-preview:not([data-started])'));
    if (!canvases.length) return;
    canvases.forEach(function (c) { c.dataset.started = '1'; });
    import('/_static/pdf.min.mjs').then(function (pdfjs) {
      pdfjs.GlobalWorkerOptions.workerSrc = '/_static/pdf.worker.min.mjs';
      canvases.forEach(function (c) {
        pdfjs.getDocument({ url: c.dataset.src, isEvalSupported: false }).promise.then(function (doc) { return doc.getPage(1); }).then(function (p) {
          var viewport = p.getViewport({ scale: 1 });
          viewport = p.getViewport({ scale: (Number(c.dataset.width) || 520) / viewport.width });
          c.width = Math.floor(viewport.width); c.height = Math.floor(viewport.height);
          return p.render({ canvas: c, canvasContext: c.getContext('2d'), viewport: viewport }).promise;
        }).then(function () { c.dataset.rendered = '1'; }, function (err) { c.dataset.rendered = 'failed'; c.title = 'preview failed: ' + err; });
      });
    });
  }
  bind();
  renderPdfs();
  connect();
})();
`;
