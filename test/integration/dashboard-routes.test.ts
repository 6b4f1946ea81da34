/**
 * The dashboard's routes without a browser: what is served, with which headers, and what is not
 * (every answer code of the three routes). The browser test (test/browser) drives the page itself.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestCloud } from '../../src/testing/kit.js';

let cloud: TestCloud;
before(async () => {
  cloud = await TestCloud.start();
});
after(async () => {
  await cloud?.close();
});

function dashboardFile(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'dashboard', name))) dir = dirname(dir);
  return readFileSync(join(dir, 'dashboard', name), 'utf8');
}

const get = (path: string, init: RequestInit = {}) => fetch(cloud.url + path, { redirect: 'manual', ...init });

test('GET /dashboard/: the page, no token needed, with the CSP that allows its import map by hash', async () => {
  const res = await get('/dashboard/');
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(text, dashboardFile('index.html'));
  const map = /<script type="importmap">([\s\S]*?)<\/script>/.exec(text)![1];
  const hash = createHash('sha256').update(map).digest('base64');
  assert.equal(
    res.headers.get('content-security-policy'),
    `default-src 'self'; script-src 'self' 'sha256-${hash}'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  );
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.ok(!/innerHTML|dangerouslySetInnerHTML/.test(dashboardFile('app.js') + dashboardFile('ui.js')));
});

test('GET /dashboard redirects to /dashboard/ (the page loads its modules relative to it)', async () => {
  const res = await get('/dashboard');
  await res.arrayBuffer();
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), '/dashboard/');
});

test('the modules and the vendored libraries are served as JavaScript, with the same headers', async () => {
  for (const [path, marker] of [
    ['/dashboard/app.js', 'render('],
    ['/dashboard/style.css', 'body'],
    ['/dashboard/vendor/preact.mjs', 'export'],
    ['/dashboard/vendor/hooks.mjs', 'from"preact"'],
    ['/dashboard/vendor/htm.mjs', 'export'],
  ]) {
    const res = await get(path);
    const text = await res.text();
    assert.equal(res.status, 200, path);
    assert.ok(text.includes(marker), `${path} lacks ${marker}`);
    assert.match(res.headers.get('content-type') ?? '', path.endsWith('.css') ? /^text\/css/ : /javascript/, path);
    assert.ok(res.headers.get('content-security-policy')?.startsWith("default-src 'self'"), path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
  }
});

test("anything else under /dashboard/ is 404 with Nova's body; other methods 405", async () => {
  for (const path of [
    '/dashboard/missing.js',
    '/dashboard/package.json',
    '/dashboard/..%2fpackage.json',
    '/dashboard/%2e%2e%2fREADME.md',
    '/dashboard/vendor/preact.js',
    '/dashboard/vendor/..%2f..%2fpackage.json',
    '/dashboard/vendor/',
  ]) {
    const res = await get(path);
    assert.equal(res.status, 404, path);
    assert.deepEqual(await res.json(), { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  }
  for (const path of ['/dashboard/', '/dashboard/app.js', '/dashboard/vendor/htm.mjs']) {
    const res = await get(path, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 405, path);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    assert.equal((await res.json()).badMethod.code, 405);
  }
});
