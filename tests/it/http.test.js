// http.test.js: the HTTP ingress for USSD aggregators, driven with curl against the real
// daemon and a real Redis: whole dialogs in the Africa's Talking dialect (cumulative
// text, retried requests, a first request carrying answers) and in Hubtel's JSON
// dialect; every refusal (413, 400, 405, 404, 401, 403) as one line of text/plain;
// Redis killed mid-dialog; an HTTP dialog and an SMPP dialog of the same phone kept
// apart; hostile requests; SIGTERM with a request in flight.
'use strict';
const L = require('./lib');
const { test, assert, assertEq, until } = L;
const net = require('net');
const fs = require('fs');
const path = require('path');
const { execFile, spawnSync } = require('child_process');

const UNAVAILABLE = 'Service temporarily unavailable, please try again later.';
const ROOT = 'Test services\n1. Enter a name';

// numbers unique to this run: the Redis may be shared with other test files
let phone = 250782000000 + Math.floor(Math.random() * 9e5) * 10;
const nextPhone = () => String(++phone);
let sidN = 0;
const nextSid = () => `ATUid_${process.pid}_${++sidN}`;

// ---- HTTP through curl ---------------------------------------------------------------
// Resolves with {status, headers (lower-case names), body, code (curl's exit code)}.
function curl(port, { method = 'POST', path = '/ussd', body = null, headers = {}, host = '127.0.0.1' } = {}) {
  return new Promise((resolve) => {
    const args = ['-sS', '-i', '--max-time', '15', '-H', 'Expect:', '-X', method];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    if (body !== null) args.push('--data-binary', '@-');
    args.push(`http://${host}:${port}${path}`);
    const t0 = Date.now();
    const child = execFile('curl', args, { encoding: 'buffer', maxBuffer: 1 << 22 }, (err, out) => {
      const res = { code: err ? err.code : 0, ms: Date.now() - t0, status: 0, headers: {}, body: '' };
      let buf = out || Buffer.alloc(0);
      for (;;) {
        const sep = buf.indexOf('\r\n\r\n');
        if (sep < 0) break;
        const head = buf.slice(0, sep).toString('latin1').split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
        if (!m) break;
        res.status = Number(m[1]);
        res.headers = {};
        for (const h of head.slice(1)) {
          const i = h.indexOf(':');
          if (i > 0) res.headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
        }
        buf = buf.slice(sep + 4);
        if (res.status !== 100) break;
      }
      res.body = buf.toString('utf8');
      resolve(res);
    });
    child.stdin.on('error', () => {});
    if (body !== null) child.stdin.end(body);
    else child.stdin.end();
  });
}

const form = (o) => Object.entries(o).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

// One Africa's Talking request; the plain-text answer.
async function at(port, { sid, msisdn, text, code = '*123#', headers = {} }) {
  const r = await curl(port, {
    body: form({ sessionId: sid, serviceCode: code, phoneNumber: `+${msisdn}`, networkCode: '63902', text }),
    headers,
  });
  return r;
}

async function atOk(port, args) {
  const r = await at(port, args);
  assertEq(r.status, 200, `status of text=${JSON.stringify(args.text)} (${r.body})`);
  assert(/^text\/plain/.test(r.headers['content-type'] || ''), `content-type ${r.headers['content-type']}`);
  return r.body;
}

async function hubtel(port, o) {
  const r = await curl(port, { path: '/ussd/hubtel', body: JSON.stringify(o), headers: { 'Content-Type': 'application/json' } });
  let json = null;
  if (r.status === 200) {
    assert(/^application\/json/.test(r.headers['content-type'] || ''), `content-type ${r.headers['content-type']}`);
    json = JSON.parse(r.body);
  }
  return { ...r, json };
}

function assertOneLine(r, what) {
  assert(/^text\/plain/.test(r.headers['content-type'] || ''), `${what}: content-type ${r.headers['content-type']}`);
  assert(/^[^\n]+\n$/.test(r.body), `${what}: one line of text, got ${JSON.stringify(r.body)}`);
}

// ---- setup ----------------------------------------------------------------------------
async function setup({ redis, config, args = [], smsc = true } = {}) {
  redis = redis || L.sharedRedis() || await L.startRedis();
  const port = await L.freePort();
  let s = null;
  if (smsc) {
    s = new L.Smsc();
    await s.listen();
  }
  const gw = await L.startGateway({
    smscPort: s ? s.port : null, redis: redis.addr, smsc: s, config,
    args: ['--http', `127.0.0.1:${port}`, ...args],
  });
  if (!s) await gw.waitLog(/event=gateway\.started/);
  await gw.waitLog(/event=http\.listening/);
  return { redis, smsc: s, gw, port };
}

