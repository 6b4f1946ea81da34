// Servers of the project (admins: of every project), live from the watch stream.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { html, ErrorMessage, ConfirmButton, Table, addresses } from './ui.js';

const HOST = 'OS-EXT-SRV-ATTR:host';

/** The server actions of the list and the server page, each refusal kept with its message. */
export function serverActions(setError, after) {
  const act = (label, fn) => async () => {
    setError(null);
    try {
      await fn();
      after?.();
    } catch (err) {
      setError(Object.assign(new Error(`${label}: ${err.message}`), { status: err.status }));
    }
  };
  const action = (id, body) => api('compute', 'POST', `/servers/${id}/action`, body);
  return {
    lock: (s) => act('Lock', () => action(s.id, { lock: null })),
    unlock: (s) => act('Unlock', () => action(s.id, { unlock: null })),
    remove: (s) => act('Delete', () => api('compute', 'DELETE', `/servers/${s.id}`)),
    forceDelete: (s) => act('Force delete', () => action(s.id, { forceDelete: null })),
    restore: (s) => act('Restore', () => action(s.id, { restore: null })),
  };
}

export function ActionButtons({ server, actions }) {
  const s = server;
  const soft = s.status === 'SOFT_DELETED';
  return html`<span class="actions">
    ${
      s.locked
        ? html`<button type="button" data-testid="unlock" onClick=${actions.unlock(s)}>Unlock</button>`
        : html`<button type="button" data-testid="lock" onClick=${actions.lock(s)}>Lock</button>`
    }
    ${
      soft
        ? html`<button type="button" data-testid="restore" onClick=${actions.restore(s)}>Restore</button>
          <${ConfirmButton} label="Force delete" confirmLabel="Yes, force delete" testid="force-delete"
            question=${`Force delete ${s.name}?`} onConfirm=${actions.forceDelete(s)} />`
        : html`<${ConfirmButton} label="Delete" confirmLabel="Yes, delete" testid="delete"
          question=${`Delete ${s.name}?`} onConfirm=${actions.remove(s)} />`
    }
  </span>`;
}

