// dialects.test.js: a repeated answer is applied each time and a resent deliver_sm once,
// on every USSD dialect a centre may speak, with node-smpp as the centre and the shipped
// menus over a seeded Redis:
//   counted  its_session_info, octet 2 counted on every message (the SMPP 3.4 text)
//   zero     its_session_info, octet 2 always 0, answers as op 1, end op 0x17
//   umr      user_message_reference keys, no its_session_info
//   msisdn   no session id at all (keyed on the MSISDN), answers as op 1
// For each: a dialog with the same answer twice and three times in a row shows the screens
// `ussdgw try` shows for the same answers; a deliver_sm resent with the same sequence
// number, with a new one, on another gateway's bind, and after the link dropped before
// its response, is applied once; a random walk over the shipped menus on two gateways
// (alternating steps, one killed with SIGKILL mid-run and started again) completes every
// dialog that was not on the killed process, each step advancing the stored session by
// exactly one (never a screen from a stale or doubly applied session). And the same
// answer twice over HTTP (Africa's Talking and Hubtel).
'use strict';
const L = require('./lib');
const { test, assert, assertEq, until } = L;
const path = require('path');
const { spawnSync } = require('child_process');

const MENUS = path.join(L.ROOT, 'menus.d');
const PROFILES = {
  counted: { conf: '', op: 18, end: 17, its: 'counted' },
  zero: { conf: 'op_answer = 1\nop_end = 23', op: 1, end: 23, its: 'zero' },
  umr: { conf: 'session_key = user_message_reference', op: 18, end: 17, its: 'none', umr: true },
  msisdn: { conf: 'session_key = msisdn\nop_answer = 1', op: 1, end: 17, its: 'none' },
};
const WINDOW_MS = 1000; // resend_window_ms, the default
const READING_MS = WINDOW_MS + 150; // a resident reads a screen before answering it

let phoneN = 250786000000 + (process.pid % 1000) * 1000;
const nextPhone = () => String(++phoneN);
let umrN = (process.pid % 500) * 100;

// ---- set-up ------------------------------------------------------------------------------
// A private Redis per test (stopped with it), seeded with the demo records.
async function redisSeeded() {
  const redis = await L.startRedis();
  const r = spawnSync(L.USSDGW, ['seed', '--redis', redis.addr], { encoding: 'utf8' });
  assertEq(r.status, 0, `ussdgw seed: ${r.stderr}`);
  return redis;
}

function gwConfig(smsc, profile) {
  return `[link op]\nsmsc = 127.0.0.1:${smsc.port}\n${PROFILES[profile].conf}\n`;
}

async function startGw(smsc, redis, profile, name) {
  const before = smsc.sessions.slice();
  const gw = await L.startGateway({ redis: redis.addr, smsc, menus: MENUS, config: gwConfig(smsc, profile), name });
  gw.esme = smsc.sessions.find((x) => !before.includes(x) && x.bound);
  assert(gw.esme, `${name} bound`);
  return gw;
}

async function setup(profile, gateways = 1) {
  const redis = await redisSeeded();
  const smsc = new L.Smsc();
  await smsc.listen();
  const gws = [];
  for (let i = 0; i < gateways; i++) gws.push(await startGw(smsc, redis, profile, `${profile}${i + 1}`));
  return { redis, smsc, gws };
}

// ---- one dialog as the centre sees it ----------------------------------------------------
class Dialog {
  constructor(env, profile) {
    this.env = env;
    this.p = PROFILES[profile];
    this.msisdn = nextPhone();
    this.session = Math.floor(Math.random() * 256);
    this.umr = ++umrN % 65536;
    this.octet2 = 0; // the centre's count of its messages in this dialog (counted profile)
    this.applied = 0; // answers the stored session must have applied
  }

  get sid() {
    return this.p.umr ? String(this.umr) : this.p.its === 'none' ? '' : String(this.session);
  }

  get key() {
    return `ussd:s:smpp.op:${this.msisdn}:${this.sid}`;
  }

