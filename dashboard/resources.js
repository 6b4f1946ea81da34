// Volumes (Cinder v3), ports and floating IPs (Neutron): read-only lists.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { html, ErrorMessage, Table } from './ui.js';

function useList(service, path, key) {
  const [state, setState] = useState({ items: null, error: null });
  useEffect(() => {
    api(service, 'GET', path)
      .then((d) => setState({ items: d[key], error: null }))
      .catch((error) => setState({ items: [], error }));
  }, [path]);
  return state;
}

function List({ title, state, columns, row, testid }) {
  return html`<div>
        <${ErrorMessage} error=${state.error} />
    <${Table} caption=${title} testid=${testid} columns=${columns}
      rows=${(state.items ?? []).map((x) => html`<tr>${row(x).map((c) => html`<td>${c ?? ''}</td>`)}</tr>`)}
      empty=${state.items ? 'None.' : 'Loading…'} />
  </div>`;
}

export function ResourcesPage({ session }) {
  const volumes = useList('volume', '/volumes/detail', 'volumes');
  const ports = useList('network', '/v2.0/ports', 'ports');
  const fips = useList('network', '/v2.0/floatingips', 'floatingips');
  return html`<section>
    <h1>Volumes, ports and floating IPs${session.isAdmin ? ' (all projects)' : ''}</h1>
    <${List} title="Volumes" testid="volumes" state=${volumes}
      columns=${['Name', 'ID', 'Status', 'Size (GiB)', 'Attached to']}
      row=${(v) => [v.name, v.id, v.status, v.size, (v.attachments ?? []).map((a) => a.server_id).join(', ')]} />
    <${List} title="Ports" testid="ports" state=${ports}
      columns=${['Name', 'ID', 'Status', 'Device', 'Owner', 'Fixed IPs']}
      row=${(p) => [p.name, p.id, p.status, p.device_id, p.device_owner, (p.fixed_ips ?? []).map((f) => f.ip_address).join(', ')]} />
    <${List} title="Floating IPs" testid="floatingips" state=${fips}
      columns=${['Address', 'ID', 'Status', 'Fixed IP', 'Port']}
      row=${(f) => [f.floating_ip_address, f.id, f.status, f.fixed_ip_address, f.port_id]} />
  </section>`;
}
