// Compute nodes (os-services + os-hypervisors) and, for admins, the fault-injection controls.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { html, ErrorMessage, Table, when } from './ui.js';

// The operations POST /stratus/v1/faults accepts (its schema in stratus.routes.ts; a new one is refused there until added).
const OPERATIONS = [
  'destroy',
  'spawn',
  'power_off',
  'power_on',
  'reboot',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'shelve',
  'restore',
  'soft_delete',
  'rescue',
  'unrescue',
  'set_password',
  'diagnostics',
  'attach_interface',
  'detach_interface',
  'attach_volume',
  'detach_volume',
  'evacuate',
  'rebuild',
  'snapshot',
  'backup',
  'resize',
  'finish_resize',
  'confirm_resize',
  'revert_resize',
  'finish_revert_resize',
  'live_migration',
  'pre_live_migration',
  'post_live_migration',
  'lease',
];

export function NodesPage({ session }) {
  const [services, setServices] = useState(null);
  const [hypervisors, setHypervisors] = useState([]);
  const [faults, setFaults] = useState([]);
  const [error, setError] = useState(null);
  const [faultError, setFaultError] = useState(null);

  const load = async () => {
    setError(null);
    try {
      const [s, h] = await Promise.all([
        api('compute', 'GET', '/os-services?binary=nova-compute'),
        api('compute', 'GET', '/os-hypervisors/detail'),
      ]);
      setServices(s.services);
      setHypervisors(h.hypervisors);
    } catch (err) {
      setError(err);
      setServices([]);
    }
    if (session.isAdmin) {
      try {
        setFaults((await api('stratus', 'GET', '/faults')).faults);
      } catch (err) {
        setFaultError(err);
      }
    }
  };
  useEffect(() => {
    load();
  }, [session]);

  // Nova 2.53: PUT /os-services/{id} {"forced_down": …} (the id is the service's UUID).
  const forceDown = (s, value) => async () => {
    setError(null);
    try {
      await api('compute', 'PUT', `/os-services/${s.id}`, { forced_down: value });
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const perNode = new Map(hypervisors.map((h) => [h.service?.host ?? h.hypervisor_hostname, h]));
  const rows = (services ?? []).map((s) => {
    const h = perNode.get(s.host);
    return html`<tr data-testid="node-row" data-host=${s.host}>
      <td>${s.host}</td>
      <td data-testid="node-state">${s.state}</td>
      <td>${s.status}${s.disabled_reason ? ` (${s.disabled_reason})` : ''}</td>
      <td>
        ${s.forced_down ? 'yes' : 'no'}
        ${
          session.isAdmin &&
          html` <button type="button" data-testid="force-down" onClick=${forceDown(s, !s.forced_down)}>
          ${s.forced_down ? 'Clear forced down' : 'Force down'}
        </button>`
        }
      </td>
      <td>${s.zone}</td>
      <td>${h ? h.running_vms : ''}</td>
      <td>${when(s.updated_at)}</td>
    </tr>`;
  });
  const act = (fn) => async (e) => {
    e?.preventDefault?.();
    setFaultError(null);
    try {
      await fn(e);
      setFaults((await api('stratus', 'GET', '/faults')).faults);
    } catch (err) {
      setFaultError(err);
    }
  };
  const addFault = act(async (e) => {
    const f = new FormData(e.currentTarget);
    const fault = { host: String(f.get('host')), operation: String(f.get('operation')), mode: String(f.get('mode')) };
    if (f.get('server_id')) fault.server_id = String(f.get('server_id'));
    if (f.get('count')) fault.count = Number(f.get('count'));
    if (fault.mode === 'delay') fault.delay_ms = Number(f.get('delay_ms') || 0);
    await api('stratus', 'POST', '/faults', { fault });
  });
  const freeze = act(async (e) => {
    const f = new FormData(e.currentTarget);
    await api('stratus', 'POST', '/faults', {
      fault: { host: String(f.get('host')), operation: 'freeze', mode: 'hang' },
    });
  });
  const hosts = (services ?? []).map((s) => s.host);
  const hostSelect = (testid) =>
    html`<label>Node <select name="host" required data-testid=${testid}>${hosts.map((h) => html`<option value=${h}>${h}</option>`)}</select></label>`;
  const faultRows = faults.map(
    (f) => html`<tr data-testid="fault-row">
      <td>${f.host}</td><td>${f.operation}</td><td>${f.mode}</td><td>${f.delay_ms ?? ''}</td>
      <td>${f.remaining ?? '∞'}</td><td class="mono">${f.server_id ?? 'any'}</td><td>${when(f.created_at)}</td>
      <td><button type="button" data-testid="fault-remove" onClick=${act(() => api('stratus', 'DELETE', `/faults/${f.id}`))}>Remove</button></td>
    </tr>`,
  );
  return html`<section>
    <h1>Compute nodes</h1>
    <button type="button" onClick=${load}>Refresh</button>
    <${ErrorMessage} error=${error} />
    <${Table} caption="Compute nodes" testid="nodes" rows=${rows}
      columns=${['Node', 'State', 'Status', 'Forced down', 'Zone', 'Servers', 'Last heartbeat']}
      empty=${services ? 'No compute nodes.' : 'Loading…'} />
    ${
      session.isAdmin &&
      html`<h2>Fault injection</h2>
      <${ErrorMessage} error=${faultError} />
      <form class="fault" onSubmit=${addFault} data-testid="fault-form">
        ${hostSelect('fault-host')}
        <label>Operation <select name="operation" data-testid="fault-operation">${OPERATIONS.map((o) => html`<option value=${o}>${o}</option>`)}</select></label>
        <label>Mode <select name="mode" data-testid="fault-mode">
          <option value="fail">fail</option><option value="delay">delay</option><option value="hang">hang</option>
        </select></label>
        <label>Delay (ms) <input name="delay_ms" type="number" min="0" max="600000" value="1000" /></label>
        <label>Times (empty: until removed) <input name="count" type="number" min="1" /></label>
        <label>Server ID (empty: any) <input name="server_id" maxlength="64" /></label>
        <button type="submit" data-testid="fault-add">Add fault</button>
      </form>
      <form class="fault" onSubmit=${freeze} data-testid="freeze-form">
        ${hostSelect('freeze-host')}
        <button type="submit" data-testid="freeze">Freeze node (no heartbeats, no tasks)</button>
      </form>
      <${Table} caption="Injected faults" testid="faults" rows=${faultRows}
        columns=${['Node', 'Operation', 'Mode', 'Delay (ms)', 'Remaining', 'Server', 'Created', '']}
        empty="No faults." />
      ${
        faults.length > 0 &&
        html`<button type="button" data-testid="faults-clear" onClick=${act(() => api('stratus', 'DELETE', '/faults'))}>Remove all faults</button>`
      }`
    }
  </section>`;
}