  // deliver_sm fields of one message; `again` resends the last one's octet 2
  args(text, op, { again = false, end = false } = {}) {
    if (!again && this.p.its === 'counted' && op !== 1) this.octet2++;
    const a = { msisdn: this.msisdn, text, op, session: this.session, seq: this.p.its === 'counted' ? this.octet2 : 0, end };
    if (this.p.its === 'none') a.extra = { its_session_info: undefined };
    if (this.p.umr) a.extra.user_message_reference = this.umr;
    return a;
  }

  async dial(esme) {
    this.applied = 0;
    const r = await this.env.smsc.step({ ...this.args('*123#', 1), esme });
    return r;
  }

  async answer(text, esme, opts = {}) {
    const r = await this.env.smsc.step({ ...this.args(text, this.p.op, opts), esme });
    this.applied++;
    return r;
  }

  ended(r) {
    return r.ussd_service_op === this.p.end || r.end === true;
  }

  // The stored session: {version, screen, steps, state}
  async stored() {
    const v = await this.env.redis.cmd('GET', this.key);
    if (!v) return null;
    const bar = v.indexOf('|');
    const f = v.slice(bar + 1).split('\x1e');
    return { version: Number(v.slice(0, bar)), state: Number(f[4]), screen: f[5], steps: Number(f[13]) };
  }

  async checkApplied(what) {
    const s = await this.stored();
    assert(s, `${what}: a stored session`);
    assertEq(s.steps, this.applied, `${what}: answers applied`);
    return s;
  }
}

// The screens `ussdgw try` shows for a dial and its answers (the engine's own oracle).
function tryScreens(redis, answers) {
  const r = spawnSync(L.USSDGW, ['try', '--redis', redis.addr, '--menus', MENUS, '--msisdn', nextPhone(), '*123#'],
    { input: answers.map((a) => `${a}\n`).join(''), encoding: 'utf8' });
  assertEq(r.status, 0, `ussdgw try: ${r.stderr}`);
  return r.stdout.split(/^\[(?:continue|end)\]\n?/m).map((s) => s.replace(/\n$/, '')).filter((s) => s !== '');
}

// ---- per profile -------------------------------------------------------------------------
const REPEATS = ['1', '1', '0', '0', '5', '1', '1', '1'];