function alive(gw) {
  if (gw.exitCode !== null || gw.signal) throw new Error(`gateway died (code ${gw.exitCode}, signal ${gw.signal}); log:\n${gw.logs.slice(-1500)}`);
}

// A new dialog still gets the first screen.
async function stillServes(port, gw) {
  alive(gw);
  const body = await atOk(port, { sid: nextSid(), msisdn: nextPhone(), text: '' });
  assert(body.startsWith(`CON ${ROOT}`), `a normal request after all that: ${body}`);
  alive(gw);
}

// ---- Africa's Talking ---------------------------------------------------------------
test("Africa's Talking: a whole dialog with cumulative text, same screens as SMPP", async () => {
  const { port, smsc, redis } = await setup();
  const viaSmpp = await smsc.dial(nextPhone(), '*123#', 21);
  const p = nextPhone();
  const sid = nextSid();
  let b = await atOk(port, { sid, msisdn: p, text: '' });
  assertEq(b, `CON ${viaSmpp.text}`, 'first screen, as over SMPP');
  assert(b.startsWith(`CON ${ROOT}`), b);
  b = await atOk(port, { sid, msisdn: p, text: '1' });
  assertEq(b, 'CON Your name?\n0 Back', 'prompt');
  b = await atOk(port, { sid, msisdn: p, text: '1*Alice' });
  assert(b.startsWith('CON Hello Alice. Confirm?\n1. Yes'), b);
  b = await atOk(port, { sid, msisdn: p, text: '1*Alice*1' });
  assertEq(b, 'END Thank you Alice. Reference REF-Alice.', 'final');
  assertEq(await redis.cmd('EXISTS', `ussd:s:http.at:${p}:${sid}`), 1, 'the session is keyed on ingress http.at');
  const q = await L.smsFor(redis, p);
  assert(q.some((m) => m.includes('REF-Alice')), 'SMS queued with the leading + stripped');
  // a late request on the ended dialog still gets an answer: an empty END
  b = await atOk(port, { sid, msisdn: p, text: '1*Alice*1*1' });
  assertEq(b, 'END', 'late input on an ended dialog');
});

test("Africa's Talking: a retried request shows the same screen and does not advance", async () => {
  const { port } = await setup();
  const p = nextPhone();
  const sid = nextSid();
  const first = await atOk(port, { sid, msisdn: p, text: '' });
  assertEq(await atOk(port, { sid, msisdn: p, text: '' }), first, 'first request retried');
  const prompt = await atOk(port, { sid, msisdn: p, text: '1' });
  assertEq(prompt, 'CON Your name?\n0 Back', 'prompt');
  assertEq(await atOk(port, { sid, msisdn: p, text: '1' }), prompt, 'same text twice: same screen');
  const b = await atOk(port, { sid, msisdn: p, text: '1*Bob' });
  assert(b.startsWith('CON Hello Bob. Confirm?'), `the answer after the retry is the name: ${b}`);
  assertEq(await atOk(port, { sid, msisdn: p, text: '1*Bob' }), b, 'retried again');
});

test("Africa's Talking: a first request carrying answers begins with them chained", async () => {
  const { port } = await setup();
  let b = await atOk(port, { sid: nextSid(), msisdn: nextPhone(), text: '2*30' });
  assertEq(b, 'END District Rwamagana.', 'two chained answers');
  const p = nextPhone();
  const sid = nextSid();
  b = await atOk(port, { sid, msisdn: p, text: '1' });
  assertEq(b, 'CON Your name?\n0 Back', 'one chained answer');
  b = await atOk(port, { sid, msisdn: p, text: '1*Dora' });
  assert(b.startsWith('CON Hello Dora.'), `goes on from the chained begin: ${b}`);
  b = await atOk(port, { sid: nextSid(), msisdn: nextPhone(), text: '', code: '*999#' });
  assert(b.startsWith('END '), `an unknown service code ends: ${b}`);
});

test("Africa's Talking: a long dialog whose text outgrows a session value still applies the newest answer", async () => {
  const { port } = await setup();
  const p = nextPhone();
  const sid = nextSid();
  const names = ['Abcdefghijklmnopqrstuvwxyzabcd', 'Bcdefghijklmnopqrstuvwxyzabcde', 'Cdefghijklmnopqrstuvwxyzabcdef',
    'Defghijklmnopqrstuvwxyzabcdefg', 'Efghijklmnopqrstuvwxyzabcdefgh', 'Fghijklmnopqrstuvwxyzabcdefghi'];
  await atOk(port, { sid, msisdn: p, text: '' });
  let text = '1';
  assertEq(await atOk(port, { sid, msisdn: p, text }), 'CON Your name?\n0 Back', 'prompt');
  for (const n of names) {
    text += `*${n}`;
    const b = await atOk(port, { sid, msisdn: p, text });
    assert(b.startsWith(`CON Hello ${n}. Confirm?`), `at ${text.length} octets: ${b}`);
    if (n !== names[names.length - 1]) {
      text += '*0';
      assertEq(await atOk(port, { sid, msisdn: p, text }), 'CON Your name?\n0 Back', `back at ${text.length} octets`);
    }
  }
  text += '*1';
  assert(text.length > 180, `text long enough (${text.length})`);
  const last = names[names.length - 1];
  assertEq(await atOk(port, { sid, msisdn: p, text }), `END Thank you ${last}. Reference REF-${last}.`, 'final');
});