export function ServersPage({ session, stream }) {
  const [servers, setServers] = useState(new Map());
  const [error, setError] = useState(null);
  const [loaded, setLoaded] = useState(false);
  const query = session.isAdmin ? '?all_tenants=1' : '';
  const alive = useRef(true);

  // Answers can arrive out of order: a GET sent for an update may come back after the
  // server.deleted that followed it, and a list (on ready or resync) may answer after per-event
  // GETs that started later. Deleted ids stay dropped (ids are never reused); a list keeps the
  // entries whose GET started after it did; only the newest list is applied.
  const deleted = useRef(new Set());
  /** Start order of lists and GETs. */
  const clock = useRef(0);
  /** Per server: when the GET whose answer is shown started. */
  const readAt = useRef(new Map());
  const newestList = useRef(0);
  const list = async () => {
    const started = ++clock.current;
    newestList.current = started;
    try {
      const data = await api('compute', 'GET', `/servers/detail${query}`);
      if (!alive.current || newestList.current !== started) return;
      setServers((m) => {
        const n = new Map(data.servers.filter((s) => !deleted.current.has(s.id)).map((s) => [s.id, s]));
        for (const [id, s] of m) if ((readAt.current.get(id) ?? 0) > started) n.set(id, s);
        return n;
      });
      setLoaded(true);
    } catch (err) {
      setError(err);
    }
  };
  const drop = (id) => {
    deleted.current.add(id);
    setServers((m) => {
      const n = new Map(m);
      n.delete(id);
      return n;
    });
  };
  // One GET in flight per server: events meanwhile mark it dirty, and it is read once more after.
  const inFlight = useRef(new Set());
  const dirty = useRef(new Set());
  const readServer = async (id) => {
    inFlight.current.add(id);
    try {
      do {
        dirty.current.delete(id);
        const started = ++clock.current;
        try {
          const { server } = await api('compute', 'GET', `/servers/${id}`);
          if (!alive.current) return;
          if (deleted.current.has(server.id)) return;
          readAt.current.set(server.id, started);
          setServers((m) => new Map(m).set(server.id, server));
        } catch (err) {
          if (err.status === 404) return drop(id);
        }
      } while (dirty.current.has(id) && alive.current && !deleted.current.has(id));
    } finally {
      inFlight.current.delete(id);
      dirty.current.delete(id);
    }
  };
  /** One event: re-read that one server (or drop it). */
  const refresh = (e) => {
    if (e.type === 'server.deleted') return drop(e.server_id);
    if (inFlight.current.has(e.server_id)) dirty.current.add(e.server_id);
    else readServer(e.server_id);
  };
  useEffect(() => {
    alive.current = true;
    list(); // the stream's `ready` lists again; this one shows the page at once
    const off = stream.subscribe({ event: refresh, resync: list });
    return () => {
      alive.current = false;
      off();
    };
  }, [session]);

  const actions = serverActions(setError);
  const rows = [...servers.values()]
    .sort((a, b) => (a.created < b.created ? -1 : 1))
    .map(
      (s) => html`<tr data-testid="server-row" data-server-id=${s.id}>
        <td><a href=${`#/servers/${s.id}`} data-testid="server-name">${s.name}</a></td>
        <td data-testid="server-status">${s.status}</td>
        <td data-testid="server-task">${s['OS-EXT-STS:task_state'] ?? ''}</td>
        ${session.isAdmin && html`<td>${s[HOST] ?? ''}</td><td>${s.tenant_id}</td>`}
        <td>${addresses(s)}</td>
        <td data-testid="server-locked">${s.locked ? 'locked' : 'no'}</td>
        <td><${ActionButtons} server=${s} actions=${actions} /></td>
      </tr>`,
    );
  const columns = [
    'Name',
    'Status',
    'Task state',
    ...(session.isAdmin ? ['Node', 'Project'] : []),
    'Addresses',
    'Locked',
    'Actions',
  ];
  return html`<section>
    <h1>Servers ${session.isAdmin ? '(all projects)' : `of ${session.project}`}</h1>
    <${ErrorMessage} error=${error} />
    <${Table} caption="Servers" columns=${columns} rows=${rows} testid="servers"
      empty=${loaded ? 'No servers.' : 'Loading…'} />
    <${CreateServer} onError=${setError} />
  </section>`;
}

/** Options for a select, from a list call that may not exist or be refused (then: none). */
function useOptions(service, path, pick) {
  const [items, setItems] = useState([]);
  useEffect(() => {
    api(service, 'GET', path)
      .then((d) => setItems(pick(d)))
      .catch(() => setItems([]));
  }, [path]);
  return items;
}

function CreateServer({ onError }) {
  const flavors = useOptions('compute', '/flavors', (d) => d.flavors);
  const images = useOptions('image', '/v2/images', (d) => d.images);
  const networks = useOptions('network', '/v2.0/networks', (d) => d.networks);
  const keypairs = useOptions('compute', '/os-keypairs', (d) => d.keypairs.map((k) => k.keypair));
  const groups = useOptions('network', '/v2.0/security-groups', (d) => d.security_groups);
  const [created, setCreated] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const net = String(f.get('network'));
    const server = {
      name: String(f.get('name')),
      flavorRef: String(f.get('flavor')),
      imageRef: String(f.get('image')),
      networks: net === 'none' || net === 'auto' ? net : [{ uuid: net }],
    };
    if (f.get('keypair')) server.key_name = String(f.get('keypair'));
    if (f.get('group')) server.security_groups = [{ name: String(f.get('group')) }];
    onError(null);
    setCreated(null);
    try {
      const { server: s } = await api('compute', 'POST', '/servers', { server });
      setCreated(s.id);
      form.elements.namedItem('name').value = '';
    } catch (err) {
      onError(Object.assign(new Error(`Create: ${err.message}`), { status: err.status }));
    }
  };
  const opt = (value, label) => html`<option value=${value}>${label}</option>`;
  return html`<form class="create" onSubmit=${submit} data-testid="create-form">
    <h2>Create a server</h2>
    <label>Name <input name="name" required maxlength="255" data-testid="create-name" /></label>
    <label>Flavor <select name="flavor" data-testid="create-flavor">${flavors.map((x) => opt(x.id, x.name))}</select></label>
    <label>Image <select name="image" data-testid="create-image">${images.map((x) => opt(x.id, x.name))}</select></label>
    <label>Network <select name="network" data-testid="create-network">
      ${networks.filter((n) => !n['router:external']).map((x) => opt(x.id, x.name))}
      ${opt('auto', 'auto')}${opt('none', 'none')}
    </select></label>
    <label>Key pair <select name="keypair">${opt('', '(none)')}${keypairs.map((x) => opt(x.name, x.name))}</select></label>
    <label>Security group <select name="group">${opt('', '(default)')}${[...new Set(groups.map((g) => g.name))].map((n) => opt(n, n))}</select></label>
    <button type="submit" data-testid="create-submit" disabled=${!flavors.length || !images.length}>Create</button>
    ${created && html`<p role="status" data-testid="created">Requested server ${created}.</p>`}
  </form>`;
}
