// polls.test.js: polls and participatory budgets (menus.d/polls.yaml, handlers/polls.c,
// `ussdgw poll results`): the real daemon with the shipped menus, node-smpp as the SMSC
// and a private Redis. A resident votes on *123# (Vote, district, poll, option), gets an
// SMS receipt, changes the vote (the tally moves, never counts twice); two phones
// voting at once are both counted; the CLI prints the tally.
'use strict';
const L = require('./lib');
const { test, assert, assertEq } = L;
const path = require('path');
const { spawnSync } = require('child_process');

const MENUS = path.join(L.ROOT, 'menus.d');
const POLL = 'budget-2027';

function cli(r, args) {
  const res = spawnSync(L.USSDGW, [...args, '--redis', r.addr], { encoding: 'utf8', timeout: 60000, cwd: L.ROOT });
  return { code: res.status, out: res.stdout || '', err: res.stderr || '' };
}

async function hgetall(redis, key) {
  const a = await redis.cmd('HGETALL', key);
  const o = {};
  for (let i = 0; i < a.length; i += 2) o[a[i]] = Number(a[i + 1]);
  return o;
}

async function setup() {
  const redis = await L.startRedis();
  const smsc = new L.SmsAwareSmsc();
  await smsc.listen();
  const gw = await L.startGateway({ smscPort: smsc.port, redis: redis.addr, menus: MENUS, smsc, name: 'polls' });
  return { redis, smsc, gw };
}

let phoneSeq = 0;
class Phone {
  constructor(env, lang) {
    phoneSeq++;
    this.env = env;
    this.msisdn = `25073${String(process.pid % 1000).padStart(3, '0')}${String(phoneSeq).padStart(4, '0')}`;
    this.session = phoneSeq + 20;
    this.lang = lang;
  }

  async dial() {
    if (this.lang) await this.env.redis.cmd('SET', `ussd:l:${this.msisdn}`, this.lang);
    this.session = (this.session % 250) + 1;
    this.seq = 0;
    return (await this.env.smsc.dial(this.msisdn, '*123#', this.session)).text;
  }

  async say(text) {
    this.seq++;
    return (await this.env.smsc.answer(this.msisdn, text, this.session, this.seq)).text;
  }

  sms(pred, from = 0) {
    return this.env.smsc.nextSms(this.msisdn, pred, from);
  }
}

function within(screen) {
  const septets = [...screen].reduce((n, c) => n + ('^{}\\[~]|€'.includes(c) ? 2 : 1), 0);
  assert(septets <= 182, `screen of ${septets} characters:\n${screen}`);
}

function has(s, part) {
  assert(s.includes(part), `expected ${JSON.stringify(part)} in:\n${s}`);
}

// Dial, Vote, Gasabo, the first open poll; returns the options screen.
async function toOptions(p) {
  const root = await p.dial();
  within(root);
  const m = /(\d+)\. (Vote|Tora|Voter)\n/.exec(root);
  assert(m, root);
  let s = await p.say(m[1]);
  within(s);
  has(s, '4. Gasabo');
  s = await p.say('4');
  within(s);
  s = await p.say('1');
  within(s);
  return s;
}

test('vote on *123#: options, SMS receipt, a second vote replaces the first; poll results', async () => {
  const env = await setup();
  const p = new Phone(env);
  let s = await toOptions(p);
  has(s, 'District budget 2027: which project first?');
  has(s, '2. Market road repair');
  s = await p.say('2');
  has(s, 'your vote was recorded: Market road repair');
  await p.sms((x) => x.startsWith('Your vote: Market road repair. You can change it until 2027-12-31 23:59'));
  assertEq(await env.redis.cmd('GET', `ussd:poll:${POLL}:voter:${p.msisdn}`), 'road');
  let t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.road, 1, 'road once');

  s = await toOptions(p);
  s = await p.say('3');
  has(s, 'Street lights');
  t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.road, 0, 'the old choice is subtracted');
  assertEq(t.lights, 1, 'the new choice counted once');

  const r = cli(env.redis, ['poll', 'results', POLL]);
  assertEq(r.code, 0, r.err);
  has(r.out, 'lights\t1\tStreet lights\n');
  has(r.out, 'road\t0\tMarket road repair\n');
  has(r.out, 'total\t1\nstatus\topen\n');
  const bad = cli(env.redis, ['poll', 'results', 'no-such-poll']);
  assertEq(bad.code, 1);
  has(bad.err, "no poll 'no-such-poll'");
}, 60000);

test('Kinyarwanda; two phones voting at the same moment are both counted, once each', async () => {
  const env = await setup();
  const a = new Phone(env, 'rw');
  const b = new Phone(env);
  const sa = await toOptions(a);
  has(sa, "Ingengo y'imari 2027");
  await toOptions(b);
  const [ra, rb] = await Promise.all([a.say('1'), b.say('1')]);
  has(ra, 'Murakoze');
  has(rb, 'Thank you');
  const t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.water, 2, 'two votes');
  assertEq(await env.redis.cmd('SCARD', `ussd:poll:${POLL}:phones`), 2);
}, 60000);

L.run();