// ---- Hubtel ---------------------------------------------------------------------------
test('Hubtel: a whole dialog in JSON, duplicates and releases', async () => {
  const { port, redis } = await setup();
  const p = nextPhone();
  const sid = `hub${process.pid}${sidN++}`;
  const base = { Mobile: p, SessionId: sid, ServiceCode: '123', Operator: 'mtn', ClientState: '' };
  let r = await hubtel(port, { ...base, Type: 'Initiation', Message: '*123#', Sequence: 1 });
  assertEq(r.status, 200, r.body);
  assertEq(r.json.Type, 'Response', 'continue');
  assertEq(r.json.SessionId, sid, 'SessionId echoed');
  assert(r.json.Message.startsWith(ROOT), r.json.Message);
  r = await hubtel(port, { ...base, Type: 'Response', Message: '1', Sequence: 2 });
  assertEq(r.json.Message, 'Your name?\n0 Back', 'prompt');
  // the same request twice (same Sequence): not applied again, the same screen is shown
  const dup = await hubtel(port, { ...base, Type: 'Response', Message: '1', Sequence: 2 });
  assertEq(dup.status, 200, 'a duplicate is answered');
  assertEq(dup.json.Type, 'Response', 'duplicate: the dialog goes on');
  assertEq(dup.json.Message, 'Your name?\n0 Back', 'duplicate: the same screen');
  r = await hubtel(port, { ...base, Type: 'Response', Message: 'Alice', Sequence: 3 });
  assert(r.json.Message.startsWith('Hello Alice. Confirm?'), `not advanced by the duplicate: ${r.json.Message}`);
  assertEq(r.json.Type, 'Response', 'continue');
  r = await hubtel(port, { ...base, Type: 'Response', Message: '1', Sequence: 4 });
  assertEq(r.json.Type, 'Release', 'final');
  assertEq(r.json.Message, 'Thank you Alice. Reference REF-Alice.', 'final text');
  assertEq(await redis.cmd('EXISTS', `ussd:s:http.hubtel:${p}:${sid}`), 1, 'keyed on ingress http.hubtel');

  // a dial with answers in it, the ServiceCode alone, lower-case types, a release
  const q = nextPhone();
  r = await hubtel(port, { ...base, Mobile: q, SessionId: `${sid}b`, Type: 'Initiation', Message: '*123*2*30#', Sequence: 1 });
  assertEq(r.json.Type, 'Release', 'chained to the end');
  assertEq(r.json.Message, 'District Rwamagana.', 'chained dial');
  r = await hubtel(port, { ...base, Mobile: q, SessionId: `${sid}c`, Type: 'initiation', Message: '', Sequence: 1 });
  assertEq(r.json.Type, 'response', 'lower-case in, lower-case out');
  assert(r.json.Message.startsWith(ROOT), `ServiceCode "123" dials *123#: ${r.json.Message}`);
  r = await hubtel(port, { ...base, Mobile: q, SessionId: `${sid}c`, Type: 'release', Message: '', Sequence: 2 });
  assertEq(r.status, 200, 'release answered');
  assertEq(r.json.Type, 'release', 'release');
  r = await hubtel(port, { ...base, Mobile: q, SessionId: `${sid}c`, Type: 'Response', Message: '1', Sequence: 3 });
  assertEq(r.json.Type, 'Release', 'input after the release: nothing more');
  r = await hubtel(port, { ...base, Mobile: q, SessionId: `${sid}d`, Type: 'Initiation', Message: '*123#', Sequence: 1 });
  r = await hubtel(port, { ...base, Mobile: q, SessionId: `${sid}d`, Type: 'Timeout', Message: '', Sequence: 2 });
  assertEq(r.json.Type, 'Release', 'timeout answered with a Release');
  r = await hubtel(port, { Type: 'Initiation', Mobile: Number(q), SessionId: `${sid}e`, ServiceCode: '*123#' });
  assertEq(r.status, 200, `Mobile as a number, no Message: ${r.body}`);
  assert(r.json.Message.startsWith(ROOT), r.json.Message);
});

