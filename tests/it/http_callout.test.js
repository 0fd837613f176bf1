// http_callout.test.js: the `http` handler against a JSON backend this test starts
// (node's http.createServer on a free port), with the real daemon, node-smpp as the SMSC
// and a real Redis. The menu set is tests/it/menus_callout, copied with its backend
// addresses pointed at this test's server. The backend records every request it gets.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const L = require('./lib');
const { test, assert, assertEq } = L;

const MENUS = path.join(L.ROOT, 'tests/it/menus_callout');
const SLOW_MS = 2500; // the slow endpoint answers after this (past every timer)

const CITIZENS = {
  1000: { citizen: { name: 'Alice Uwase', district: 'Gasabo', balance: 1500, active: true } },
  2000: { result: 'not_found' },
  3000: { result: 'suspended', message: 'Card suspended until 2026-12-01.' },
  4000: { result: 'frozen', message: 'Account frozen, visit the office.' },
};

// The backend: answers by path and ID, records what it got; `late` counts slow answers
// written after the gateway had given up (the socket may already be closed).
async function startBackend() {
  const b = { requests: [], late: 0, sockets: new Set() };
  b.server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const rec = { method: req.method, url: req.url, headers: req.headers, body };
      b.requests.push(rec);
      answer(b, rec, res);
    });
  });
  b.server.on('connection', (s) => { b.sockets.add(s); s.on('close', () => b.sockets.delete(s)); });
  b.port = await L.freePort();
  await new Promise((res, rej) => { b.server.once('error', rej); b.server.listen(b.port, '127.0.0.1', res); });
  L.defer(() => new Promise((res) => {
    for (const s of b.sockets) s.destroy();
    b.server.close(() => res());
  }));
  return b;
}

function json(res, status, obj) {
  const s = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(s) });
  res.end(s);
}

function citizen(res, id) {
  if (id === '1404') return json(res, 404, { error: 'no such citizen' });
  if (id === '4010') return json(res, 401, { error: 'bad key' });
  if (id === '5500') return json(res, 500, { error: 'boom' });
  if (id === '5000') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end('<html>this is not json</html>');
  }
  return CITIZENS[id] ? json(res, 200, CITIZENS[id]) : json(res, 404, {});
}

