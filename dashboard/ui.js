// Small shared pieces: the html tag, refusal messages, confirmation, dates.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import htm from 'htm';

// htm builds preact elements: every value is a child or a property, rendered as text (never HTML).
export const html = htm.bind(h);

/** A refusal or failure, in the service's own words. */
export function ErrorMessage({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert" data-testid="error">${error.message ?? String(error)}</p>`;
}

/** A button that asks again before it acts (a delete is not undone). */
export function ConfirmButton({ label, confirmLabel, question, onConfirm, testid }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return html`<button type="button" data-testid=${testid} onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm" role="group" aria-label=${question}>
    <span>${question}</span>
    <button type="button" class="danger" data-testid=${`${testid}-confirm`}
      onClick=${() => {
        setAsking(false);
        onConfirm();
      }}>${confirmLabel}</button>
    <button type="button" data-testid=${`${testid}-cancel`} onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

/** A UTC time to read (Nova's times carry no zone: they are UTC); `ms` keeps the milliseconds. */
export function when(iso, ms = false) {
  if (!iso) return '';
  const d = new Date(/(Z|[+-]\d\d:\d\d)$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(d.getTime())) return String(iso);
  const text = d.toISOString().replace('T', ' ');
  return ms ? text : text.replace(/\.\d+Z$/, 'Z');
}

/** Addresses of a Nova server as "net: ip, ip; net2: ip". */
export function addresses(server) {
  return Object.entries(server.addresses ?? {})
    .map(([net, list]) => `${net}: ${list.map((a) => a.addr).join(', ')}`)
    .join('; ');
}

export function Table({ caption, columns, rows, empty, testid }) {
  return html`<table data-testid=${testid}>
    <caption>${caption}</caption>
    <thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
    <tbody>
      ${rows.length === 0 ? html`<tr><td colspan=${columns.length}>${empty}</td></tr>` : rows}
    </tbody>
  </table>`;
}
