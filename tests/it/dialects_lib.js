// dialects_lib.js: what the dialect tests share (dialects.test.js, dialects_walk.test.js):
// the four profiles a USSD centre may speak, a seeded private Redis, gateways on node-smpp,
// one dialog as the centre sees it (its session in Redis: answers applied, state), and
// the screens `ussdgw try` shows for the same answers (the engine's own oracle).
'use strict';
const L = require('./lib');
const { assert, assertEq } = L;
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

module.exports = { MENUS, PROFILES, WINDOW_MS, READING_MS, nextPhone, redisSeeded, gwConfig, startGw, setup, Dialog, tryScreens };