// ---- refusals -------------------------------------------------------------------------
test('bad requests: 413, 400, 405, 404 as one line of text/plain', async () => {
  const { port, gw } = await setup();
  const good = form({ sessionId: nextSid(), serviceCode: '*123#', phoneNumber: nextPhone(), text: '' });

  let r = await curl(port, { body: `${good}&pad=${'x'.repeat(9000)}` });
  assertEq(r.status, 413, 'body over http_max_body');
  assertOneLine(r, '413');
  assert(r.body.includes('8192'), r.body);
  r = await curl(port, { body: 'y'.repeat(5 << 20) });
  assertEq(r.status, 413, 'a huge body is refused too');

  r = await curl(port, { body: form({ sessionId: 'a', serviceCode: '*123#', text: '' }) });
  assertEq(r.status, 400, 'missing phoneNumber');
  assertOneLine(r, '400');
  assert(r.body.includes('phoneNumber'), `names the field: ${r.body}`);
  r = await curl(port, { body: form({ phoneNumber: '250788000000', serviceCode: '*123#', text: '' }) });
  assertEq(r.status, 400, 'missing sessionId');
  assert(r.body.includes('sessionId'), r.body);
  r = await curl(port, { path: '/ussd/hubtel', body: JSON.stringify({ Type: 'Initiation', SessionId: 'x', Message: '*123#' }) });
  assertEq(r.status, 400, 'hubtel: missing Mobile');
  assert(r.body.includes('Mobile'), r.body);
  assertOneLine(r, 'hubtel 400');

  r = await curl(port, { method: 'GET' });
  assertEq(r.status, 405, 'GET');
  assertEq(r.headers.allow, 'POST', 'Allow header');
  assertOneLine(r, '405');
  r = await curl(port, { method: 'PUT', path: '/ussd/hubtel', body: '{}' });
  assertEq(r.status, 405, 'PUT');

  r = await curl(port, { path: '/ussd/hubtel', body: '{"Type": "Initiation",', headers: { 'Content-Type': 'application/json' } });
  assertEq(r.status, 400, 'bad JSON');
  assertOneLine(r, 'bad JSON');
  assert(/JSON/.test(r.body), r.body);

  r = await curl(port, { path: '/nope', body: good });
  assertEq(r.status, 404, 'unknown path');
  assertOneLine(r, '404');
  r = await curl(port, { path: '/ussd/hubtel/x', body: '{}' });
  assertEq(r.status, 404, 'unknown path under /ussd');
  await stillServes(port, gw);
});

test('shared secret: X-Ussdgw-Secret required, else 401', async () => {
  const secret = 'tr0ub4dor-and-3';
  const { port, gw } = await setup({ config: `http_secret = ${secret}\n` });
  const args = { sid: nextSid(), msisdn: nextPhone(), text: '' };
  let r = await at(port, args);
  assertEq(r.status, 401, 'no header');
  assertOneLine(r, '401');
  r = await at(port, { ...args, headers: { 'X-Ussdgw-Secret': 'tr0ub4dor-and-4' } });
  assertEq(r.status, 401, 'wrong secret of the same length');
  r = await at(port, { ...args, headers: { 'X-Ussdgw-Secret': `${secret}x` } });
  assertEq(r.status, 401, 'longer');
  r = await at(port, { ...args, headers: { 'X-Ussdgw-Secret': secret.slice(0, 3) } });
  assertEq(r.status, 401, 'a prefix');
  r = await curl(port, { method: 'GET', path: '/elsewhere' });
  assertEq(r.status, 401, 'the secret is checked before anything else is revealed');
  r = await at(port, { ...args, headers: { 'X-Ussdgw-Secret': secret } });
  assertEq(r.status, 200, 'right secret');
  assert(r.body.startsWith(`CON ${ROOT}`), r.body);
  alive(gw);
});

