// lib.js: what the integration tests share. A tiny harness printing PASS/FAIL/SKIP lines, a
// private redis-server, node-smpp (an independent SMPP implementation) as the SMSC with
// USSD helpers, and the real ussdgw daemon as a child process. Every wait has a deadline;
// nothing sleeps a fixed time. Everything a test starts is stopped after it.
'use strict';
const smpp = require('smpp');
const net = require('net');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = process.env.USSDGW_ROOT || path.resolve(__dirname, '../..');
const USSDGW = process.env.USSDGW || path.join(ROOT, 'ussdgw');
const REDIS_SERVER = process.env.USSDGW_REDIS_SERVER || 'redis-server';
const TMP = fs.mkdtempSync(path.join(process.env.TEST_TMP || os.tmpdir(), 'it-'));

// ---- harness ---------------------------------------------------------------------------
const tests = [];
let cleanups = [];
let postChecks = [];
const file = path.basename(process.argv[1]);

function test(name, fn, timeoutMs = 30000) {
  tests.push({ name, fn, timeoutMs });
}

// With TEST_TIMINGS=1, `TIMING file:test: what = N ms (bound)` lines: the measured side
// of a timing bound (to set bounds from measurements, e.g. under the sanitizer build on a
// loaded machine); until() and nextSubmit() report waits that took over a quarter of
// their deadline.
let current = null;
function timing(what, ms, bound) {
  if (process.env.TEST_TIMINGS === '1') console.log(`TIMING ${file}:${current}: ${what} = ${Number(ms).toFixed(1)} ms (${bound})`);
}
function waitTook(what, ms, deadline) {
  if (ms * 4 > deadline) timing(`wait for ${what}`, ms, `deadline ${deadline} ms`);
}

// A test that cannot run here says so: `skip('why')` (it throws) ends the test as
// `SKIP file:name: why`, counted apart by tests/run.sh, never as a pass.
class Skip extends Error {}
function skip(why) {
  throw new Skip(why || 'no reason given');
}

function defer(fn) {
  cleanups.push(fn);
}

// Runs after a test body that passed; a throw fails the test (e.g. a sanitizer report).
function postCheck(fn) {
  postChecks.push(fn);
}

async function runCleanups() {
  const cs = cleanups.reverse();
  cleanups = [];
  for (const c of cs) {
    try { await c(); } catch (e) { /* cleanup is best effort */ }
  }
}

async function run() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const t of tests) {
    if (process.env.TEST_FILTER && !t.name.includes(process.env.TEST_FILTER)) continue;
    current = t.name;
    const t0 = Date.now();
    let timer;
    try {
      let skipWhy = null;
      try {
        await Promise.race([
          t.fn(),
          new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs); }),
        ]);
      } catch (e) {
        if (!(e instanceof Skip)) throw e;
        skipWhy = e.message;
      }
      // a skipped test's gateway may still have left a sanitizer report: that fails it
      const pcs = postChecks;
      postChecks = [];
      for (const pc of pcs) await pc();
      if (skipWhy !== null) {
        skipped++;
        console.log(`SKIP ${file}:${t.name}: ${skipWhy}`);
      } else {
        passed++;
        console.log(`PASS ${file}:${t.name}`);
      }
    } catch (e) {
      failed++;
      console.log(`FAIL ${file}:${t.name}: ${(e && e.stack ? e.stack : String(e)).split('\n').slice(0, 4).join(' | ')}`);
    } finally {
      clearTimeout(timer);
      waitTook('the test', Date.now() - t0, t.timeoutMs);
      postChecks = [];
      await runCleanups();
    }
  }
  fs.rmSync(TMP, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed ? 1 : 0);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg || 'assertion failed');
}

