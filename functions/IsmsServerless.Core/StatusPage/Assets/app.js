// ISMS status page. Every piece of data is rendered with textContent / DOM APIs: resource names, tags and event fields
// come from attackers, so nothing here ever assigns innerHTML. The bearer token lives in sessionStorage and travels
// only in the Authorization header (no cookies: a cross-site request carries no credentials).
'use strict';

(function () {
  const TOKEN_KEY = 'isms.token';
  const VERIFIER_KEY = 'isms.pkce';
  const state = { config: null, me: null, view: 'overview', cursor: null, changes: [], timer: null, detail: null, controlsLoaded: false };
  const $ = (id) => document.getElementById(id);

  // h('td', { class: 'x' }, 'text', child) -> element; strings become text nodes, never markup.
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const clear = (node) => { while (node.firstChild) node.removeChild(node.firstChild); return node; };
  // User text (resource and session names, reasons, people) goes in <bdi>: a right-to-left override inside it cannot
  // reorder the text around it (the CSS isolates code, cells and the rest too).
  const bdi = (text) => h('bdi', { text: text === null || text === undefined ? '' : String(text) });
  // Reviews and approvals are permanent evidence: one click must not make them.
  const confirmed = (message) => window.confirm(message);

  // ---- auth ----
  const token = () => sessionStorage.getItem(TOKEN_KEY);

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Authorization: 'Bearer ' + token() }, opts.headers);
    if (opts.json !== undefined) {
      opts.method = opts.method || 'POST';
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    const response = await fetch(path, opts);
    if (response.status === 401) { signOut(); throw new Error('Your session has expired; sign in again.'); }
    if (!response.ok) {
      let message = 'Request failed (' + response.status + ')';
      try { const body = await response.json(); if (body && body.message) message = body.message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    return response;
  }
  const getJson = async (path) => (await api(path)).json();

  function b64url(bytes) {
    let s = '';
    for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function cognitoSignIn() {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const stateValue = b64url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem(VERIFIER_KEY, JSON.stringify({ verifier, state: stateValue }));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const url = new URL(state.config.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: state.config.clientId, redirect_uri: location.origin + '/',
      scope: 'openid email', code_challenge_method: 'S256', code_challenge: challenge, state: stateValue,
    }).toString();
    location.assign(url.toString());
  }

  async function completeCognitoSignIn() {
    const params = new URLSearchParams(location.search);
    const code = params.get('code');
    if (!code) return;
    history.replaceState(null, '', '/');
    const saved = JSON.parse(sessionStorage.getItem(VERIFIER_KEY) || '{}');
    sessionStorage.removeItem(VERIFIER_KEY);
    if (!saved.verifier || saved.state !== params.get('state')) throw new Error('Sign-in state did not match; try again.');
    const response = await fetch(state.config.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: state.config.clientId, code, redirect_uri: location.origin + '/', code_verifier: saved.verifier }),
    });
    if (!response.ok) throw new Error('Sign-in failed (' + response.status + ')');
    const tokens = await response.json();
    sessionStorage.setItem(TOKEN_KEY, tokens.access_token);
  }

  async function localSignIn(event) {
    event.preventDefault();
    const groups = $('local-reviewer').checked ? [state.config.reviewersGroup] : [];
    const response = await fetch('/local/token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: $('local-user').value, groups }),
    });
    if (!response.ok) { $('signin-error').textContent = 'Sign-in failed (' + response.status + ')'; return; }
    sessionStorage.setItem(TOKEN_KEY, (await response.json()).access_token);
    await start();
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.config && state.config.logoutUrl && state.me) {
      const url = new URL(state.config.logoutUrl);
      url.search = new URLSearchParams({ client_id: state.config.clientId, logout_uri: location.origin + '/' }).toString();
      location.assign(url.toString());
      return;
    }
    state.me = null;
    showSignIn();
  }

  function showSignIn() {
    for (const v of document.querySelectorAll('.view')) v.hidden = true;
    $('tabs').hidden = true; $('who').hidden = true; closeDrawer();
    $('signin').hidden = false;
    $('signin-local').hidden = state.config.mode !== 'local';
    $('signin-cognito').hidden = state.config.mode === 'local';
  }

  const isReviewer = () => !!state.me && state.me.groups.includes(state.config.reviewersGroup);

  // ---- formatting ----
  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  function fmtDuration(ms) {
    const sign = ms < 0 ? '-' : '';
    let s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const hh = Math.floor(s / 3600); s -= hh * 3600;
    const mm = Math.floor(s / 60); s -= mm * 60;
    const pad = (n) => String(n).padStart(2, '0');
    return sign + (d > 0 ? d + 'd ' : '') + pad(hh) + ':' + pad(mm) + ':' + pad(s);
  }
  const sevBadge = (s) => h('span', { class: 'sev ' + s, text: s });
  const slaText = (s) => ({ open: 'On track', 'at-risk': 'At risk', breached: 'Breached' }[s] || '—');
  const slaBadge = (s) => h('span', { class: 'sla ' + (s || ''), text: slaText(s) });
  const shortResource = (f) => h('div', {}, h('div', { class: 'rid', text: f.resourceId }), h('div', { class: 'sub', text: f.resourceType }));

  // ---- views ----
  function show(view) {
    state.view = view;
    for (const tab of document.querySelectorAll('.tab')) tab.classList.toggle('active', tab.dataset.view === view);
    for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== 'view-' + view;
    const load = { overview: loadOverview, controls: loadControls, findings: () => loadFindings(false), changes: loadChanges, duties: loadDuties, incidents: loadIncidents, waivers: loadWaivers, access: loadAccess, export: () => {} }[view];
    Promise.resolve(load()).catch(toastError);
  }

  async function loadOverview() {
    const [overview, trend] = await Promise.all([getJson('/api/overview'), getJson('/api/trend?days=30')]);
    const areas = clear($('areas'));
    for (const a of overview.areas) {
      const live = a.open + a.acknowledged;
      const card = h('button', { type: 'button', class: 'area' + (a.breached ? ' breach' : a.atRisk ? ' risk' : ''), 'data-area': a.key,
        onclick: () => { $('f-category').value = a.key; $('f-status').value = 'open'; show('findings'); } },
        h('span', { class: 'name', text: a.key }),
        h('span', { class: 'big' }, String(live), h('small', { text: 'open' })),
        h('span', { class: 'sub' },
          h('span', {}, String(a.acknowledged) + ' acknowledged'),
          h('span', { class: a.atRisk ? 'n-risk' : '' }, String(a.atRisk) + ' at risk'),
          h('span', { class: a.breached ? 'n-breach' : '' }, String(a.breached) + ' breached'),
          h('span', {}, String(a.suppressed) + ' waived')));
      areas.append(card);
    }
    const natural = (a, b) => a.key.localeCompare(b.key, 'en', { numeric: true });
    renderControls($('controls-iso'), overview.controls.filter((c) => c.framework === 'ISO 27001:2022').sort(natural));
    renderControls($('controls-soc2'), overview.controls.filter((c) => c.framework === 'SOC 2').sort(natural));
    fillControlFilter(overview.controls);
    drawTrend($('trend'), trend.points);
    await loadChanges();
  }

  function renderControls(table, rows) {
    clear(table);
    table.append(h('thead', {}, h('tr', {}, h('th', { text: 'Control' }), h('th', { text: 'Open' }), h('th', { text: 'At risk' }), h('th', { text: 'Breached' }))));
    const body = h('tbody');
    if (rows.length === 0) body.append(h('tr', {}, h('td', { colspan: 4, class: 'muted', text: 'No open findings.' })));
    for (const c of rows) {
      body.append(h('tr', {}, h('td', { text: c.key.replace(/^ISO27001:2022 |^SOC2 /, '') }), h('td', { text: String(c.open + c.acknowledged) }),
        h('td', { class: c.atRisk ? 'n-risk' : '', text: String(c.atRisk) }), h('td', { class: c.breached ? 'n-breach' : '', text: String(c.breached) })));
    }
    table.append(body);
  }

  function fillControlFilter(controls) {
    const select = $('f-control');
    const current = select.value;
    while (select.options.length > 1) select.remove(1);
    for (const c of controls) select.append(h('option', { value: c.key, text: c.key }));
    select.value = current;
  }

  // The trend chart: an inline SVG built with createElementNS (no library, nothing inline for CSP to block).
  function drawTrend(container, points) {
    const NS = 'http://www.w3.org/2000/svg';
    const svg = (tag, attrs) => { const n = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v)); return n; };
    clear(container);
    const W = 600, H = 200, L = 36, R = 10, T = 10, B = 24;
    const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none' });
    const max = Math.max(1, ...points.map((p) => p.open));
    const x = (i) => L + (points.length < 2 ? 0 : i * (W - L - R) / (points.length - 1));
    const y = (v) => T + (H - T - B) * (1 - v / max);
    for (const frac of [0, 0.5, 1]) {
      const v = Math.round(max * frac);
      root.append(svg('line', { class: 'axis', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      const label = svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }); label.textContent = String(v); root.append(label);
    }
    if (points.length > 0) {
      const line = points.map((p, i) => (i ? 'L' : 'M') + x(i).toFixed(1) + ' ' + y(p.open).toFixed(1)).join(' ');
      root.append(svg('path', { class: 'area-fill', d: line + ' L' + x(points.length - 1).toFixed(1) + ' ' + y(0) + ' L' + x(0) + ' ' + y(0) + ' Z' }));
      root.append(svg('path', { class: 'line', d: line }));
      for (const i of [0, Math.floor((points.length - 1) / 2), points.length - 1]) {
        const label = svg('text', { x: x(i), y: H - 6, 'text-anchor': i === 0 ? 'start' : i === points.length - 1 ? 'end' : 'middle' });
        label.textContent = points[i].day.slice(5); root.append(label);
      }
      const last = points[points.length - 1];
      const dot = svg('circle', { cx: x(points.length - 1), cy: y(last.open), r: 3.5, fill: '#1f4e79' });
      const title = svg('title', {}); title.textContent = last.day + ': ' + last.open + ' open'; dot.append(title); root.append(dot);
    }
    container.append(root);
    if (points.length < 2) container.append(h('p', { class: 'muted note', text: 'The line grows as the daily sweep records a snapshot of the counts.' }));
    container.setAttribute('aria-label', 'Open findings per day; today ' + (points.length ? points[points.length - 1].open : 0));
  }

  function filterQuery() {
    const q = new URLSearchParams({ status: $('f-status').value, limit: '50' });
    for (const [id, name] of [['f-category', 'category'], ['f-severity', 'severity'], ['f-control', 'control']]) if ($(id).value) q.set(name, $(id).value);
    return q;
  }

  // ---- controls ----
  const controlStatusClass = (s) => 'cstatus ' + s;
  async function loadControls() {
    const data = await getJson('/api/controls');
    $('controls-policy').textContent = 'policy ' + data.policyVersion + ' · owner ' + data.policyOwner + ' · next review ' + data.policyNextReview;
    const counts = {};
    for (const c of data.controls) counts[c.status] = (counts[c.status] || 0) + 1;
    $('controls-summary').textContent = Object.keys(counts).sort().map((k) => counts[k] + ' ' + k).join(' · ');
    const bodies = { 'ISO27001:2022': clear($('controls-table-iso').tBodies[0]), SOC2: clear($('controls-table-soc2').tBodies[0]) };
    for (const c of data.controls) {
      const body = bodies[c.framework];
      if (!body) continue;
      const evidence = c.rules.length ? c.passing + ' passing · ' + c.failing + ' failing' : (c.duties.length ? 'duties: ' + c.duties.join(', ') : c.evidence);
      body.append(h('tr', { class: 'clickable', 'data-control': c.key, onclick: () => openControl(c.key).catch(toastError) },
        h('td', {}, h('div', { class: 'rid', text: c.id }), h('div', { class: 'sub', text: c.title })),
        h('td', {}, h('span', { class: controlStatusClass(c.status), text: c.status })),
        h('td', { class: 'sub', text: evidence })));
    }
  }

  async function openControl(key) {
    const d = await getJson('/api/control?' + new URLSearchParams({ id: key }).toString());
    const c = d.control;
    $('control-detail').hidden = false;
    $('cd-title').textContent = c.framework + ' ' + c.id + ' ' + c.title + ' — ' + c.status;
    $('cd-reason').textContent = c.reason + (d.justification ? ' · ' + d.justification : '') + (d.note ? ' · ' + d.note : '');
    $('cd-clauses').textContent = 'Implements: ' + c.clauses.join('; ');
    const rules = clear($('cd-rules'));
    for (const r of d.rules) {
      const table = h('table', { class: 'findings' }, h('thead', {}, h('tr', {}, h('th', { text: 'Resource' }), h('th', { text: 'Result' }), h('th', { text: 'Evaluated' }), h('th', { text: 'Source' }))));
      const tbody = h('tbody');
      for (const x of r.resources) tbody.append(h('tr', {}, h('td', { text: x.resourceId + (x.subKey ? ' · ' + x.subKey : '') }), h('td', {}, h('span', { class: controlStatusClass(x.result), text: x.result })), h('td', { text: x.evaluatedAt }), h('td', { class: 'sub', text: x.source })));
      table.append(tbody);
      rules.append(h('h4', { text: r.ruleId + (r.resources.length ? '' : ' — nothing evaluated yet') + (r.more ? ' (first 50)' : '') }));
      if (r.resources.length) rules.append(table);
    }
    const findings = clear($('cd-findings'));
    for (const f of d.findings) findings.append(h('li', { class: 'clickable', onclick: () => openDetail(f.id).catch(toastError) }, f.severity + ' · ' + f.status + ' · ' + f.title + ' · ' + f.resourceId));
    if (!d.findings.length) findings.append(h('li', { class: 'muted', text: 'No findings.' }));
    const attestations = clear($('cd-attestations'));
    for (const a of d.attestations) {
      const li = h('li', { 'data-duty': a.dutyId }, a.dutyId + ' · ' + a.by + ' · ' + a.at + (a.note ? ' · ' + a.note : '') + (a.policyVersion ? ' · policy ' + a.policyVersion : ''));
      for (const link of (a.evidence || []).filter((l) => /^https:\/\//.test(l))) li.append(' · ', h('a', { href: link, rel: 'noopener noreferrer', target: '_blank', text: 'evidence' }));
      attestations.append(li);
    }
    if (!d.attestations.length) attestations.append(h('li', { class: 'muted', text: c.duties.length ? 'No attestations recorded.' : 'No duties.' }));
    $('control-detail').scrollIntoView({ block: 'nearest' });
  }

  async function loadFindings(append) {
    const q = filterQuery();
    if (append && state.cursor) q.set('cursor', state.cursor);
    const page = await getJson('/api/findings?' + q.toString());
    const body = $('findings').tBodies[0];
    if (!append) clear(body);
    for (const f of page.items) {
      body.append(h('tr', { 'data-id': f.id, onclick: () => openDetail(f.id) },
        h('td', {}, sevBadge(f.severity)),
        h('td', {}, h('div', { class: 'title', text: f.title }), h('div', { class: 'sub', text: f.ruleId })),
        h('td', {}, shortResource(f)),
        h('td', { class: 'status', text: f.category }),
        h('td', {}, slaBadge(f.sla)),
        h('td', { text: fmtTime(f.dueAt) })));
    }
    state.cursor = page.nextCursor;
    $('findings-more').hidden = !page.nextCursor;
    $('findings-empty').hidden = body.rows.length > 0;
    $('findings-count').textContent = body.rows.length + (page.nextCursor ? '+' : '') + ' shown';
  }

  async function loadChanges() {
    const data = await getJson('/api/changes/pending');
    const skew = Date.now() - new Date(data.now).getTime();
    state.changes = data.items.map((c) => Object.assign({}, c, { due: c.dueAt ? new Date(c.dueAt).getTime() + skew : null }));
    $('changes-count').textContent = state.changes.length ? String(state.changes.length) : '';
    renderChangeList($('changes'), true);
    renderChangeList($('overview-changes'), false);
    $('changes-empty').hidden = state.changes.length > 0;
    tick();
    if (state.view === 'changes') await loadReviewed();
  }

  async function loadReviewed() {
    const data = await getJson('/api/changes/reviewed');
    const body = clear($('reviewed').tBodies[0]);
    for (const c of data.items) {
      const ticket = c.ticketUrl && /^https:\/\//.test(c.ticketUrl)
        ? h('a', { href: c.ticketUrl, rel: 'noopener noreferrer', target: '_blank', text: 'ticket' }) : null;
      body.append(h('tr', { 'data-change': c.changeId },
        h('td', { text: fmtTime(c.reviewedAt) }),
        h('td', {}, changeLink(c.changeId), h('div', { class: 'sub', text: c.kind })),
        h('td', {}, h('code', { text: c.principal })),
        h('td', { class: 'reviewer', text: c.reviewer }),
        h('td', {}, h('span', { class: 'verdict ' + c.verdict, text: c.verdict })),
        h('td', {}, ticket, c.note ? h('div', { class: 'sub', text: c.note }) : null)));
    }
    $('reviewed-empty').hidden = data.items.length > 0;
  }

  function renderChangeList(list, withReview) {
    clear(list);
    if (!withReview && state.changes.length === 0) list.append(h('li', { class: 'muted', text: 'Nothing awaiting review.' }));
    for (const c of state.changes.slice(0, withReview ? 100 : 5)) {
      const resources = h('code', {});
      if (!c.resources.length) resources.append('no resource recorded');
      c.resources.slice(0, 2).forEach((r, i) => resources.append(i ? ', ' : '', bdi(r)));
      if (c.resources.length > 2) resources.append(' (+' + (c.resources.length - 2) + ')');
      const item = h('li', { 'data-change': c.changeId },
        h('div', {}, h('div', { class: 'title', text: c.title }),
          h('div', { class: 'meta' }, 'by ', h('code', { text: c.principal || c.actor }), ' · ', String(c.callCount), ' call(s) · first ' + fmtTime(c.firstCallAt)),
          h('div', { class: 'meta' }, resources, ' · ', changeLink(c.changeId, 'details'))),
        h('div', { class: 'countdown', 'data-due': c.due === null ? '' : String(c.due) }));
      if (withReview && isReviewer()) {
        const note = h('input', { type: 'text', maxlength: 2000, placeholder: 'Note', 'aria-label': 'Review note', class: 'review-note' });
        const ticket = h('input', { type: 'url', maxlength: 2048, placeholder: 'https://ticket (needed to reject)', 'aria-label': 'Ticket link', class: 'review-ticket' });
        const send = (verdict) => async () => {
          if (!confirmed('Record the verdict "' + verdict.replace(/-/g, ' ') + '" on change ' + c.changeId + '? A review is permanent evidence and cannot be changed.')) return;
          try {
            await api('/api/changes/' + encodeURIComponent(c.changeId) + '/review', { json: { verdict, note: note.value, ticketUrl: ticket.value } });
            toast('Change ' + verdict.replace(/-/g, ' '));
            await loadChanges();
          } catch (e) { toastError(e); }
        };
        item.append(h('div', { class: 'review' }, note, ticket,
          h('button', { type: 'button', class: 'primary', onclick: send('approved') }, 'Approve'),
          h('button', { type: 'button', onclick: send('needs-follow-up') }, 'Follow up'),
          h('button', { type: 'button', class: 'danger', onclick: send('rejected') }, 'Reject')));
      }
      list.append(item);
    }
  }

  // ---- change detail (issue 19): every call, the approvals, risk, ticket and the code update ----
  const changeLink = (id, label) => h('button', { type: 'button', class: 'link change-open', 'data-open-change': id, onclick: () => openChange(id).catch(toastError) },
    label ? label : h('code', { text: id }));
  const httpsLink = (url, text) => (url && /^https:\/\//.test(url) ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: text || url }) : null);

  async function openChange(id) {
    const c = await getJson('/api/changes/' + encodeURIComponent(id));
    const box = clear($('change-detail'));
    box.hidden = false;
    const facts = h('dl', { class: 'facts' });
    const fact = (label, ...value) => facts.append(h('dt', { text: label }), h('dd', {}, ...value));
    fact('Change', h('code', { text: c.changeId }), ' (' + c.kind + ', round ' + c.round + ')');
    fact('Made by', h('code', {}, bdi(c.principal)), c.roleName ? h('span', { class: 'sub' }, ' as ', bdi(c.roleName)) : null);
    fact('Risk', h('span', { class: 'risk-class', 'data-risk': c.risk || '' , text: c.risk || 'not classified' }), c.changeType ? ' · type ' + c.changeType : '');
    fact('Required approvals', c.requiredRoles && c.requiredRoles.length ? c.requiredRoles.join(', ') : 'one reviewer',
      c.minApprovers ? ' · ' + c.minApprovers + ' people in all' : '', c.missingApprovals ? h('div', { class: 'sub', text: 'Still missing: ' + c.missingApprovals }) : null);
    const given = h('ul', { class: 'approvals' });
    for (const a of c.approvals || []) given.append(h('li', {}, bdi(a.approver), ' as ' + a.role + ' · ' + fmtTime(a.approvedAt || a.at), a.ticketUrl ? ' · ' : '', httpsLink(a.ticketUrl, 'ticket')));
    if (!given.childNodes.length) given.append(h('li', { class: 'muted', text: 'none yet' }));
    fact('Given approvals', given);
    fact('Review', c.verdict ? h('span', {}, h('span', { class: 'verdict ' + c.verdict, text: c.verdict }), ' by ', bdi(c.reviewer), ' · ' + fmtTime(c.reviewedAt)) : 'not reviewed · due ' + fmtTime(c.dueAt));
    fact('Ticket', httpsLink(c.ticketUrl, c.ticketUrl) || 'none', c.jiraIssueKey ? h('span', { class: 'sub' }, ' · Jira ', bdi(c.jiraIssueKey)) : null);
    const closure = c.closure;
    fact('Code update', h('span', { class: 'code-update', 'data-state': c.codeUpdate, text: c.codeUpdate }),
      closure ? h('span', {}, ' · ' + closure.how + ' by ', bdi(closure.by), ' · ' + fmtTime(closure.at), closure.link ? ' · ' : '', httpsLink(closure.link), closure.stack ? h('span', {}, ' · stack ', bdi(closure.stack)) : null) : null,
      !closure && c.reconcileStack ? h('span', { class: 'sub' }, ' · waiting for stack ', bdi(c.reconcileStack), ' to be in sync') : null);
    box.append(h('h2', { text: 'Change detail' }), facts);
    if (c.codeUpdate === 'open' && isReviewer()) {
      const link = h('input', { type: 'url', maxlength: 2048, placeholder: 'https://github.com/org/repo/pull/1', 'aria-label': 'Commit or pull request', class: 'reconcile-link' });
      const stack = h('input', { type: 'text', maxlength: 300, placeholder: 'CloudFormation stack name or ARN', 'aria-label': 'Stack', class: 'reconcile-stack' });
      const send = (json, what) => async () => {
        if (!confirmed('Close change ' + c.changeId + ' (' + what + ')? This is permanent evidence.')) return;
        try {
          await api('/api/changes/' + encodeURIComponent(c.changeId) + '/reconcile', { json });
          toast('Change ' + what);
          await openChange(c.changeId);
        } catch (e) { toastError(e); }
      };
      box.append(h('div', { class: 'review reconcile' }, link,
        h('button', { type: 'button', class: 'primary', onclick: () => send({ codeLink: link.value }, 'code linked')() }, 'Link code change'),
        h('button', { type: 'button', onclick: send({ reverted: true }, 'reverted') }, 'Mark reverted'),
        stack, h('button', { type: 'button', onclick: () => send({ stack: stack.value }, 'waiting for stack sync')() }, 'Watch stack drift')));
    }
    const calls = h('table', { class: 'findings calls' },
      h('thead', {}, h('tr', {}, h('th', { text: 'Time' }), h('th', { text: 'API call' }), h('th', { text: 'Resources' }), h('th', { text: 'Source IP' }))));
    const body = h('tbody', {});
    for (const call of c.calls || []) {
      const resources = h('td', {});
      (call.resources || []).forEach((r, i) => resources.append(i ? ', ' : '', h('code', {}, bdi(r))));
      body.append(h('tr', {}, h('td', { text: fmtTime(call.eventTime) }), h('td', {}, h('code', {}, bdi(call.eventSource.replace(/\.amazonaws\.com$/, '') + ':' + call.eventName))),
        resources, h('td', {}, bdi(call.sourceIp || ''))));
    }
    calls.append(body);
    box.append(h('h3', { text: (c.calls || []).length + ' API call(s)' }), calls);
    box.scrollIntoView({ block: 'nearest' });
  }

  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll('.countdown')) {
      if (!node.dataset.due) { node.textContent = 'no deadline'; continue; }
      const left = Number(node.dataset.due) - now;
      node.textContent = left <= 0 ? 'overdue ' + fmtDuration(-left) : fmtDuration(left) + ' left';
      node.classList.toggle('overdue', left <= 0);
      node.classList.toggle('soon', left > 0 && left < 4 * 3600 * 1000);
    }
  }

  const dutyStateText = (s) => ({ open: 'Upcoming', due: 'Due', overdue: 'Overdue', done: 'Done' }[s] || s);

  async function loadDuties() {
    const data = await getJson('/api/duties');
    const skew = Date.now() - new Date(data.now).getTime();
    const body = clear($('duties').tBodies[0]);
    const pending = data.items.filter((d) => d.state === 'due' || d.state === 'overdue').length;
    $('duties-count').textContent = pending ? String(pending) : '';
    // Calendar: open obligations grouped under the month they fall due (UTC), then what was attested.
    let month = null;
    const monthOf = (d) => d.state === 'done' ? 'Attested' : new Date(d.dueAt).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    for (const d of data.items) {
      if (monthOf(d) !== month) {
        month = monthOf(d);
        body.append(h('tr', { class: 'month' }, h('th', { colspan: 6, scope: 'colgroup', text: month })));
      }
      const cell = h('td', { class: 'attestation' });
      if (d.attestation) {
        const a = d.attestation;
        cell.append(h('div', {}, 'by ', h('code', { text: a.by }), ' · ' + fmtTime(a.at)));
        for (const link of a.evidence.filter((l) => /^https:\/\//.test(l)))
          cell.append(h('div', {}, h('a', { href: link, rel: 'noopener noreferrer', target: '_blank', text: 'evidence' })));
        if (a.note) cell.append(h('div', { class: 'sub', text: a.note }));
      } else if (d.attestable && isReviewer()) {
        const evidence = h('input', { type: 'url', maxlength: 2048, placeholder: 'https://evidence', 'aria-label': 'Evidence link', class: 'attest-evidence' });
        const note = h('input', { type: 'text', maxlength: 2000, placeholder: 'Note', 'aria-label': 'Attestation note', class: 'attest-note' });
        const send = async () => {
          try {
            // The attester is the signed-in user: the server takes it from the token, not from this form.
            await api('/api/duties/' + encodeURIComponent(d.id) + '/attest', { json: { evidence: [evidence.value], note: note.value } });
            toast('Attested: ' + d.title);
            await loadDuties();
          } catch (e) { toastError(e); }
        };
        cell.append(h('div', { class: 'review' }, evidence, note, h('button', { type: 'button', class: 'primary attest', onclick: send }, 'Attest')),
          h('div', { class: 'sub', text: 'Evidence: ' + d.evidenceExpected }));
      } else if (d.kind === 'change.review') {
        cell.append(h('div', { class: 'sub', text: 'reviewed in Changes' }));
      } else if (d.kind.startsWith('incident.')) {
        cell.append(h('div', { class: 'sub', text: 'closed in Incidents' }));
      } else if (d.kind.startsWith('backup.')) {
        cell.append(h('div', { class: 'sub', text: 'closed by AWS Backup events' }));
      }
      const due = new Date(d.dueAt).getTime() + skew;
      body.append(h('tr', { 'data-duty': d.id, 'data-due-at': d.dueAt, class: 'duty ' + d.state },
        h('td', {}, h('span', { class: 'duty-state ' + d.state, text: dutyStateText(d.state) })),
        h('td', {}, h('div', { class: 'title', text: d.title }), h('div', { class: 'sub', text: (d.period ? d.period + ' · ' : '') + d.kind })),
        h('td', {}, h('code', { text: d.control }), d.controls.length > 1 ? h('div', { class: 'sub', text: d.controls.slice(1).join(', ') }) : null),
        h('td', { text: d.owner }),
        h('td', {}, h('div', { text: fmtTime(d.dueAt) }), d.state === 'done' ? null : h('div', { class: 'countdown', 'data-due': String(due) })),
        cell));
    }
    $('duties-empty').hidden = data.items.length > 0;
    tick();
  }

  // ---- access review and leavers (issue 18) ----
  async function loadAccess() {
    const [review, people] = await Promise.all([getJson('/api/access-review'), getJson('/api/people')]);
    const c = review.campaign;
    const body = clear($('access-review').tBodies[0]);
    if (c) {
      $('access-campaign').textContent = 'Campaign ' + c.id + ' (' + c.period + ') opened by ' + c.openedBy + ' · ' + c.principalCount + ' principals, ' +
        c.undecided + ' undecided · ' + c.keep + ' keep, ' + c.revoke + ' revoke, ' + c.reduce + ' reduce' + (c.closedAt ? ' · closed by ' + c.closedBy : '');
      for (const p of c.principals) {
        const cell = h('td', { class: 'decision' });
        if (p.decision) {
          cell.append(h('div', {}, h('strong', { text: p.decision }), ' by ', bdi(p.decidedBy)), h('div', { class: 'sub' }, bdi(p.note)));
          if (p.effectiveAt) cell.append(h('div', { class: 'sub', text: 'in effect ' + fmtTime(p.effectiveAt) }));
        } else if (!c.closedAt && isReviewer()) {
          const choice = h('select', { 'aria-label': 'Decision', class: 'access-decision' }, h('option', { value: 'keep', text: 'keep' }), h('option', { value: 'revoke', text: 'revoke' }), h('option', { value: 'reduce', text: 'reduce' }));
          const note = h('input', { type: 'text', maxlength: 2000, placeholder: 'Why (required)', 'aria-label': 'Decision note', class: 'access-note' });
          const send = async () => {
            // Decisions are permanent evidence: one click must not make them.
            if (!confirmed('Record "' + choice.value + '" for ' + p.name + '? Decisions are final.')) return;
            try {
              // The reviewer is the signed-in user (taken from the token); nobody decides on their own access.
              await api('/api/access-review/' + encodeURIComponent(c.id) + '/decide', { json: { principal: p.key, decision: choice.value, note: note.value } });
              toast('Decided: ' + p.name);
              await loadAccess();
            } catch (e) { toastError(e); }
          };
          cell.append(h('div', { class: 'review' }, choice, note, h('button', { type: 'button', class: 'primary', onclick: send }, 'Decide')));
        }
        body.append(h('tr', { 'data-principal': p.key },
          h('td', {}, h('div', { class: 'title' }, bdi(p.name)), h('div', { class: 'sub' }, p.kind + (p.owner ? ' · ' : ''), p.owner ? bdi(p.owner) : '')),
          h('td', {}, ...(p.adminVia.length ? p.adminVia.map((a) => h('div', { text: a })) : [h('span', { class: 'muted', text: 'none' })])),
          h('td', {}, ...(p.externalTrusts.length ? p.externalTrusts.map((t) => h('code', { text: t })) : [h('span', { class: 'muted', text: 'none' })])),
          h('td', {}, h('div', { text: p.lastSeenAt ? fmtTime(p.lastSeenAt) : 'never seen' }), p.dormant ? h('div', { class: 'sub', text: 'dormant' }) : null),
          cell));
      }
    }
    const rows = clear($('people').tBodies[0]);
    for (const p of people.items) {
      const cell = h('td', {});
      if (isReviewer() && !p.leftAt) {
        const day = h('input', { type: 'date', 'aria-label': 'Leave day', class: 'leave-day' });
        const send = async () => {
          if (!confirmed('Mark ' + p.email + ' as left on ' + day.value + '?')) return;
          try {
            await api('/api/people/leave', { json: { email: p.email, leftAt: day.value } });
            toast('Marked as left: ' + p.email);
            await loadAccess();
          } catch (e) { toastError(e); }
        };
        cell.append(h('div', { class: 'review' }, day, h('button', { type: 'button', class: 'primary', onclick: send }, 'Mark as left')));
      }
      rows.append(h('tr', { 'data-person': p.email },
        h('td', {}, h('div', { class: 'title' }, bdi(p.name || p.email)), h('div', { class: 'sub' }, bdi(p.email))),
        h('td', { text: p.fileLeftAt || '—' }),
        h('td', {}, p.mark ? h('div', {}, h('div', { text: p.mark.leftAt }), h('div', { class: 'sub', text: 'by ' + p.mark.markedBy + ' · ' + fmtTime(p.mark.markedAt) })) : '—'),
        h('td', { text: p.leftAt || '—' }),
        cell));
    }
  }

  // ---- incidents: one row per incident, its three clocks; a row opens the drill-down (clocks, attestations, findings) ----
  const clockOf = (incident, name) => incident.clocks.find((c) => c.clock === name);

  function clockCell(c, skew) {
    if (!c) return h('td', { class: 'muted', text: '—' });
    const cell = h('td', {}, h('span', { class: 'duty-state ' + c.state, text: dutyStateText(c.state) }));
    if (c.attestation) cell.append(h('div', { class: 'sub' }, 'by ', bdi(c.attestation.by), ' · ' + fmtTime(c.attestation.at)));
    else cell.append(h('div', { class: 'countdown', 'data-due': String(new Date(c.dueAt).getTime() + skew) }));
    return cell;
  }

  async function loadIncidents() {
    const data = await getJson('/api/incidents');
    const skew = Date.now() - new Date(data.now).getTime();
    const body = clear($('incidents').tBodies[0]);
    $('incidents-count').textContent = data.items.filter((i) => i.open).length ? String(data.items.filter((i) => i.open).length) : '';
    for (const i of data.items) {
      body.append(h('tr', { 'data-incident': i.incidentId, class: 'incident' + (i.open ? ' open' : ''), onclick: () => openIncident(i.incidentId).catch(toastError) },
        h('td', {}, h('code', { text: i.incidentId }), h('div', { class: 'sub', text: i.open ? 'open' : 'closed' })),
        h('td', { text: fmtTime(i.startedAt) }),
        clockCell(clockOf(i, 'acknowledge'), skew), clockCell(clockOf(i, 'document'), skew), clockCell(clockOf(i, 'review'), skew)));
    }
    $('incidents-empty').hidden = data.items.length > 0;
    $('incident-detail').hidden = true;
    tick();
  }

  const incidentActions = { acknowledge: 'ack', document: 'document', review: 'review' };

  async function openIncident(id) {
    const data = await getJson('/api/incidents/' + encodeURIComponent(id));
    const incident = data.incident;
    $('incident-title').textContent = 'Incident ' + incident.incidentId + ' (started ' + fmtTime(incident.startedAt) + ')';
    const body = clear($('incident-clocks').tBodies[0]);
    for (const c of incident.clocks) {
      const cell = h('td', { class: 'attestation' });
      if (c.attestation) {
        const a = c.attestation;
        cell.append(h('div', {}, 'by ', bdi(a.by), ' · ' + fmtTime(a.at) + (a.late ? ' (late)' : '')));
        for (const link of a.evidence.filter((l) => /^https:\/\//.test(l)))
          cell.append(h('div', {}, h('a', { href: link, rel: 'noopener noreferrer', target: '_blank', text: 'evidence' })));
        if (a.note) cell.append(h('div', { class: 'sub' }, bdi(a.note)));
      } else if (isReviewer()) {
        const note = h('input', { type: 'text', maxlength: 2000, placeholder: c.clock === 'acknowledge' ? 'Impact assessment; who was notified' : 'What was done', 'aria-label': 'Note', class: 'incident-note' });
        const evidence = h('input', { type: 'url', maxlength: 2048, placeholder: 'https://evidence', 'aria-label': 'Evidence link', class: 'incident-evidence' });
        const send = async () => {
          try {
            // The person closing the clock is the signed-in user: the server takes it from the token.
            await api('/api/incidents/' + encodeURIComponent(incident.incidentId) + '/' + incidentActions[c.clock],
              { json: { note: note.value, evidence: evidence.value ? [evidence.value] : [] } });
            toast('Closed the ' + c.clock + ' clock of ' + incident.incidentId);
            await openIncident(incident.incidentId);
          } catch (e) { toastError(e); }
        };
        cell.append(h('div', { class: 'review' }, note, evidence, h('button', { type: 'button', class: 'primary close-clock', onclick: send }, 'Close')),
          h('div', { class: 'sub', text: 'Evidence: ' + c.evidenceExpected }));
      }
      body.append(h('tr', { 'data-clock': c.clock, class: 'duty ' + c.state },
        h('td', {}, h('div', { class: 'title', text: c.clock }), h('div', { class: 'sub', text: c.title })),
        h('td', { text: fmtTime(c.dueAt) }),
        h('td', {}, h('span', { class: 'duty-state ' + c.state, text: dutyStateText(c.state) })),
        cell));
    }
    const findings = clear($('incident-findings'));
    for (const f of data.findings)
      findings.append(h('li', { 'data-id': f.id }, sevBadge(f.severity), ' ', h('a', { href: '#', onclick: (e) => { e.preventDefault(); openDetail(f.id); }, text: f.title }),
        h('div', { class: 'sub' }, bdi(f.resourceId), ' · ' + f.status + ' · ' + fmtTime(f.firstSeenAt))));
    if (!data.findings.length) findings.append(h('li', { class: 'muted', text: 'No findings recorded.' }));
    $('incident-detail').hidden = false;
  }

  async function loadWaivers() {
    const data = await getJson('/api/waivers');
    const body = clear($('waivers').tBodies[0]);
    for (const f of data.items) {
      const w = f.waiver;
      body.append(h('tr', { 'data-id': f.id, onclick: () => openDetail(f.id) },
        h('td', {}, sevBadge(f.severity), ' ', h('span', { class: 'title', text: f.title })),
        h('td', {}, shortResource(f)),
        h('td', {}, bdi(w.owner), h('div', { class: 'sub' }, 'granted by ', bdi(w.grantedBy))), h('td', {}, bdi(w.reason)), h('td', { text: w.control }),
        h('td', {}, h('div', { text: fmtTime(w.expiresAt) }), h('div', { class: 'countdown', 'data-due': String(new Date(w.expiresAt).getTime()) }))));
    }
    $('waivers-empty').hidden = data.items.length > 0;
    tick();
  }

  // ---- detail drawer ----
  async function openDetail(id) {
    const data = await getJson('/api/findings/' + encodeURIComponent(id)).catch((e) => { toastError(e); return null; });
    if (!data) return;
    state.detail = data;
    const f = data.finding;
    clear($('d-severity')).append(sevBadge(f.severity));
    $('d-status').textContent = f.status + (f.sla ? ' · ' + slaText(f.sla) : '');
    $('d-title').textContent = f.title;
    const facts = clear($('d-facts'));
    const fact = (k, v) => facts.append(h('dt', { text: k }), h('dd', {}, v));
    fact('Resource', h('code', { text: f.resourceId }));
    fact('Type', f.resourceType || '—');
    fact('Account / region', (f.accountId || '—') + ' / ' + (f.region || '—'));
    fact('Rule', h('code', { text: f.ruleId }));
    fact('Controls', f.controls.join(', ') || '—');
    fact('First seen', fmtTime(f.firstSeenAt));
    fact('Due', fmtTime(f.dueAt));
    if (f.waiver) fact('Waiver', h('span', {}, bdi(f.waiver.owner), ' until ' + fmtTime(f.waiver.expiresAt) + ': ', bdi(f.waiver.reason), ' (granted by ', bdi(f.waiver.grantedBy), ')'));
    if (data.policyClause) fact('Policy', data.policyClause);
    if (data.remediation) fact('Remediation', data.remediation);
    $('d-message').textContent = data.message;
    $('d-message').hidden = !data.message;
    const diff = clear($('d-diff').tBodies[0]);
    for (const d of data.diff) diff.append(h('tr', {}, h('td', { text: d.path }), h('td', { class: 'expected', text: d.expected === null ? '(absent)' : d.expected }), h('td', { class: 'actual', text: d.actual === null ? '(absent)' : d.actual })));
    $('d-diff-block').hidden = data.diff.length === 0;
    const hist = clear($('d-history'));
    for (const e of data.history.slice().reverse()) {
      const transition = [e.fromStatus && e.toStatus && e.fromStatus !== e.toStatus ? e.fromStatus + ' → ' + e.toStatus : null,
        e.fromState !== e.toState && e.toState ? 'SLA ' + (e.fromState || '—') + ' → ' + e.toState : null].filter(Boolean).join(', ');
      hist.append(h('li', { 'data-action': e.action },
        h('div', { class: 'when' }, fmtTime(e.at) + ' · ', bdi(e.actor)),
        h('div', { class: 'what', text: e.action + (transition ? ' (' + transition + ')' : '') }),
        e.reason ? h('div', { class: 'reason', text: e.reason }) : null));
    }
    const evidence = clear($('d-evidence'));
    for (const [k, v] of Object.entries(data.evidence)) evidence.append(h('dt', { text: k }), h('dd', {}, h('code', { text: v })));
    const live = f.status !== 'resolved';
    $('d-actions').hidden = !(isReviewer() && live);
    $('a-ack').hidden = f.status !== 'open';
    // Offered only when an approval could settle the finding (never for SSH/RDP open to the world), naming the version seen.
    $('a-baseline').hidden = !data.baselineApprovable;
    $('a-baseline').title = data.notApprovableReason || '';
    $('a-revoke').hidden = !f.waiver;
    $('a-error').textContent = '';
    $('a-reason').value = '';
    const until = new Date(Date.now() + 30 * 86400000);
    $('a-waiver-until').value = until.toISOString().slice(0, 10);
    $('drawer').hidden = false;
    $('backdrop').hidden = false;
  }
  function closeDrawer() { $('drawer').hidden = true; $('backdrop').hidden = true; }

  async function act(path, body, message) {
    const f = state.detail.finding;
    $('a-error').textContent = '';
    try {
      await api('/api/findings/' + encodeURIComponent(f.id) + path, { json: body });
      toast(message);
      await openDetail(f.id);
      if (state.view === 'findings') await loadFindings(false);
      if (state.view === 'waivers') await loadWaivers();
    } catch (e) { $('a-error').textContent = e.message; }
  }

  // ---- misc ----
  let toastTimer = null;
  function toast(message) {
    const t = $('toast'); t.textContent = message; t.hidden = false;
    clearTimeout(toastTimer); toastTimer = setTimeout(() => { t.hidden = true; }, 3000);
  }
  const toastError = (e) => toast(e && e.message ? e.message : String(e));

  async function download(format) {
    $('export-error').textContent = '';
    const from = $('export-from').value, to = $('export-to').value;
    if (!from || !to) { $('export-error').textContent = 'Choose a period.'; return; }
    try {
      const response = await api('/api/export?' + new URLSearchParams({ from, to, format }).toString());
      const url = URL.createObjectURL(await response.blob());
      const a = h('a', { href: url, download: 'isms-evidence-' + from + '-' + to + '.' + (format === 'ocsf' ? 'ocsf.jsonl' : format) });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { $('export-error').textContent = e.message; }
  }

  async function start() {
    if (!token()) { showSignIn(); return; }
    try {
      state.me = await getJson('/api/me');
    } catch (e) { showSignIn(); return; }
    $('signin').hidden = true;
    $('tabs').hidden = false; $('who').hidden = false;
    $('who-name').textContent = state.me.username;
    $('who-role').textContent = isReviewer() ? 'reviewer' : 'read-only';
    show(state.view);
  }

  function wire() {
    for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => show(tab.dataset.view));
    for (const id of ['f-status', 'f-category', 'f-severity', 'f-control']) $(id).addEventListener('change', () => loadFindings(false).catch(toastError));
    $('findings-more').addEventListener('click', () => loadFindings(true).catch(toastError));
    $('filters').addEventListener('submit', (e) => e.preventDefault());
    $('local-form').addEventListener('submit', (e) => localSignIn(e).catch((err) => { $('signin-error').textContent = err.message; }));
    $('cognito-signin').addEventListener('click', () => cognitoSignIn().catch((err) => { $('signin-error').textContent = err.message; }));
    $('sign-out').addEventListener('click', signOut);
    $('drawer-close').addEventListener('click', closeDrawer);
    $('backdrop').addEventListener('click', closeDrawer);
    document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDrawer(); });
    $('a-ack').addEventListener('click', () => act('/acknowledge', { reason: $('a-reason').value }, 'Acknowledged'));
    $('a-baseline').addEventListener('click', () => {
      if (!confirmed('Approve the current configuration (' + state.detail.configurationVersion + ') as the baseline? The approval is permanent evidence.')) return;
      act('/baseline/approve', { reason: $('a-reason').value, configurationVersion: state.detail.configurationVersion }, 'Baseline approved');
    });
    $('a-revoke').addEventListener('click', () => act('/waiver/revoke', { reason: $('a-reason').value }, 'Waiver revoked'));
    $('a-waiver').addEventListener('click', () => act('/waiver', { reason: $('a-reason').value, expiresAt: $('a-waiver-until').value + 'T00:00:00Z' }, 'Waiver granted'));
    $('export-form').addEventListener('submit', (e) => { e.preventDefault(); download('csv'); });
    $('export-json').addEventListener('click', () => download('json'));
    $('export-ocsf').addEventListener('click', () => download('ocsf'));
    const today = new Date();
    $('export-to').value = today.toISOString().slice(0, 10);
    $('export-from').value = new Date(today.getTime() - 90 * 86400000).toISOString().slice(0, 10);
    state.timer = setInterval(tick, 1000);
  }

  async function boot() {
    wire();
    state.config = await (await fetch('/api/config')).json();
    if (state.config.mode !== 'local') await completeCognitoSignIn();
    await start();
  }

  document.addEventListener('DOMContentLoaded', () => { boot().catch((e) => { $('signin').hidden = false; $('signin-error').textContent = e.message; }); });
})();