function answer(b, rec, res) {
  const u = new URL(rec.url, 'http://x');
  if (u.pathname === '/citizens/lookup' && rec.method === 'POST') {
    let id = null;
    try { id = JSON.parse(rec.body).id; } catch (e) { /* answered 400 below */ }
    if (id === null) return json(res, 400, { error: 'bad body' });
    return citizen(res, id);
  }
  if (u.pathname === '/citizens' && rec.method === 'GET') return citizen(res, u.searchParams.get('id'));
  if (u.pathname === '/sectors') {
    return json(res, 200, { data: { district: u.searchParams.get('district'), sectors: [
      { name: 'Kacyiru', code: 'GS-KCY' }, { name: 'Kimihurura', code: 'GS-KMH' }, { name: 'Remera', code: 'GS-RMR' },
    ] } });
  }
  if (u.pathname === '/slow') {
    setTimeout(() => {
      b.late++;
      if (!res.destroyed) json(res, 200, CITIZENS[1000]);
    }, SLOW_MS);
    return undefined;
  }
  if (u.pathname === '/huge') return json(res, 200, { citizen: { name: 'Big' }, pad: 'x'.repeat(200 * 1024) });
  if (u.pathname === '/huge-chunked') {
    // no Content-Length: node sends it chunked, and the size is only known by reading
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{"citizen":{"name":"Big"},"pad":"');
    let n = 0;
    const more = () => {
      if (res.destroyed) return;
      if (n++ < 20) { res.write('y'.repeat(8192)); setImmediate(more); } else res.end('"}');
    };
    more();
    return undefined;
  }
  return json(res, 404, {});
}

// The menu set with its backend addresses pointed at this test's server; port 8090
// goes to a port where nothing listens.
async function menusFor(backendPort) {
  const downPort = await L.freePort();
  const dir = fs.mkdtempSync(path.join(L.TMP, 'menus-callout-'));
  for (const f of fs.readdirSync(MENUS).filter((x) => x.endsWith('.yaml'))) {
    const s = fs.readFileSync(path.join(MENUS, f), 'utf8')
      .replace(/(127\.0\.0\.1|localhost|backend\.invalid):8089/g, `$1:${backendPort}`)
      .replace(/127\.0\.0\.1:8090/g, `127.0.0.1:${downPort}`);
    fs.writeFileSync(path.join(dir, f), s);
  }
  return dir;
}

async function setup(extra = {}) {
  const redis = L.sharedRedis() || await L.startRedis();
  const backend = await startBackend();
  const smsc = new L.Smsc();
  await smsc.listen();
  const menus = await menusFor(backend.port);
  const gw = await L.startGateway({ smscPort: smsc.port, redis: redis.addr, smsc, menus, ...extra });
  return { redis, smsc, gw, backend };
}

// numbers unique to this run: the Redis may be shared with other test files
let phone = 250784000000 + (process.pid % 1000) * 1000;
const nextPhone = () => String(++phone);
let sess = 0;

// Dial *123#, then give each answer; resolves with the last reply.
async function walk(smsc, p, answers) {
  const s = ++sess & 0xff;
  let r = await smsc.dial(p, '*123#', s);
  assert(r.text.startsWith('Registry\n1. POST'), `first screen: ${r.text}`);
  for (let i = 0; i < answers.length; i++) r = await smsc.answer(p, answers[i], s, i + 1);
  return r;
}

// No phone number and no ID in the logs of a failure (the number is masked).
function assertNoUserData(gw, p, id) {
  if (process.env.GW_LOG_LEVEL === 'debug') return; // debug logs show whole numbers
  assert(!gw.logs.includes(p), 'the whole phone number is not logged');
  if (id) assert(!new RegExp(`[=/"]${id}\\b`).test(gw.logs), 'the ID is not logged');
}

test('happy path: the ID goes to the backend, fields of the answer come back', async () => {
  const { smsc, backend, gw } = await setup();
  const p = nextPhone();
  const r = await walk(smsc, p, ['1', '1000']);
  assertEq(r.text, 'Alice Uwase, Gasabo. Balance 1500 RWF. Active: true.', 'final screen');
  assertEq(r.end, true, 'the dialog ends');
  assertEq(backend.requests.length, 1, 'one request, no retry');
  const q = backend.requests[0];
  assertEq(q.method, 'POST', 'method');
  assertEq(q.url, '/citizens/lookup', 'path');
  assertEq(q.headers['content-type'], 'application/json', 'content type');
  assertEq(q.headers['x-api-key'], 'secret-123', 'configured header');
  assertEq(q.headers.host, `127.0.0.1:${backend.port}`, 'Host');
  assertEq(q.headers['user-agent'], 'ussdgw', 'User-Agent');
  assert(/^[0-9a-f]{32}$/.test(q.headers['idempotency-key'] || ''), `Idempotency-Key: ${q.headers['idempotency-key']}`);
  assert(!q.headers['idempotency-key'].includes(p), 'no phone number in the key');
  assertEq(JSON.stringify(JSON.parse(q.body)), JSON.stringify({ id: '1000', msisdn: p, channel: 7, meta: { lang: 'en' } }), 'body');
  assert(!/http_callout\.(failed|config)/.test(gw.logs), 'nothing logged as failed');
});

test('not_found: by HTTP 404 and by the outcome field of a 200', async () => {
  const { smsc } = await setup();
  let r = await walk(smsc, nextPhone(), ['1', '1404']);
  assertEq(r.text, 'No citizen with ID 1404.', '404');
  r = await walk(smsc, nextPhone(), ['1', '2000']);
  assertEq(r.text, 'No citizen with ID 2000.', 'outcome field');
});

test('an outcome field names any route; with no route its message is shown', async () => {
  const { smsc } = await setup();
  let r = await walk(smsc, nextPhone(), ['1', '3000']);
  assertEq(r.text, 'Suspended: Card suspended until 2026-12-01.', 'route suspended with the message');
  r = await walk(smsc, nextPhone(), ['1', '4000']);
  assertEq(r.text, 'Account frozen, visit the office.', 'no route: the message');
  assertEq(r.end, true, 'ends');
});

test('GET sends the fields as a query string, after the query of the url', async () => {
  const { smsc, backend } = await setup();
  const r = await walk(smsc, nextPhone(), ['2', '1000']);
  assertEq(r.text, 'Found Alice Uwase.', 'final screen');
  const q = backend.requests[0];
  assertEq(q.method, 'GET', 'method');
  assertEq(q.url, '/citizens?v=2&id=1000&lang=en', 'query string');
  assertEq(q.body, '', 'no body');
  assertEq(q.headers['content-type'], undefined, 'no content type');
});

test('a source menu built from a JSON array', async () => {
  const { smsc, backend } = await setup();
  const p = nextPhone();
  const s = ++sess & 0xff;
  await smsc.dial(p, '*123#', s);
  let r = await smsc.answer(p, '3', s, 1);
  assertEq(r.text, 'Choose a sector:\n1. Kacyiru\n2. Kimihurura\n3. Remera\n0 Back', 'the list');
  assertEq(backend.requests[0].url, '/sectors?district=Gasabo', 'request');
  r = await smsc.answer(p, '2', s, 2);
  assertEq(r.text, 'Sector GS-KMH.', 'the item value is stored');
});

test('a slow backend: the error route within the handler timer, the late answer ignored', async () => {
  const { smsc, backend, gw } = await setup();
  const p = nextPhone();
  const s = ++sess & 0xff;
  await smsc.dial(p, '*123#', s);
  const r = await smsc.answer(p, '4', s, 1);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'error route');
  // measured 702..705 ms (sanitizer build, 1 or 2 cores kept busy, 4 runs)
  L.timing('error route at timeout_ms 700', r.latencyMs, '600..2000');
  assert(r.latencyMs >= 600 && r.latencyMs < 2000, `answered at timeout_ms (700), not later: ${r.latencyMs} ms`);
  await gw.waitLog(/event=http_callout\.failed .*reason=timeout/);
  // the backend answers late; the gateway has closed the connection and goes on serving
  await L.until(() => backend.late >= 1, SLOW_MS + 3000, 'the late answer');
  const q = await walk(smsc, nextPhone(), ['2', '1000']);
  assertEq(q.text, 'Found Alice Uwase.', 'still serving');
  assertEq(gw.exitCode, null, 'the gateway runs');
  assertEq(smsc.submits.filter((x) => x.destination_addr === p).length, 2, 'nothing more sent to the phone');
  assertNoUserData(gw, p);
});