function assertEq(got, want, msg) {
  if (got !== want) throw new Error(`${msg || 'values differ'}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
}

// Resolves with pred()'s value once it is truthy (pred may be async), polling on the
// event loop; rejects at the deadline.
async function until(pred, timeoutMs = 5000, what = 'condition') {
  const start = Date.now();
  for (;;) {
    const v = await pred();
    if (v) {
      waitTook(what, Date.now() - start, timeoutMs);
      return v;
    }
    if (Date.now() - start > timeoutMs) {
      waitTook(what, Date.now() - start, timeoutMs);
      throw new Error(`waited ${timeoutMs} ms for ${what}`);
    }
    await new Promise((res) => setTimeout(res, 10));
  }
}

// A phone number as the gateway's log shows it (core/log.c log_msisdn): the country code
// of an international number, then stars, then the last 3 digits.
const CC2 = new Set(['20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46',
  '47', '48', '49', '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66',
  '81', '82', '84', '86', '90', '91', '92', '93', '94', '95', '98']);
function logMsisdn(p) {
  const d = String(p);
  if (d.length <= 6) return '***';
  let head = 0;
  if (d.length >= 10 && /^[1-9]/.test(d)) head = /^[17]/.test(d) ? 1 : CC2.has(d.slice(0, 2)) ? 2 : 3;
  return d.slice(0, head) + '*'.repeat(Math.min(d.length - head - 3, 16)) + d.slice(-3);
}

// A resident reading a screen before answering: part of a scenario, not a wait for the
// system (a centre that counts nothing leaves the gateway only the time since the screen
// to tell the same answer again from a resent one: resend_window_ms).
function readingPause(ms) {
  return new Promise((res) => setTimeout(res, ms));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

// ---- Redis -----------------------------------------------------------------------------
function redisCmd(port, args, timeoutMs = 2000) {
  // a minimal RESP client: one command, one reply (enough for tests)
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('redis timeout')); }, timeoutMs);
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('connect', () => {
      let out = `*${args.length}\r\n`;
      for (const a of args) {
        const b = Buffer.from(String(a));
        out += `$${b.length}\r\n${b.toString('binary')}\r\n`;
      }
      sock.write(Buffer.from(out, 'binary'));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseResp(buf, 0);
      if (r) {
        clearTimeout(timer);
        sock.destroy();
        resolve(r.value);
      }
    });
  });
}

function parseResp(buf, i) {
  const nl = buf.indexOf('\r\n', i);
  if (nl < 0) return null;
  const t = String.fromCharCode(buf[i]);
  const line = buf.slice(i + 1, nl).toString();
  if (t === '+') return { value: line, next: nl + 2 };
  if (t === '-') return { value: new Error(line), next: nl + 2 };
  if (t === ':') return { value: Number(line), next: nl + 2 };
  if (t === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, next: nl + 2 };
    if (buf.length < nl + 2 + n + 2) return null;
    return { value: buf.slice(nl + 2, nl + 2 + n).toString(), next: nl + 2 + n + 2 };
  }
  if (t === '*') {
    const n = Number(line);
    if (n < 0) return { value: null, next: nl + 2 };
    const arr = [];
    let j = nl + 2;
    for (let k = 0; k < n; k++) {
      const r = parseResp(buf, j);
      if (!r) return null;
      arr.push(r.value);
      j = r.next;
    }
    return { value: arr, next: j };
  }
  throw new Error('bad RESP');
}

// The shared redis of the run (tests/run.sh), or a private one with startRedis().
function sharedRedis() {
  const addr = process.env.USSDGW_TEST_REDIS;
  if (!addr) return null;
  const port = Number(addr.split(':')[1]);
  return { addr, port, cmd: (...a) => redisCmd(port, a) };
}

async function startRedis(opts = {}) {
  const port = opts.port || await freePort();
  const dir = fs.mkdtempSync(path.join(TMP, 'redis-'));
  const r = {
    port, addr: `127.0.0.1:${port}`, proc: null,
    cmd: (...a) => redisCmd(port, a),
    async start() {
      this.proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
        '--save', '', '--appendonly', opts.aof ? 'yes' : 'no'], { stdio: 'ignore' });
      const p = this.proc;
      p.exited = new Promise((res) => p.on('exit', res));
      const start = Date.now();
      for (;;) {
        try { if (await redisCmd(port, ['PING'], 500) === 'PONG') break; } catch (e) { /* not yet */ }
        if (Date.now() - start > 5000) throw new Error('redis-server did not start');
        await new Promise((res) => setTimeout(res, 20));
      }
    },
    async stop() {
      if (!this.proc) return;
      const p = this.proc;
      this.proc = null;
      p.kill('SIGKILL');
      await p.exited;
    },
  };
  await r.start();
  defer(() => r.stop());
  return r;
}

// ---- the SMSC (node-smpp) --------------------------------------------------------------
function decodeText(pdu) {
  let b = pdu.short_message;
  if (b && b.message !== undefined) b = b.message;
  // node-smpp decodes UCS2 (and GSM for data_coding 0/1) itself; 0x0F stays bytes
  if (typeof b === 'string' && pdu.data_coding === 8) return b;
  if ((!b || b.length === 0) && pdu.message_payload) b = pdu.message_payload.message || pdu.message_payload;
  if (!Buffer.isBuffer(b)) b = Buffer.from(String(b || ''), 'latin1');
  const dc = pdu.data_coding || 0;
  if (dc === 8) {
    const sw = Buffer.from(b);
    sw.swap16();
    return sw.toString('utf16le');
  }
  return gsmDecode(b);
}

const GSM = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXT = { 0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€' };
function gsmDecode(b) {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x1b && i + 1 < b.length) { s += GSM_EXT[b[++i]] || '?'; continue; }
    s += GSM[b[i]] || '?';
  }
  return s;
}
function gsmEncode(s) {
  const out = [];
  for (const ch of s) {
    const i = GSM.indexOf(ch);
    if (i >= 0 && ch !== '\x1b') { out.push(i); continue; }
    const e = Object.entries(GSM_EXT).find(([, v]) => v === ch);
    if (e) { out.push(0x1b, Number(e[0])); continue; }
    return null;
  }
  return Buffer.from(out);
}

// A request on a node-smpp session whose response is awaited: resolves with it, rejects
// at the deadline or when the connection closes first (closeWaits, from its close event:
// node-smpp never calls back a request whose connection went away).
function awaitResp(session, timeoutMs, what, send) {
  return new Promise((resolve, reject) => {
    if (!session.waits) session.waits = new Set();
    let timer = null;
    const w = (err, resp) => {
      if (!session.waits.delete(w)) return;
      clearTimeout(timer);
      if (err) reject(err); else resolve(resp);
    };
    session.waits.add(w);
    timer = setTimeout(() => w(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
    if (session.socket.destroyed) w(new Error(`the connection closed before the ${what}`));
    else if (!send((resp) => w(null, resp))) w(new Error('socket not writable'));
  });
}

function closeWaits(session) {
  for (const w of [...(session.waits || [])]) w(new Error('the connection closed before the response'));
}

class Smsc {
  constructor(opts = {}) {
    this.opts = opts;
    this.sessions = [];
    this.binds = [];       // every bind attempt: {time, system_id, password, accepted}
    this.submits = [];     // every submit_sm/data_sm received: the pdu with .text and .session
    this.enquires = 0;     // enquire_link received
    this.waiters = [];
    this.submitStatus = opts.submitStatus || null; // fn(pdu) -> command_status
    this.rejectBinds = opts.rejectBinds || 0;      // how many binds to reject
  }

  async listen() {
    this.port = this.opts.port || await freePort();
    this.server = smpp.createServer((session) => this._session(session));
    await new Promise((res, rej) => { this.server.once('error', rej); this.server.listen(this.port, '127.0.0.1', res); });
    defer(() => this.close());
    return this.port;
  }

  _session(session) {
    session.socket.setNoDelay(true);
    session.on('error', () => {});
    const onBind = (pdu) => {
      const ok = this.rejectBinds <= 0 && (!this.opts.password || pdu.password === this.opts.password);
      this.binds.push({ time: Date.now(), system_id: pdu.system_id, password: pdu.password, accepted: ok });
      if (!ok) {
        if (this.rejectBinds > 0) this.rejectBinds--;
        session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
        return;
      }
      session.bound = true;
      session.systemId = pdu.system_id;
      this.sessions.push(session);
      session.send(pdu.response({ system_id: 'smsc' }));
    };
    session.on('bind_transceiver', onBind);
    session.on('bind_transmitter', onBind);
    session.on('bind_receiver', onBind);
    session.on('enquire_link', (pdu) => { this.enquires++; session.send(pdu.response()); });
    session.on('unbind', (pdu) => {
      session.unbound = true;
      session.send(pdu.response());
      session.close();
    });
    const onSubmit = (pdu) => {
      const status = this.submitStatus ? this.submitStatus(pdu) : 0;
      session.send(pdu.response(status ? { command_status: status } : { message_id: String(this.submits.length + 1) }));
      if (status) return;
      pdu.text = decodeText(pdu);
      const its = pdu.its_session_info;
      pdu.session = its ? its[0] : null;
      pdu.end = its ? (its[1] & 1) === 1 : null;
      pdu.via = session;
      this.submits.push(pdu);
      this._wake();
    };
    session.on('submit_sm', onSubmit);
    session.on('data_sm', onSubmit);
    session.socket.on('close', () => {
      this.sessions = this.sessions.filter((s) => s !== session);
      closeWaits(session);
      this._wake();
    });
  }

  _wake() {
    for (const w of this.waiters.slice()) w();
  }

  bound(n = 1, timeoutMs = 10000) {
    return until(() => this.sessions.filter((s) => s.bound && !s.unbound).length >= n, timeoutMs, `${n} bound ESME(s)`);
  }

  // The next submit matching pred that arrived after index `from`.
  nextSubmit(pred, from = 0, timeoutMs = 6000) {
    const start = Date.now();
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.submits.length; i++) {
          if (pred(this.submits[i])) {
            this.waiters = this.waiters.filter((w) => w !== check);
            clearTimeout(timer);
            waitTook('a submit_sm', Date.now() - start, timeoutMs);
            resolve(this.submits[i]);
            return;
          }
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no submit_sm within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  // Sends a USSD deliver_sm; resolves with its deliver_sm_resp. Rejects when the
  // connection closes first (a killed gateway never answers: node-smpp drops the
  // callback) or after timeoutMs.
  deliver({ msisdn, text, op, session = 1, seq = 0, end = false, esme, code = '*123#', extra = {}, timeoutMs = 10000 }) {
    const s = esme || this.sessions.find((x) => x.bound && !x.unbound);
    if (!s) return Promise.reject(new Error('no bound ESME'));
    const sm = gsmEncode(text) || Buffer.from(text, 'latin1');
    const pdu = {
      service_type: 'USSD', source_addr_ton: 1, source_addr_npi: 1, source_addr: msisdn,
      dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: code.replace(/^\*|#$/g, '').split('*')[0],
      data_coding: 0x0F, short_message: sm, ussd_service_op: op,
      its_session_info: Buffer.from([session & 0xff, ((seq & 0x7f) << 1) | (end ? 1 : 0)]),
      ...extra,
    };
    // `extra: {field: undefined}` leaves a field out (node-smpp cannot encode undefined)
    for (const k of Object.keys(pdu)) if (pdu[k] === undefined) delete pdu[k];
    return awaitResp(s, timeoutMs, 'deliver_sm_resp', (cb) => s.deliver_sm(pdu, cb));
  }

  // One step: deliver, then wait for the gateway's reply to this phone and session.
  async step(args) {
    const from = this.submits.length;
    const t0 = process.hrtime.bigint();
    const resp = await this.deliver(args);
    if (resp.command_status !== 0) throw new Error(`deliver_sm_resp status ${resp.command_status}`);
    // a USSD reply carries ussd_service_op; an SMS to the same phone is not one
    const r = await this.nextSubmit((p) => p.destination_addr === args.msisdn && p.ussd_service_op !== undefined && (p.session === null || p.session === ((args.session === undefined ? 1 : args.session) & 0xff)), from, args.timeoutMs || 6000);
    r.latencyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return r;
  }

  dial(msisdn, code = '*123#', session = 1, extra = {}) {
    return this.step({ msisdn, text: code, op: 1, session, seq: 0, code, ...extra });
  }

  answer(msisdn, text, session = 1, seq = 1, extra = {}) {
    return this.step({ msisdn, text, op: 18, session, seq, ...extra });
  }

  // Sends raw bytes on the first bound ESME's socket (for hostile PDUs).
  raw(buf, esme) {
    const s = esme || this.sessions.find((x) => x.bound && !x.unbound);
    s.socket.write(buf);
  }

  async close() {
    for (const s of this.sessions.slice()) { try { s.socket.destroy(); } catch (e) { /* gone */ } }
    if (this.server) await new Promise((res) => this.server.close(() => res()));
    this.server = null;
  }
}

// ---- the gateway -----------------------------------------------------------------------
async function startGateway({ smscPort, redis, menus, config, args = [], name = 'gw', waitBound = true, smsc = null }) {
  const argv = [];
  if (config) {
    const cfgPath = path.join(TMP, `${name}-${Date.now()}.conf`);
    fs.writeFileSync(cfgPath, config);
    argv.push('-c', cfgPath);
  }
  if (smscPort) argv.push('--smsc', `127.0.0.1:${smscPort}`);
  argv.push('--redis', redis, '--menus', menus || path.join(ROOT, 'tests/it/menus'), '--log-level', process.env.GW_LOG_LEVEL || 'info', ...args);
  const proc = spawn(USSDGW, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const gw = {
    proc, logs: '', exitCode: null,
    exited: new Promise((res) => proc.on('exit', (code, sig) => { gw.exitCode = code; gw.signal = sig; res({ code, sig }); })),
    waitLog(re, timeoutMs = 8000) { return until(() => re.test(gw.logs), timeoutMs, `log ${re}`); },
    async stop(sig = 'SIGTERM') { if (gw.exitCode === null && !gw.signal) { proc.kill(sig); } return gw.exited; },
  };
  proc.stdout.on('data', (d) => { gw.logs += d; });
  proc.stderr.on('data', (d) => { gw.logs += d; if (process.env.GW_ECHO) process.stderr.write(d); });
  defer(async () => {
    if (gw.exitCode === null && !gw.signal) { proc.kill('SIGKILL'); await gw.exited; }
  });
  postCheck(async () => {
    if (gw.exitCode === null && !gw.signal) { proc.kill('SIGTERM'); await gw.exited; }
    const m = /(AddressSanitizer|runtime error:|LeakSanitizer)[^\n]*/.exec(gw.logs);
    if (m) throw new Error(`sanitizer report from the gateway: ${m[0]}`);
  });
  if (waitBound && smsc) {
    // sessions already bound and not unbinding; one that unbound may still be closing
    const n = smsc.sessions.filter((x) => x.bound && !x.unbound).length;
    await smsc.bound(n + 1, 10000).catch((e) => { throw new Error(`${e.message}; gateway log:\n${gw.logs.slice(-1500)}`); });
  }
  return gw;
}

// Texts of the SMS queued for a phone, wherever they are: still in the list the session
// save appends to, or already taken into a message hash by a sender (the move is atomic,
// so each SMS is counted once).
async function smsFor(redis, msisdn) {
  const texts = [];
  for (const rec of await redis.cmd('LRANGE', 'ussd:sms:queue', '0', '-1')) {
    try { const j = JSON.parse(rec); if (j.to === msisdn) texts.push(j.text); } catch (e) { /* not ours */ }
  }
  for (const key of await redis.cmd('KEYS', 'ussd:sms:msg:*')) {
    const h = await redis.cmd('HGETALL', key);
    const f = {};
    for (let i = 0; i + 1 < h.length; i += 2) f[h[i]] = h[i + 1];
    if (f.to === msisdn) texts.push(f.text);
  }
  return texts;
}

module.exports = {
  smsFor,
  ROOT, TMP, USSDGW, test, skip, timing, run, defer, postCheck, assert, assertEq, until, readingPause, logMsisdn, freePort, sharedRedis, startRedis,
  redisCmd, Smsc, startGateway, decodeText, gsmEncode, smpp,
};

// ---- records tests: many Redis commands on one connection ------------------------------
// Sends every command of `cmds` (arrays of arguments) pipelined on one connection and
// resolves with their replies in order (an error reply is an Error value, not a throw).
function redisPipeline(port, cmds, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    if (cmds.length === 0) { resolve([]); return; }
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let pos = 0;
    const out = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('redis pipeline timeout')); }, timeoutMs);
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('connect', () => {
      const parts = [];
      for (const args of cmds) {
        parts.push(Buffer.from(`*${args.length}\r\n`));
        for (const a of args) {
          const b = Buffer.from(String(a));
          parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
        }
      }
      sock.write(Buffer.concat(parts));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const r = parseResp(buf, pos);
        if (!r) break;
        out.push(r.value);
        pos = r.next;
        if (out.length === cmds.length) {
          clearTimeout(timer);
          sock.destroy();
          resolve(out);
          return;
        }
      }
    });
  });
}

module.exports.redisPipeline = redisPipeline;

// ---- services tests: SMS next to USSD on one SMSC --------------------------------------
// An Smsc whose SMS submits (no ussd_service_op) never match a USSD step (their session
// is undefined, isSms true), with the SMS to a phone joined part by part.
class SmsAwareSmsc extends Smsc {
  _wake() {
    for (const p of this.submits) {
      if (p.isSms !== undefined) continue;
      p.isSms = p.ussd_service_op === undefined;
      if (p.isSms) {
        p.session = undefined;
        p.text = smsPartText(p);
      }
    }
    super._wake();
  }

  // The complete SMS to msisdn received from index `from` on: [{text, pdus}].
  smsTo(msisdn, from = 0) {
    return completeSms(this.submits, msisdn, from);
  }

  // The first complete SMS to msisdn (from index `from` on) whose text passes pred.
  nextSms(msisdn, pred = () => true, from = 0, timeoutMs = 8000) {
    return until(() => this.smsTo(msisdn, from).find((m) => pred(m.text)), timeoutMs, `an SMS to ${msisdn}`);
  }
}

// An SMS part's text: node-smpp decodes GSM (data_coding 0) and UCS2 itself and splits
// off a UDH.
function smsPartText(pdu) {
  let sm = pdu.short_message;
  if ((!sm || (sm.message !== undefined && !sm.message.length)) && pdu.message_payload) sm = pdu.message_payload;
  const m = sm && sm.message !== undefined ? sm.message : sm;
  if (typeof m === 'string') return m;
  return decodeText({ short_message: m, data_coding: pdu.data_coding });
}

// The complete SMS (submits without ussd_service_op) to msisdn in submits from index
// `from` on, joined part by part: [{text, pdus}]; a message still missing parts is left
// out. Works on any Smsc's submits.
function completeSms(submits, msisdn, from = 0) {
  const msgs = [];
  const pending = new Map();
  for (let i = from; i < submits.length; i++) {
    const p = submits[i];
    if (p.ussd_service_op !== undefined || p.destination_addr !== msisdn) continue;
    const c = smsConcat(p);
    if (!c) { msgs.push({ text: smsPartText(p), pdus: [p] }); continue; }
    const k = `${c.ref}/${c.total}`;
    const parts = pending.get(k) || [];
    parts[c.seq - 1] = p;
    pending.set(k, parts);
    if (parts.filter(Boolean).length === c.total) {
      msgs.push({ text: parts.map(smsPartText).join(''), pdus: parts });
      pending.delete(k);
    }
  }
  return msgs;
}

function smsConcat(pdu) {
  const sm = pdu.short_message || pdu.message_payload;
  for (const u of (sm && sm.udh) || []) {
    if (u[0] === 0x00 && u[1] === 3) return { ref: u[2], total: u[3], seq: u[4] };
    if (u[0] === 0x08 && u[1] === 4) return { ref: u.readUInt16BE(2), total: u[4], seq: u[5] };
  }
  return null;
}

module.exports.SmsAwareSmsc = SmsAwareSmsc;
module.exports.completeSms = completeSms;

// ---- phones on the shipped menus ----------------------------------------------------
const RESUME = /^(Continue where you left off\?|Urashaka gukomeza aho wari ugeze\?|Reprendre là où vous en étiez \?)\n/;
let phoneSeq = 0;

// One phone's dialogs on env.smsc (an SmsAwareSmsc) with env.redis: its own number
// (prefix, this process, a sequence), a saved language when given, answers with growing
// its_session_info sequence numbers.
class Phone {
  constructor(env, { lang, session, prefix = '25079' } = {}) {
    phoneSeq++;
    this.env = env;
    this.msisdn = `${prefix}${String(process.pid % 1000).padStart(3, '0')}${String(phoneSeq).padStart(4, '0')}`;
    this.session = session || (phoneSeq % 200) + 1;
    this.lang = lang;
    this.seq = 0;
  }

  // A new dialog; a cut one's "Continue where you left off?" is answered "Start again".
  async dial(code = '*123#') {
    if (this.lang) await this.env.redis.cmd('SET', `ussd:l:${this.msisdn}`, this.lang);
    this.session = (this.session % 250) + 1;
    this.seq = 0;
    this.last = await this.env.smsc.dial(this.msisdn, code, this.session);
    if (RESUME.test(this.last.text)) return this.say('2');
    return this.last.text;
  }

  async say(text) {
    this.seq++;
    this.last = await this.env.smsc.answer(this.msisdn, text, this.session, this.seq);
    return this.last.text;
  }

  // Answers in turn; returns the last screen.
  async walk(...answers) {
    let t;
    for (const a of answers) t = await this.say(a);
    return t;
  }

  get ended() {
    return this.last && this.last.end === true;
  }

  sms(pred, from = 0) {
    return this.env.smsc.nextSms(this.msisdn, pred, from);
  }
}

// A screen fits one handset screen: 182 GSM septets (an escaped character counts two).
function within(screen) {
  const septets = [...screen].reduce((n, c) => n + ('^{}\\[~]|€'.includes(c) ? 2 : 1), 0);
  assert(septets <= 182, `screen of ${septets} characters:\n${screen}`);
}

function has(screen, ...parts) {
  for (const p of parts) assert(screen.includes(p), `expected ${JSON.stringify(p)} in:\n${screen}`);
}

module.exports.Phone = Phone;
module.exports.RESUME = RESUME;
module.exports.within = within;
module.exports.has = has;