for (const profile of Object.keys(PROFILES)) {
  test(`${profile}: the same answer twice and three times in a row is applied each time`, async () => {
    const env = await setup(profile);
    const want = tryScreens(env.redis, REPEATS);
    assertEq(want.length, REPEATS.length + 1, `try screens: ${JSON.stringify(want)}`);
    const d = new Dialog(env, profile);
    let r = await d.dial();
    assertEq(r.text, want[0], 'home');
    for (let i = 0; i < REPEATS.length; i++) {
      if (i > 0 && REPEATS[i] === REPEATS[i - 1]) await L.readingPause(READING_MS);
      r = await d.answer(REPEATS[i]);
      assertEq(r.text, want[i + 1], `screen after answer ${i + 1} (${REPEATS.slice(0, i + 1).join(',')})`);
    }
    await d.checkApplied('after the dialog');
    L.assert(env.gws[0].exitCode === null, 'gateway alive');
  }, 60000);

  test(`${profile}: a resent deliver_sm is applied once (same sequence number, a new one, another bind, a dropped link)`, async () => {
    const env = await setup(profile, 2);
    const [gw1, gw2] = env.gws;
    const want = tryScreens(env.redis, ['1', '1', '0', '2', '0']);
    const d = new Dialog(env, profile);
    await d.dial(gw1.esme);
    // 1. the centre got no deliver_sm_resp in time: the same PDU, same sequence number, same bind
    const from1 = env.smsc.submits.length;
    const a1 = d.args('1', d.p.op);
    const seq = 0x7000 + (process.pid % 0x1000);
    // (one after the other: node-smpp keys its wait for a response on the number)
    await env.smsc.deliver({ ...a1, esme: gw1.esme, extra: { ...(a1.extra || {}), sequence_number: seq } });
    await env.smsc.deliver({ ...a1, esme: gw1.esme, extra: { ...(a1.extra || {}), sequence_number: seq } });
    d.applied++;
    const land = await env.smsc.nextSubmit((x) => x.destination_addr === d.msisdn, from1);
    assertEq(land.text, want[1], 'Land');
    await d.checkApplied('same sequence number');
    // 2. resent with a new sequence number on the same bind (as Net::SMPP does)
    await L.readingPause(READING_MS); // the resident reads Land, then presses 1 again
    const from2 = env.smsc.submits.length;
    const a2 = d.args('1', d.p.op);
    await env.smsc.deliver({ ...a2, esme: gw1.esme });
    await env.smsc.deliver({ ...a2, esme: gw1.esme });
    d.applied++;
    const upi = await env.smsc.nextSubmit((x) => x.destination_addr === d.msisdn, from2);
    assertEq(upi.text, want[2], 'the UPI prompt');
    await d.checkApplied('a new sequence number');
    // 3. resent on another gateway's bind: applied once; that connection gets the screen too
    await L.readingPause(READING_MS);
    const from3 = env.smsc.submits.length;
    const a3 = d.args('0', d.p.op);
    await Promise.all([env.smsc.deliver({ ...a3, esme: gw1.esme }), env.smsc.deliver({ ...a3, esme: gw2.esme })]);
    d.applied++;
    await until(() => env.smsc.submits.slice(from3).filter((x) => x.destination_addr === d.msisdn).length >= 2, 6000, 'a screen on each connection');
    for (const x of env.smsc.submits.slice(from3).filter((y) => y.destination_addr === d.msisdn)) assertEq(x.text, land.text, 'Back to Land, once');
    await d.checkApplied('another bind');
    // 4. the link drops before the deliver_sm_resp goes out; the centre resends the
    // answer on the new bind once the gateway is back, long after the first copy
    const before = await d.stored();
    const a4 = d.args('2', d.p.op);
    const from4 = env.smsc.submits.length;
    const esme = gw1.esme;
    esme.deliver_sm({ service_type: 'USSD', source_addr_ton: 1, source_addr_npi: 1, source_addr: d.msisdn,
      dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: '123', data_coding: 0x0F,
      short_message: Buffer.from('2'), ussd_service_op: a4.op,
      ...(d.p.its === 'none' ? {} : { its_session_info: Buffer.from([d.session & 0xff, (a4.seq & 0x7f) << 1]) }),
      ...(d.p.umr ? { user_message_reference: d.umr } : {}) });
    esme.socket.destroy();
    d.applied++;
    // the gateway read it and applied it; its screen had no link to go out on
    await until(async () => { const s = await d.stored(); return s && s.steps === before.steps + 1; }, 6000, 'the first copy applied');
    const rebound = await until(() => env.smsc.sessions.find((x) => x.bound && !x.unbound && x !== gw2.esme && x !== esme), 10000, 'gw1 bound again');
    await L.readingPause(READING_MS); // the resend comes late: only the lost screen tells
    const r4 = await env.smsc.step({ ...a4, esme: rebound });
    assertEq(r4.text, want[4], 'the screen after \'2\', shown again');
    await d.checkApplied('after a dropped link');
    assertEq(env.smsc.submits.slice(from4).filter((x) => x.destination_addr === d.msisdn).length, 1, 'one screen reached the centre');
    // and the dialog goes on from there
    const r5 = await d.answer('0', rebound);
    assertEq(r5.text, want[5], 'Back');
    await d.checkApplied('next step');
  }, 90000);
}

test('two binds of one gateway to one centre (centre =) share their dialogs; a copy on the other bind is applied once', async () => {
  const redis = await redisSeeded();
  const smsc = new L.Smsc();
  await smsc.listen();
  const config = `[link a]\nsmsc = 127.0.0.1:${smsc.port}\ncentre = op\n[link b]\nsmsc = 127.0.0.1:${smsc.port}\ncentre = op\n`;
  await L.startGateway({ redis: redis.addr, menus: MENUS, config, name: 'two-binds', smsc });
  await smsc.bound(2);
  const [e1, e2] = smsc.sessions.filter((x) => x.bound);
  const env = { redis, smsc };
  const want = tryScreens(redis, ['1', '1', '0']);
  const d = new Dialog(env, 'counted');
  assertEq((await d.dial(e1)).text, want[0], 'dial on bind a');
  assertEq((await d.answer('1', e2)).text, want[1], 'an answer on bind b');
  const from = smsc.submits.length;
  const a = d.args('1', 18);
  await Promise.all([smsc.deliver({ ...a, esme: e1 }), smsc.deliver({ ...a, esme: e2 })]);
  d.applied++;
  await until(() => smsc.submits.slice(from).filter((x) => x.destination_addr === d.msisdn).length >= 2, 6000, 'a screen on each bind');
  for (const x of smsc.submits.slice(from).filter((y) => y.destination_addr === d.msisdn)) assertEq(x.text, want[2], 'the UPI prompt, once');
  await d.checkApplied('a copy on the other bind');
  assertEq((await d.answer('0', e1)).text, want[3], 'Back');
  assertEq(d.key, `ussd:s:smpp.op:${d.msisdn}:${d.session}`, 'the centre names the dialogs');
});