test('a backend slower than the handler timer: the call is cancelled, error route', async () => {
  const { smsc, backend, gw } = await setup({ config: 'handler_timeout_ms = 1000\n' });
  const p = nextPhone();
  const s = ++sess & 0xff;
  await smsc.dial(p, '*123#', s);
  const r = await smsc.answer(p, '8', s, 1);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'error route');
  // measured 1001..1008 ms (sanitizer build, 1 or 2 cores kept busy, 4 runs)
  L.timing('error route at handler_timeout_ms 1000', r.latencyMs, '900..2000');
  assert(r.latencyMs >= 900 && r.latencyMs < 2000, `answered at the handler timer: ${r.latencyMs} ms`);
  await gw.waitLog(/event=http_callout\.failed .*reason=cancelled/);
  await L.until(() => backend.late >= 1, SLOW_MS + 3000, 'the late answer');
  const q = await walk(smsc, nextPhone(), ['2', '1000']);
  assertEq(q.text, 'Found Alice Uwase.', 'still serving');
  assertEq(smsc.submits.filter((x) => x.destination_addr === p).length, 2, 'nothing more sent to the phone');
});

test('SIGTERM with a call in flight: the step still gets its answer, then a clean exit', async () => {
  const { smsc, backend, gw } = await setup();
  const p = nextPhone();
  const s = ++sess & 0xff;
  await smsc.dial(p, '*123#', s);
  const from = smsc.submits.length;
  await smsc.deliver({ msisdn: p, text: '4', op: 18, session: s, seq: 1 });
  await L.until(() => backend.requests.some((q) => q.url === '/slow'), 3000, 'the call to reach the backend');
  gw.proc.kill('SIGTERM');
  const r = await smsc.nextSubmit((x) => x.destination_addr === p, from, 4000);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'error route');
  const { code } = await gw.exited;
  assertEq(code, 0, 'exit status');
});

test('backend down: error route, logged without user data', async () => {
  const { smsc, gw } = await setup();
  const p = nextPhone();
  const r = await walk(smsc, p, ['5']);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'error route');
  await gw.waitLog(/event=http_callout\.failed .*reason=connect_failed/);
  assertNoUserData(gw, p);
});

test('a huge answer is an error, with or without Content-Length', async () => {
  const { smsc, gw } = await setup();
  let r = await walk(smsc, nextPhone(), ['6']);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'Content-Length over the cap');
  r = await walk(smsc, nextPhone(), ['7']);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'chunked over the cap');
  await gw.waitLog(/reason=too_large/);
});

test('not JSON, HTTP 500 and HTTP 401 are errors, logged with the status', async () => {
  const { smsc, gw } = await setup();
  const p = nextPhone();
  for (const id of ['5000', '5500', '4010']) {
    const r = await walk(smsc, p, ['1', id]);
    assertEq(r.text, 'Sorry, the registry is not available. Try again later.', `ID ${id}`);
  }
  await gw.waitLog(/reason=bad_json status=200/);
  await gw.waitLog(/reason=http_status status=500/);
  await gw.waitLog(/reason=http_status status=401/);
  assertNoUserData(gw, p, '5500');
});

test('host names: localhost resolves on the loop; an unknown name is an error', async () => {
  const { smsc, backend, gw } = await setup();
  let r = await walk(smsc, nextPhone(), ['10', '1000']);
  assertEq(r.text, 'Found Alice Uwase.', 'by name');
  assertEq(backend.requests[0].headers.host, `localhost:${backend.port}`, 'Host is the name');
  r = await walk(smsc, nextPhone(), ['9']);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'unknown host');
  await gw.waitLog(/event=http_callout\.failed .*backend=backend\.invalid:\d+ reason=dns_/);
});

test('a screen without url: error route and a log line for the administrator', async () => {
  const { smsc, gw, backend } = await setup();
  const r = await walk(smsc, nextPhone(), ['11']);
  assertEq(r.text, 'Sorry, the registry is not available. Try again later.', 'error route');
  await gw.waitLog(/event=http_callout\.config .*url/);
  assertEq(backend.requests.length, 0, 'nothing sent');
});

test('./ussdgw check accepts the menu set', async () => {
  const { spawnSync } = require('child_process');
  const r = spawnSync(L.USSDGW, ['check', MENUS], { encoding: 'utf8' });
  assertEq(r.status, 0, `exit status; output: ${r.stdout}${r.stderr}`);
  assert(/OK: .* 0 warning/.test(r.stdout + r.stderr), `no warnings: ${r.stdout}${r.stderr}`);
});

L.run();
