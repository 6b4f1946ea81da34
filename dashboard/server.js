// One server: its state, fault, timeline (instance actions and events), console log.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { html, ErrorMessage, Table, addresses, when } from './ui.js';
import { ActionButtons, serverActions } from './servers.js';

const duration = (ms) =>
  ms === null || ms === undefined ? '' : ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
// Nova's times carry no zone: they are UTC.
const utc = (iso) => Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(iso) ? iso : `${iso}Z`);
const between = (a, b) => (a && b ? Math.max(0, utc(b) - utc(a)) : null);

/**
 * The steps: Stratus' timeline API when it is there; otherwise Nova's instance actions and
 * their events (each action a request step, each event a step of its own).
 */
async function loadTimeline(id) {
  try {
    const { timeline } = await api('stratus', 'GET', `/servers/${id}/timeline`);
    return { source: 'timeline', steps: timeline.steps };
  } catch (err) {
    if (err.status !== 404 && err.status !== 405) throw err;
  }
  const { instanceActions } = await api('compute', 'GET', `/servers/${id}/os-instance-actions`);
  const steps = [];
  for (const a of [...instanceActions].reverse()) {
    const { instanceAction } = await api('compute', 'GET', `/servers/${id}/os-instance-actions/${a.request_id}`);
    steps.push({
      request_id: a.request_id,
      action: a.action,
      step: 'request',
      host: null,
      start: a.start_time,
      finish: null,
      duration_ms: null,
      result: null,
      message: a.message,
    });
    for (const ev of instanceAction.events ?? []) {
      steps.push({
        request_id: a.request_id,
        action: a.action,
        step: ev.event,
        host: ev.host ?? null,
        start: ev.start_time,
        finish: ev.finish_time,
        duration_ms: between(ev.start_time, ev.finish_time),
        result: ev.result,
        message: ev.traceback ?? null,
      });
    }
  }
  return { source: 'instance actions', steps };
}

export function ServerPage({ id, session, stream }) {
  const [server, setServer] = useState(null);
  const [gone, setGone] = useState(false);
  const [timeline, setTimeline] = useState(null);
  const [console_, setConsole] = useState(null);
  const [error, setError] = useState(null);
  const alive = useRef(true);

  const load = async () => {
    try {
      const { server: s } = await api('compute', 'GET', `/servers/${id}`);
      if (alive.current) setServer(s);
    } catch (err) {
      if (err.status === 404) setGone(true);
      else setError(err);
    }
    try {
      const t = await loadTimeline(id);
      if (alive.current) setTimeline(t);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    alive.current = true;
    load();
    const off = stream.subscribe({
      event: (e) => {
        if (e.server_id !== id) return;
        if (e.type === 'server.deleted') setGone(true);
        load();
      },
      resync: load,
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [id]);

  const readConsole = async () => {
    setError(null);
    try {
      const { output } = await api('compute', 'POST', `/servers/${id}/action`, {
        'os-getConsoleOutput': { length: 200 },
      });
      setConsole(output);
    } catch (err) {
      setError(Object.assign(new Error(`Console log: ${err.message}`), { status: err.status }));
    }
  };
  const actions = serverActions(setError);
  const steps = timeline?.steps ?? [];
  const longest = Math.max(1, ...steps.map((s) => s.duration_ms ?? 0));
  const rows = steps.map(
    (s) => html`<tr data-testid="timeline-step" data-action=${s.action} data-step=${s.step}>
      <td>${s.action}</td>
      <td>${s.step}</td>
      <td>${s.host ?? ''}</td>
      <td>${when(s.start, true)}</td>
      <td>${duration(s.duration_ms)}${
        s.duration_ms !== null && s.duration_ms !== undefined
          ? html` <meter min="0" max=${longest} value=${s.duration_ms} aria-label=${`${s.step} duration`}></meter>`
          : ''
      }</td>
      <td>${s.result ?? ''}</td>
      <td>${s.message ?? ''}</td>
      <td class="mono">${s.request_id}</td>
    </tr>`,
  );
  return html`<section>
    <p><a href="#/servers">← Servers</a></p>
    <h1 data-testid="server-title">${server ? server.name : `Server ${id}`}</h1>
    ${gone && html`<p class="notice" role="status" data-testid="server-gone">This server is deleted.</p>`}
    <${ErrorMessage} error=${error} />
    ${
      server &&
      !gone &&
      html`<dl class="facts">
        <dt>ID</dt><dd class="mono">${server.id}</dd>
        <dt>Status</dt><dd data-testid="detail-status">${server.status}</dd>
        <dt>Task state</dt><dd>${server['OS-EXT-STS:task_state'] ?? ''}</dd>
        <dt>VM state</dt><dd>${server['OS-EXT-STS:vm_state'] ?? ''}</dd>
        ${session.isAdmin && html`<dt>Node</dt><dd>${server['OS-EXT-SRV-ATTR:host'] ?? ''}</dd>`}
        <dt>Project</dt><dd class="mono">${server.tenant_id}</dd>
        <dt>Addresses</dt><dd>${addresses(server)}</dd>
        <dt>Locked</dt><dd>${server.locked ? `yes${server.locked_reason ? ` (${server.locked_reason})` : ''}` : 'no'}</dd>
        <dt>Fault</dt><dd data-testid="server-fault">${server.fault ? `${server.fault.code}: ${server.fault.message} (${when(server.fault.created)})` : 'none'}</dd>
      </dl>
      <${ActionButtons} server=${server} actions=${actions} />`
    }
    <h2>Timeline</h2>
    <p class="hint">From the ${timeline?.source ?? '…'}.</p>
    <${Table} caption="Instance actions and their steps" testid="timeline"
      columns=${['Action', 'Step', 'Node', 'Start', 'Duration', 'Result', 'Message', 'Request']}
      rows=${rows} empty=${timeline ? 'No actions.' : 'Loading…'} />
    ${
      !gone &&
      html`<h2>Console log</h2>
      <button type="button" data-testid="console-read" onClick=${readConsole}>Read the console log</button>
      ${console_ !== null && html`<pre class="console" data-testid="console">${console_}</pre>`}`
    }
  </section>`;
}