// ---- the random walk ---------------------------------------------------------------------
const POOL = ['1', '2', '0', 'Alice', 'Kigali Road 5', '1/02/03/04/567', '1199880012345678', '260001238', '5000', '98', '00'];

function choices(text) {
  const opts = [...text.matchAll(/^(\d+)\. /gm)].map((m) => m[1]);
  for (const k of ['0', '00', '98']) if (new RegExp(`(^|  )${k} [A-Z]`, 'm').test(text)) opts.push(k);
  return opts;
}

// A seeded PRNG, so a failing walk can be run again (WALK_SEED).
function prng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

async function walk(profile, { dialogs, concurrency, maxSteps = 12 }) {
  const env = await setup(profile, 2);
  const seed = Number(process.env.WALK_SEED || Date.now() % 100000);
  const rnd = prng(seed);
  const stats = { done: 0, ended: 0, aborted: 0, exempt: 0, steps: 0, repeats: 0, copies: 0, failures: [] };
  let killed = null; // the esme of the killed gateway, while it is away
  const inflight = new Map(); // dialog -> esme its step is waiting on
  const bound = () => env.gws.map((g) => g.esme).filter((e) => e && e !== killed && e.bound && !e.unbound);

  async function one(n) {
    const d = new Dialog(env, profile);
    d.n = n;
    let k = 0;
    const pick = () => { const b = bound(); return b[(n + k++) % b.length]; };
    const step = async (fn) => {
      const esme = pick();
      inflight.set(d, esme);
      try { return await fn(esme); } finally { inflight.delete(d); }
    };
    let r = await step((e) => d.dial(e));
    await d.checkApplied('dial');
    let last = null;
    for (let i = 0; i < maxSteps && !d.ended(r); i++) {
      const opts = choices(r.text);
      let a = last !== null && rnd() < 0.35 ? last : opts.length ? opts[Math.floor(rnd() * opts.length)] : POOL[Math.floor(rnd() * POOL.length)];
      if (a === last) { stats.repeats++; await L.readingPause(READING_MS); }
      const copy = rnd() < 0.1;
      if (copy) {
        // the same PDU twice on one bind: applied once, one screen
        stats.copies++;
        r = await step(async (e) => {
          const args = d.args(a, d.p.op);
          const seqNo = 0x100000 + Math.floor(rnd() * 0x1000000);
          const x = { ...args, esme: e, extra: { ...(args.extra || {}), sequence_number: seqNo } };
          const from = env.smsc.submits.length;
          await env.smsc.deliver(x);
          await env.smsc.deliver(x);
          d.applied++;
          return env.smsc.nextSubmit((s) => s.destination_addr === d.msisdn, from);
        });
      } else {
        r = await step((e) => d.answer(a, e));
      }
      last = a;
      stats.steps++;
      await d.checkApplied(`dialog ${n} step ${i + 1} (${a})`);
    }
    if (d.ended(r)) {
      stats.ended++;
      const s = await d.stored();
      assertEq(s.state, 1, 'an ended dialog is stored ended');
    } else {
      // the resident hangs up
      await step((e) => env.smsc.deliver({ ...d.args('', 129, { end: true }), esme: e }));
      await until(async () => { const s = await d.stored(); return s && s.state === 1; }, 6000, 'the abort applied');
      stats.aborted++;
    }
  }

  const exempt = new Set();
  async function runOne(n) {
    try {
      await one(n);
      stats.done++;
    } catch (e) {
      if (exempt.has(n)) stats.exempt++;
      else stats.failures.push(`dialog ${n}: ${e.message}`);
    }
  }

  // the kill, a third of the way in: every dialog waiting on that gateway is exempt
  let started = 0;
  const killAt = Math.floor(dialogs / 3);
  const killer = (async () => {
    await until(() => stats.done + stats.failures.length >= killAt, 120000, 'a third of the walk');
    const victim = env.gws[0];
    killed = victim.esme;
    // what the victim holds at this moment: dialogs whose step is on its connection
    for (const [d, e] of inflight) if (e === victim.esme) exempt.add(d.n);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    await until(() => !env.smsc.sessions.includes(victim.esme), 10000, 'the killed gateway\'s connection closed');
    const again = await startGw(env.smsc, env.redis, profile, `${profile}-again`);
    env.gws[0] = again;
    killed = null;
  })().catch((e) => { stats.failures.push(`restart: ${e.message}`); });

  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push((async () => {
      for (;;) {
        const n = started++;
        if (n >= dialogs) return;
        await runOne(n);
      }
    })());
  }
  await Promise.all(workers);
  await killer;
  return { env, stats, seed };
}