test('source allowlist: other addresses get 403; CIDRs and IPv6 entries', async () => {
  let { port, gw } = await setup({ config: 'http_allow = 10.9.9.9\n' });
  let r = await at(port, { sid: nextSid(), msisdn: nextPhone(), text: '' });
  assertEq(r.status, 403, '127.0.0.1 is not 10.9.9.9');
  assertOneLine(r, '403');
  await gw.stop();

  ({ port, gw } = await setup({ config: 'http_allow = 10.0.0.0/8, 2001:db8::/32 , 127.0.0.0/30\n' }));
  r = await at(port, { sid: nextSid(), msisdn: nextPhone(), text: '' });
  assertEq(r.status, 200, `127.0.0.1 within 127.0.0.0/30: ${r.body}`);
  await gw.stop();

  // a bad entry stops the start (run directly: an early exit is not a leak worth reporting)
  const redis = L.sharedRedis() || await L.startRedis();
  const cfg = path.join(L.TMP, 'bad-allow.conf');
  fs.writeFileSync(cfg, 'http_allow = 10.0.0.0/33\n');
  const bad = spawnSync(L.USSDGW, ['-c', cfg, '--redis', redis.addr, '--menus', path.join(L.ROOT, 'tests/it/menus'),
    '--http', `127.0.0.1:${await L.freePort()}`], { encoding: 'utf8', timeout: 10000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  assert(bad.status !== 0 && bad.status !== null, `a bad allowlist stops the start (status ${bad.status})`);
  assert(/event=http\.config http_allow=10\.0\.0\.0\/33/.test(bad.stderr), `says why: ${bad.stderr.slice(-300)}`);
});

// ---- failures around ------------------------------------------------------------------
test('Redis killed mid-dialog: END with the unavailable text within 5 s', async () => {
  const redis = await L.startRedis();
  const { port, gw } = await setup({ redis });
  const p = nextPhone();
  const sid = nextSid();
  assert((await atOk(port, { sid, msisdn: p, text: '' })).startsWith(`CON ${ROOT}`), 'first screen');
  assertEq(await atOk(port, { sid, msisdn: p, text: '1' }), 'CON Your name?\n0 Back', 'prompt');
  await redis.stop();
  const r = await at(port, { sid, msisdn: p, text: '1*Alice' });
  assertEq(r.status, 200, 'answered');
  assertEq(r.body, `END ${UNAVAILABLE}`, 'unavailable');
  // measured 10..24 ms (sanitizer build, 1 or 2 cores kept busy, 4 runs)
  L.timing('unavailable with Redis killed', r.ms, '< 5000');
  assert(r.ms < 5000, `after ${r.ms} ms`);
  const h = await hubtel(port, { Type: 'Initiation', Mobile: nextPhone(), SessionId: 'h-down', Message: '*123#' });
  assertEq(h.json.Type, 'Release', 'hubtel: released');
  assertEq(h.json.Message, UNAVAILABLE, 'hubtel: unavailable');
  alive(gw);
}, 30000);

test('an HTTP dialog and an SMPP dialog of the same phone and session number stay apart', async () => {
  const { port, smsc, redis } = await setup();
  const p = nextPhone();
  let s = await smsc.dial(p, '*123#', 7);
  assert(s.text.startsWith(ROOT), s.text);
  let b = await atOk(port, { sid: '7', msisdn: p, text: '' });
  assert(b.startsWith(`CON ${ROOT}`), b);
  s = await smsc.answer(p, '2', 7, 1);
  assert(s.text.startsWith('Choose your district'), s.text);
  b = await atOk(port, { sid: '7', msisdn: p, text: '1' });
  assertEq(b, 'CON Your name?\n0 Back', 'HTTP went its own way');
  s = await smsc.answer(p, '98', 7, 2);
  assert(/^14\. /m.test(s.text), `SMPP page 2: ${s.text}`);
  b = await atOk(port, { sid: '7', msisdn: p, text: '1*Carol' });
  assert(b.startsWith('CON Hello Carol.'), b);
  s = await smsc.answer(p, '30', 7, 3);
  assertEq(s.text, 'District Rwamagana.', 'SMPP end');
  b = await atOk(port, { sid: '7', msisdn: p, text: '1*Carol*2' });
  assertEq(b, 'END Cancelled.', 'HTTP end');
  assertEq(await redis.cmd('EXISTS', `ussd:s:http.at:${p}:7`), 1, 'HTTP session');
  assertEq(await redis.cmd('EXISTS', `ussd:s:smpp.default:${p}:7`), 1, 'SMPP session');
});

// ---- hostile input --------------------------------------------------------------------
// The replies in buf: [{status, reason, headers (lower-case names), body}] for each one
// complete by its Content-Length; `rest` is what follows them.
function parseReplies(buf) {
  const out = [];
  let at = 0;
  for (;;) {
    const sep = buf.indexOf('\r\n\r\n', at);
    if (sep < 0) break;
    const head = buf.slice(at, sep).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) (.*)$/.exec(head[0]);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(head[0])}`);
    const headers = {};
    for (const h of head.slice(1)) {
      const i = h.indexOf(':');
      if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
    }
    const len = Number(headers['content-length']);
    if (!Number.isInteger(len)) throw new Error(`a reply without Content-Length: ${head.join(' | ')}`);
    if (buf.length < sep + 4 + len) break;
    out.push({ status: Number(m[1]), reason: m[2], headers, body: buf.slice(sep + 4, sep + 4 + len).toString('utf8') });
    at = sep + 4 + len;
  }
  return { replies: out, rest: buf.slice(at) };
}

// Sends raw bytes on a fresh connection and waits for what the gateway does with them:
// resolves with {replies, closed, ms, rest} once `replies` replies are complete (and,
// when the last one says Connection: close, the gateway closed), or once the gateway
// closed the connection, whatever came by then. The deadline is a guard that fails the
// test, not a wait.
function exchange(port, bytes, { replies = 1, deadlineMs = 20000 } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const t0 = Date.now();
    let got = Buffer.alloc(0);
    let settled = false;
    const finish = (closed) => {
      if (settled) return;
      let r;
      try { r = parseReplies(got); } catch (e) { settled = true; clearTimeout(t); sock.destroy(); reject(e); return; }
      const last = r.replies[r.replies.length - 1];
      const wantClose = last && /close/i.test(last.headers.connection || '');
      if (!closed && (r.replies.length < replies || wantClose)) return;
      settled = true;
      clearTimeout(t);
      sock.destroy();
      resolve({ ...r, rest: r.rest.toString('latin1'), closed, ms: Date.now() - t0 });
    };
    const t = setTimeout(() => {
      settled = true;
      sock.destroy();
      reject(new Error(`no answer and no close within ${deadlineMs} ms; got ${JSON.stringify(got.toString('latin1').slice(0, 200))}`));
    }, deadlineMs);
    sock.on('data', (d) => { got = Buffer.concat([got, d]); finish(false); });
    sock.on('error', () => finish(true)); // a reset is a close
    sock.on('close', () => finish(true));
    sock.on('connect', () => sock.write(bytes));
  });
}

// libevent's own error page (evhttp_send_error): text/html, then it closes.
const libeventPage = (reason) => `<HTML><HEAD>\n<TITLE>${reason}</TITLE>\n</HEAD><BODY>\n<H1>${reason.replace(/^\d+ /, '')}</H1>\n</BODY></HTML>\n`;

function assertReply(what, x, { status, reason, type, body, closed }) {
  assertEq(x.replies.length, 1, `${what}: one reply (rest ${JSON.stringify(x.rest.slice(0, 80))})`);
  const r = x.replies[0];
  assertEq(r.status, status, `${what}: status (${JSON.stringify(r.body.slice(0, 100))})`);
  if (reason) assertEq(r.reason, reason, `${what}: reason phrase`);
  assert((r.headers['content-type'] || '').startsWith(type), `${what}: content-type ${r.headers['content-type']}`);
  if (body instanceof RegExp) assert(body.test(r.body), `${what}: body ${JSON.stringify(r.body)}`);
  else assertEq(r.body, body, `${what}: body`);
  assertEq(x.rest, '', `${what}: nothing after the reply`);
  if (closed !== undefined) assertEq(x.closed, closed, `${what}: connection closed`);
}

test('hostile requests: odd encodings, escapes, duplicates, huge fields, NUL bytes, raw garbage', async () => {
  const { port, gw } = await setup();
  const f = (o) => form({ sessionId: nextSid(), serviceCode: '*123#', phoneNumber: nextPhone(), ...o });
  const at400 = [
    '', '&&&&', '=&=&=', 'sessionId', '%', '%4', '%%%', '%G0=1', 'sessionId=%E2%82&serviceCode=1&phoneNumber=1',
    'sessionId=a&sessionId=a&serviceCode=1&phoneNumber=1', `${f({ text: '1' })}&text=2`,
    `sessionId=${'x'.repeat(5000)}&serviceCode=*123%23&phoneNumber=1`, `${f({})}&serviceCode=x`,
    form({ sessionId: 'a', serviceCode: '*'.repeat(100), phoneNumber: '1' }),
    form({ sessionId: 'a', serviceCode: '*123#', phoneNumber: '9'.repeat(50) }),
    form({ sessionId: 'a', serviceCode: '*123#', phoneNumber: '+' }),
    form({ sessionId: 'a', serviceCode: '*123#', phoneNumber: '++1' }),
    form({ sessionId: 'a', serviceCode: '*123#', phoneNumber: '25078x' }),
    'sessionId=a%00b&serviceCode=1&phoneNumber=1', Buffer.from('sessionId=a\0&serviceCode=1&phoneNumber=1'),
    Buffer.from([0x73, 0x65, 0x73, 0xff, 0xfe, 0x3d]), 'sessionId=&serviceCode=*123%23&phoneNumber=1',
  ];
  for (const body of at400) {
    const r = await curl(port, { body });
    assertEq(r.status, 400, `AT ${JSON.stringify(String(body).slice(0, 60))}: ${r.body}`);
    assertOneLine(r, `AT ${JSON.stringify(String(body).slice(0, 60))}`);
  }
  const at200 = [
    f({ text: '' }), f({ text: '*'.repeat(3000) }), f({ text: '1\r\n\t\x01\x7f' }), f({ text: '🙂*Ж' }),
    f({ text: '%2A%25' }), `${f({ text: '' })}&unknown=%zz&=&&`.replace('%zz', '%41'),
    `${f({ text: '' })}&pad=${'p'.repeat(8000)}`.slice(0, 8192),
    form({ sessionId: 'a:b*c#d%e', serviceCode: '123', phoneNumber: ` +${nextPhone()} `, text: '' }),
    f({ text: '' }).replace(/%2B|\+/g, ''),
  ];
  for (const body of at200) {
    const r = await curl(port, { body });
    assertEq(r.status, 200, `AT ${JSON.stringify(body.slice(0, 60))}: ${r.body}`);
    assert(/^(CON|END)( |$)/.test(r.body), `AT ${JSON.stringify(body.slice(0, 60))}: ${JSON.stringify(r.body.slice(0, 80))}`);
  }
  const h = { Type: 'Initiation', SessionId: 'h', Mobile: nextPhone(), Message: '*123#' };
  const hub400 = [
    '', '[]', '"x"', '1', 'null', '{}', '{"Type":1}', JSON.stringify({ ...h, SessionId: undefined }),
    JSON.stringify({ ...h, Type: 'Response', Message: undefined }), JSON.stringify({ ...h, Type: 'Bogus' }),
    JSON.stringify({ ...h, SessionId: { a: 1 } }), JSON.stringify({ ...h, Mobile: [1] }), JSON.stringify({ ...h, Sequence: 1.5 }),
    `{"Type":"Initiation","type":"Response","SessionId":"s","Mobile":"1","Message":"*123#"}`,
    `{"Type":"Initiation","Type":"Initiation","SessionId":"s","Mobile":"1"}`,
    '{"Type":"Init\\u0000iation","SessionId":"s","Mobile":"1"}', '{"Type":"Initiation","SessionId":"s\\u0000","Mobile":"1"}',
    Buffer.from('{"Type":"Initiation","SessionId":"\xff\xfe","Mobile":"1"}', 'latin1'),
    '['.repeat(4000), `{"Type":"Initiation","SessionId":"${'s'.repeat(3000)}","Mobile":"1","Message":"*123#"}`,
    JSON.stringify({ ...h, Message: '', ServiceCode: '' }), '{"Type":"Initiation"} trailing',
  ];
  for (const body of hub400) {
    const r = await curl(port, { path: '/ussd/hubtel', body });
    assertEq(r.status, 400, `Hubtel ${JSON.stringify(String(body).slice(0, 70))}: ${r.body}`);
    assertOneLine(r, `Hubtel ${JSON.stringify(String(body).slice(0, 60))}`);
  }
  const hub200 = [
    JSON.stringify({ ...h, SessionId: nextSid(), Extra: { deep: [1, 2, { x: null }] } }),
    JSON.stringify({ ...h, SessionId: nextSid(), Message: '*123*🙂#' }),
    JSON.stringify({ ...h, SessionId: nextSid(), Type: 'Response', Message: 'x'.repeat(150), Sequence: '9' }),
    JSON.stringify({ ...h, SessionId: nextSid(), ClientState: null, Operator: null }),
  ];
  for (const body of hub200) {
    const r = await curl(port, { path: '/ussd/hubtel', body });
    assertEq(r.status, 200, `Hubtel ${JSON.stringify(body.slice(0, 70))}: ${r.body}`);
    const j = JSON.parse(r.body);
    assert(j.Type === 'Response' || j.Type === 'Release', r.body);
  }
  // raw bytes no client library would send, each with the reply it gets: ours (one line
  // of text/plain, README "Errors") when the request reaches the gateway, libevent's own
  // page when it is not HTTP it can parse (README: "refused by libevent itself")
  const req = (body, extra = '') => `POST /ussd HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const libevent = (reason) => ({ status: Number(reason.slice(0, 3)), reason: reason.slice(4), type: 'text/html', body: libeventPage(reason), closed: true });
  const ours = (status, body) => ({ status, type: 'text/plain; charset=utf-8', body });
  // A request whose body never comes gets no reply: the gateway waits for it until its
  // connection timeout (HTTP_TIMEOUT_S, 10 s) and closes. An absurd Content-Length is
  // one of these too: with EVHTTP_SERVER_LINGERING_CLOSE libevent reads a body over its
  // limit to its claimed end before its 413, so a client that sends none gets nothing.
  // The three wait side by side while the others run.
  const unanswered = [
    'POST /ussd HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n',
    'POST /ussd HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort',
    req(f({ text: '' })).slice(0, 60),
  ].map((bytes) => exchange(port, bytes, { deadlineMs: 30000 }).then((x) => ({ bytes, x })));
  const rawCases = [
    ['GARBAGE\r\n\r\n', libevent('400 Bad Request')],
    ['\0\0\0\0\r\n\r\n', libevent('400 Bad Request')],
    ['POST /ussd HTTP/1.1\r\nContent-Length: -5\r\n\r\n', libevent('400 Bad Request')],
    [`POST /ussd HTTP/1.1\r\nX-Big: ${'h'.repeat(20000)}\r\n\r\n`, libevent('400 Bad Request')], // headers over 8192
    ['POST /ussd HTTP/1.1\r\nX-\0Nul: a\0b\r\nContent-Length: 0\r\n\r\n', libevent('400 Bad Request')],
    // a chunk size that does not parse, or over the limit: libevent's 413
    ['POST /ussd HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n\r\n', libevent('413 Request Entity Too Large')],
    ['POST /ussd HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n', libevent('413 Request Entity Too Large')],
    ['POST /u%00ssd HTTP/1.1\r\nContent-Length: 0\r\n\r\n', ours(404, 'no such path: POST to /ussd or /ussd/hubtel\n')],
    ['POST http://x/ussd?a=%%% HTTP/1.1\r\nContent-Length: 0\r\n\r\n', ours(400, 'missing field sessionId\n')], // the query is no form
    ['POST /ussd HTTP/9.9\r\nContent-Length: 0\r\n\r\n', libevent('400 Bad Request')],
    ['FOO /ussd HTTP/1.1\r\n\r\n', libevent('501 Not Implemented')], // a method libevent does not know: not our 405
    [req(f({ text: '' }), 'Connection: close\r\n'), { ...ours(200, /^CON Test services\n1\. Enter a name\n/), closed: true }],
  ];
  for (const [bytes, want] of rawCases) {
    const x = await exchange(port, bytes);
    assertReply(`raw ${JSON.stringify(bytes.slice(0, 50))}`, x, want);
    alive(gw);
  }
  for (const { bytes, x } of await Promise.all(unanswered)) {
    const what = `raw ${JSON.stringify(bytes.slice(0, 60))}`;
    assertEq(x.replies.length, 0, `${what}: no reply`);
    assertEq(x.rest, '', `${what}: no bytes at all`);
    assert(x.closed, `${what}: closed by the gateway`);
    // the connection timeout, not an early close (a timer: later under load, never earlier)
    assert(x.ms >= 9500, `${what}: closed after ${x.ms} ms, before the 10 s timeout`);
  }
  alive(gw);
  // two requests pipelined on one connection, then a chunked one
  const two = await exchange(port, req(f({ text: '' })) + req(f({ text: '' }), 'Connection: close\r\n'), { replies: 2 });
  assertEq(two.replies.length, 2, `two answers: ${JSON.stringify(two.rest.slice(0, 200))}`);
  for (const r of two.replies) {
    assertEq(r.status, 200, `pipelined: ${r.body}`);
    assert(r.body.startsWith('CON Test services\n1. Enter a name'), `pipelined: ${JSON.stringify(r.body)}`);
  }
  assertEq(two.replies[1].headers.connection, 'close', 'the second one closes');
  assert(two.closed, 'and the connection is closed');
  const body = f({ text: '' });
  const chunked = await exchange(port, `POST /ussd HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(10).toString(16)}\r\n${body.slice(0, 10)}\r\n${(body.length - 10).toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`);
  assertReply('chunked body', chunked, { ...ours(200, /^CON Test services\n1\. Enter a name\n/), closed: true });
  await stillServes(port, gw);
}, 60000);

// ---- shutdown -------------------------------------------------------------------------
test('SIGTERM: no new connections, the request in flight still gets its answer', async () => {
  const { port, gw } = await setup({ args: ['--log-level', 'debug'] });
  const p = nextPhone();
  const slow = at(port, { sid: nextSid(), msisdn: p, text: '', code: '*123*5#' });
  await gw.waitLog(/event=http\.in /);
  gw.proc.kill('SIGTERM');
  await gw.waitLog(/event=http\.stopping/);
  const late = await at(port, { sid: nextSid(), msisdn: nextPhone(), text: '' });
  assertEq(late.code, 7, `a new connection is refused (curl exit ${late.code}, status ${late.status})`);
  const r = await slow;
  assertEq(r.status, 200, 'answered');
  assertEq(r.body, 'END Slow done.', 'the slow step completed');
  assertEq(r.headers.connection, 'close', 'and the connection closes');
  const { code } = await gw.exited;
  assertEq(code, 0, 'clean exit');
  assert(/event=http\.stopped requests=\d+ rejected=0 cut=0/.test(gw.logs), 'nothing cut');
}, 30000);

L.run();
