// The Stratus dashboard: a login, then pages that read and act through the public APIs.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentSession, login, logout, whenExpired } from './api.js';
import { watch } from './watch.js';
import { html, ErrorMessage } from './ui.js';
import { ServersPage } from './servers.js';
import { ServerPage } from './server.js';
import { NodesPage } from './nodes.js';
import { ResourcesPage } from './resources.js';

/** The page is the URL fragment (#/servers, #/servers/<id>, #/nodes, #/resources). */
function useRoute() {
  const [route, setRoute] = useState(location.hash || '#/servers');
  useEffect(() => {
    const on = () => setRoute(location.hash || '#/servers');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function Login({ onLogin, notice }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      onLogin(await login(String(f.get('user')), String(f.get('password')), String(f.get('project'))));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="login">
    <h1>Stratus</h1>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <form onSubmit=${submit} data-testid="login-form">
      <label>User <input name="user" autocomplete="username" required data-testid="login-user" /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required data-testid="login-password" /></label>
      <label>Project <input name="project" required data-testid="login-project" /></label>
      <p class="hint">Domain: Default</p>
      <button type="submit" disabled=${busy} data-testid="login-submit">Log in</button>
    </form>
    <${ErrorMessage} error=${error} />
  </main>`;
}

/**
 * One watch stream for the whole session; pages subscribe to its server events and to
 * resyncs (when they must re-read everything).
 */
function useStream(session) {
  const listeners = useRef(new Set());
  const [status, setStatus] = useState({ state: 'connecting', detail: '' });
  useEffect(() => {
    if (!session) return undefined;
    const stop = watch({
      query: session.isAdmin ? '?all_tenants=1' : '',
      onEvent: (e) => {
        for (const l of listeners.current) l.event?.(e);
      },
      onResync: () => {
        for (const l of listeners.current) l.resync?.();
      },
      onStatus: (state, detail = '') => setStatus({ state, detail }),
    });
    return stop;
  }, [session]);
  const subscribe = (l) => {
    listeners.current.add(l);
    return () => listeners.current.delete(l);
  };
  return { status, subscribe };
}

const STREAM_LABELS = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  unavailable: 'live updates off',
};

function App() {
  const [session, setSession] = useState(currentSession());
  const [notice, setNotice] = useState('');
  const route = useRoute();
  const stream = useStream(session);
  useEffect(
    () =>
      whenExpired((message) => {
        setNotice(`Logged out: ${message}`);
        setSession(null);
      }),
    [],
  );
  if (!session)
    return html`<${Login} notice=${notice} onLogin=${(s) => {
      setNotice('');
      setSession(s);
    }} />`;
  const [, page, id] = route.split('/');
  const nav = [
    ['servers', 'Servers'],
    ['nodes', 'Compute nodes'],
    ['resources', 'Volumes & network'],
  ];
  let body;
  if (page === 'servers' && id) body = html`<${ServerPage} key=${id} id=${id} session=${session} stream=${stream} />`;
  else if (page === 'nodes') body = html`<${NodesPage} session=${session} />`;
  else if (page === 'resources') body = html`<${ResourcesPage} session=${session} />`;
  else body = html`<${ServersPage} session=${session} stream=${stream} />`;
  return html`<div>
    <header>
      <span class="brand">Stratus</span>
      <nav aria-label="Pages">
        ${nav.map(([p, label]) => html`<a href=${`#/${p}`} aria-current=${page === p ? 'page' : undefined}>${label}</a>`)}
      </nav>
      <span class="who" data-testid="who">${session.user} @ ${session.project}${session.isAdmin ? ' (admin)' : ''}</span>
      <span class=${`stream stream-${stream.status.state}`} data-testid="stream-status" data-state=${stream.status.state} title=${stream.status.detail}>
        ${STREAM_LABELS[stream.status.state] ?? stream.status.state}
      </span>
      <button type="button" data-testid="logout" onClick=${() => {
        logout();
        setSession(null);
      }}>Log out</button>
    </header>
    <main>${body}</main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