for (const profile of Object.keys(PROFILES)) {
  test(`${profile}: a random walk over the shipped menus on two gateways, one killed and restarted, completes every dialog`, async () => {
    const { env, stats, seed } = await walk(profile, { dialogs: 200, concurrency: 40 });
    const failed = stats.failures.slice(0, 5).join('\n  ');
    assertEq(stats.failures.length, 0, `walk (WALK_SEED=${seed}) ${JSON.stringify({ ...stats, failures: stats.failures.length })}:\n  ${failed}`);
    assertEq(stats.done + stats.exempt, 200, 'every dialog accounted for');
    assert(stats.done >= 190, `dialogs completed: ${stats.done}`);
    assert(stats.repeats > 50 && stats.copies > 20, `repeats ${stats.repeats}, copies ${stats.copies}`);
    for (const g of env.gws) assert(g.exitCode === null, 'gateways alive');
  }, 240000);
}

// ---- HTTP --------------------------------------------------------------------------------
test('HTTP: the same answer twice in a row, Africa\'s Talking and Hubtel', async () => {
  const redis = await redisSeeded();
  const port = await L.freePort();
  const gw = await L.startGateway({ redis: redis.addr, menus: MENUS, args: ['--http', `127.0.0.1:${port}`], name: 'http-dialects', waitBound: false });
  await gw.waitLog(/event=http\.listening/);
  const want = tryScreens(redis, ['1', '1']);
  const post = async (p, body, type) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, { method: 'POST', headers: { 'Content-Type': type }, body });
    return res.text();
  };
  const form = (o) => new URLSearchParams(o).toString();
  const at = { sessionId: `AT${process.pid}`, serviceCode: '*123#', phoneNumber: nextPhone() };
  const FORM = 'application/x-www-form-urlencoded';
  assertEq(await post('/ussd', form({ ...at, text: '' }), FORM), `CON ${want[0]}`);
  assertEq(await post('/ussd', form({ ...at, text: '1' }), FORM), `CON ${want[1]}`);
  assertEq(await post('/ussd', form({ ...at, text: '1*1' }), FORM), `CON ${want[2]}`, 'AT: the second 1');
  assertEq(await post('/ussd', form({ ...at, text: '1*1' }), FORM), `CON ${want[2]}`, 'AT: a retried request shows it again');
  const hub = { SessionId: `H${process.pid}`, Mobile: nextPhone(), ServiceCode: '123', Operator: 'mtn', ClientState: '' };
  const J = 'application/json';
  const h = async (o) => JSON.parse(await post('/ussd/hubtel', JSON.stringify({ ...hub, ...o }), J)).Message;
  assertEq(await h({ Type: 'Initiation', Message: '*123#', Sequence: 1 }), want[0]);
  assertEq(await h({ Type: 'Response', Message: '1', Sequence: 2 }), want[1]);
  assertEq(await h({ Type: 'Response', Message: '1', Sequence: 3 }), want[2], 'Hubtel: the second 1');
  assertEq(await h({ Type: 'Response', Message: '1', Sequence: 3 }), want[2], 'Hubtel: Sequence 3 again is a resend');
});

L.run();
