// polls.test.js: polls and participatory budgets (menus.d/polls.yaml, handlers/polls.c,
// `ussdgw poll results`): the real daemon with the shipped menus, node-smpp as the SMSC
// and a private Redis. A resident votes on *123# (Vote, district, poll, option), gets an
// SMS receipt, may ask for the result by SMS at the close, changes the vote (the tally
// moves, never counts twice); two phones voting at once are both counted; the CLI prints
// the tally; the gateway sends the results of a closed poll to those who asked.
'use strict';
const L = require('./lib');
const { test, assert, assertEq, until } = L;
const fs = require('fs');
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

async function setup(menus = MENUS, config = 'vote_secret = test-secret-1\n') {
  const redis = await L.startRedis();
  const smsc = new L.SmsAwareSmsc();
  await smsc.listen();
  const before = smsc.sessions.slice();
  const gw = await L.startGateway({ smscPort: smsc.port, redis: redis.addr, menus, config, smsc, name: 'polls' });
  gw.esme = smsc.sessions.find((x) => !before.includes(x));
  return { redis, smsc, gw };
}

// A copy of menus.d whose polls budget-2027 and pb-2027 close `secs` seconds from now; returns the
// folder and the closing time (ms since the epoch, whole seconds).
function menusClosingIn(secs) {
  const dir = fs.mkdtempSync(path.join(L.TMP, 'menus-closing-'));
  for (const f of fs.readdirSync(MENUS)) fs.copyFileSync(path.join(MENUS, f), path.join(dir, f));
  const closesMs = Math.ceil((Date.now() + secs * 1000) / 1000) * 1000;
  const kigali = new Date(closesMs + 2 * 3600 * 1000).toISOString().slice(0, 19);
  const y = fs.readFileSync(path.join(dir, 'polls.yaml'), 'utf8');
  const out = y.replace('closes: "2027-12-31T23:59"', `closes: "${kigali}"`)
    .replace('closes: "2027-06-30T23:59"', `closes: "${kigali}"`); // pb-2027 too
  assert(out !== y, 'the closes line of budget-2027');
  fs.writeFileSync(path.join(dir, 'polls.yaml'), out);
  return { dir, closesMs };
}

// A copy of menus.d with the poll budget-2027 edited by `edit` (text -> text).
function menusWith(edit) {
  const dir = fs.mkdtempSync(path.join(L.TMP, 'menus-polls-'));
  for (const f of fs.readdirSync(MENUS)) fs.copyFileSync(path.join(MENUS, f), path.join(dir, f));
  const y = fs.readFileSync(path.join(dir, 'polls.yaml'), 'utf8');
  const out = edit(y);
  assert(out !== y, 'the poll edited');
  fs.writeFileSync(path.join(dir, 'polls.yaml'), out);
  return dir;
}

const { within, has } = L;
class Phone extends L.Phone {
  constructor(env, lang) {
    super(env, { lang, prefix: '25073' });
  }
}

// The screen after a vote: recorded, choice shown, the result by SMS offered; answers
// it (want: 1 yes, 2 no) and returns the last screen.
async function afterVote(p, s, choice, want = '2') {
  within(s);
  has(s, 'Vote recorded. Get the result by SMS on ');
  has(s, `? Your vote: ${choice}\n`);
  has(s, '\n1. Yes\n2. No');
  s = await p.say(want);
  within(s);
  has(s, want === '1' ? 'Thank you for voting. We will send you the result by SMS after ' : 'Thank you for voting.');
  return s;
}

// Dial, Vote, Gasabo, the first open poll; returns the options screen.
async function toOptions(p) {
  const root = await p.dial();
  within(root);
  const m = /(\d+)\. (Vote|Tora|Voter)\n/.exec(root);
  assert(m, root);
  let s = await p.say(m[1]);
  within(s);
  assert(/\n1\. .*\n2\. (Propose a project|Tanga umushinga|Proposer un projet)/.test(s), s);
  s = await p.say('1');
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
  await afterVote(p, s, 'Market road repair');
  await p.sms((x) => x.startsWith('Your vote: Market road repair. You can change it until 2027-12-31 23:59'));
  assertEq(await env.redis.cmd('GET', `ussd:poll:${POLL}:voter:${p.msisdn}`), 'road');
  let t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.road, 1, 'road once');

  s = await toOptions(p);
  s = await p.say('3');
  await afterVote(p, s, 'Street lights');
  await p.sms((x) => x.startsWith('Your vote was changed to: Street lights. It replaces your earlier vote.'));
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
  has(ra, 'Itora ryakiriwe. Mwohererezwa ibyavuye mu itora kuri SMS');
  has(ra, 'Mwatoye: Amazi mu mashuri');
  within(ra);
  has(ra, '\n1. Yego\n2. Oya');
  has(rb, 'Your vote: Water taps in schools');
  has(await a.say('1'), 'Murakoze gutora. Tuzaboherereza ibyavuye mu itora kuri SMS');
  const t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.water, 2, 'two votes');
  assertEq(await env.redis.cmd('SCARD', `ussd:poll:${POLL}:phones`), 2);
}, 60000);

test('the same vote deliver_sm twice at once: one reply, the tally moves by 1', async () => {
  const env = await setup();
  const p = new Phone(env);
  await toOptions(p);
  const from = env.smsc.submits.length;
  const seq = p.seq + 1;
  const resps = await Promise.all([1, 2].map(() =>
    env.smsc.deliver({ msisdn: p.msisdn, text: '2', op: 18, session: p.session, seq })));
  resps.forEach((x) => assertEq(x.command_status, 0, 'deliver_sm_resp'));
  const r = await env.smsc.nextSubmit((x) => x.destination_addr === p.msisdn && x.ussd_service_op !== undefined, from);
  has(r.text, 'Your vote: Market road repair');
  // a marker dialog: its reply comes after anything the duplicate could still send
  await new Phone(env).dial();
  const t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.road, 1, 'counted once');
  assertEq(env.smsc.submits.slice(from).filter((x) => x.destination_addr === p.msisdn && x.ussd_service_op !== undefined).length, 1, 'one USSD reply');
}, 60000);

test('two daemons, the same vote step on both at once: counted once', async () => {
  const env = await setup();
  const before = env.smsc.sessions.slice();
  const gw2 = await L.startGateway({ smscPort: env.smsc.port, redis: env.redis.addr, menus: MENUS, smsc: env.smsc, name: 'polls2' });
  gw2.esme = env.smsc.sessions.find((x) => !before.includes(x));
  assert(env.gw.esme && gw2.esme && env.gw.esme !== gw2.esme, 'two ESME sessions');
  for (let round = 0; round < 3; round++) {
    const p = new Phone(env);
    await toOptions(p);
    const from = env.smsc.submits.length;
    const seq = p.seq + 1;
    const choice = String(round + 1);
    const resps = await Promise.all([env.gw.esme, gw2.esme].map((esme) =>
      env.smsc.deliver({ msisdn: p.msisdn, text: choice, op: 18, session: p.session, seq, esme })));
    resps.forEach((x) => assertEq(x.command_status, 0, 'deliver_sm_resp'));
    const r = await env.smsc.nextSubmit((x) => x.destination_addr === p.msisdn && x.ussd_service_op !== undefined, from);
    has(r.text, 'Vote recorded. ');
    await Promise.all([env.gw.esme, gw2.esme].map((esme) =>
      env.smsc.dial(new Phone(env).msisdn, '*123#', 200 + round, { esme })));
    // counted once; the copy that lost shows the same screen on its own connection
    const replies = env.smsc.submits.slice(from).filter((x) => x.destination_addr === p.msisdn && x.ussd_service_op !== undefined);
    assert(replies.length >= 1 && replies.length <= 2, `round ${round}: USSD replies: ${replies.length}`);
    replies.forEach((x) => assertEq(x.text, r.text, `round ${round}: the same screen`));
    assertEq(new Set(replies.map((x) => x.via)).size, replies.length, `round ${round}: one screen per connection`);
  }
  const t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.water, 1, 'water once');
  assertEq(t.road, 1, 'road once');
  assertEq(t.lights, 1, 'lights once');
  assertEq(await env.redis.cmd('SCARD', `ussd:poll:${POLL}:phones`), 3);
  assert(gw2.exitCode === null && !gw2.signal, 'gw2 alive');
}, 90000);

test('a poll that closes while the resident is on its options: the vote is refused; the gateway sends the result to who asked', async () => {
  const { dir, closesMs } = menusClosingIn(25);
  const conf = 'vote_secret = test-secret-1\npoll_results_every = 1\n';
  const env = await setup(dir, conf);
  // a second gateway on the same Redis looks for results to send too
  const gw2 = await L.startGateway({ smscPort: env.smsc.port, redis: env.redis.addr, menus: dir, config: conf, smsc: env.smsc, name: 'polls2' });
  const v = new Phone(env);
  await toOptions(v);
  await afterVote(v, await v.say('1'), 'Water taps in schools', '1');
  assertEq(await env.redis.cmd('HGET', `ussd:poll:${POLL}:notify`, v.msisdn), 'Gasabo', 'asked for the result');
  // asked, then changed the vote and said no: no result
  const o = new Phone(env, 'fr');
  await toOptions(o);
  await o.say('2');
  has(await o.say('1'), 'Merci d\'avoir voté. Nous vous enverrons le résultat par SMS après le ');
  await toOptions(o);
  const so = await o.say('2');
  has(so, 'Vote enregistré. Recevoir le résultat par SMS le ');
  has(so, ' ? Votre vote : Route du marché');
  within(so);
  has(await o.say('2'), 'Merci d\'avoir voté.');
  assertEq(await env.redis.cmd('HEXISTS', `ussd:poll:${POLL}:notify`, o.msisdn), 0, 'said no at last');
  const none = cli(env.redis, ['poll', 'notify-closed', '--menus', dir]);
  assertEq(none.code, 0, none.err);
  assertEq(none.out, 'queued\t0\n', 'nothing while the poll is open');
  const p = new Phone(env);
  const s = await toOptions(p);
  has(s, 'District budget 2027');
  assert(Date.now() < closesMs, 'reached the options before the poll closed');
  const from = env.smsc.submits.length;
  await until(() => Date.now() >= closesMs + 1000, closesMs + 5000 - Date.now(), 'the poll to close');
  const r = await p.say('1');
  has(r, 'This poll is closed');
  const t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.water, 1, 'the refused vote not counted');
  assertEq(t.road, 1, 'the changed vote');
  const again = await p.dial();
  const m = /(\d+)\. Vote\n/.exec(again);
  assert(m, again);
  await p.say(m[1]);
  await p.say('1');
  has(await p.say('4'), 'No poll is open in Gasabo');
  const res = cli(env.redis, ['poll', 'results', POLL, '--menus', dir]);
  assertEq(res.code, 0, res.err);
  has(res.out, 'status\tclosed\n');

  // the gateway sends it by itself (poll_results_every), no cron
  const sms = (await v.sms((x) => x.startsWith('Results: District budget 2027'), from)).text;
  has(sms, 'Water taps in schools: 1, Market road repair: 1');
  has(sms, 'Total 2.');
  await until(async () => (await env.redis.cmd('SISMEMBER', `ussd:poll:${POLL}:notified`, v.msisdn)) === 1, 5000, 'recorded as sent');
  await until(async () => (await env.redis.cmd('EXISTS', `ussd:poll:${POLL}:results:lock`)) === 0, 5000, 'the lock released');
  const results = (await L.smsFor(env.redis, v.msisdn)).filter((x) => x.startsWith('Results:'));
  assertEq(results.length, 1, 'one results SMS from two gateways');
  assert(gw2.exitCode === null && !gw2.signal, 'gw2 alive');
  const n1 = cli(env.redis, ['poll', 'notify-closed', '--menus', dir]);
  assertEq(n1.code, 0, n1.err);
  assertEq(n1.out, `poll ${POLL}: 0 queued, 1 already sent\npoll pb-2027: 0 queued, 0 already sent\nqueued\t0\n`, 'the CLI sends nothing twice');
  assertEq((await env.redis.cmd('KEYS', `ussd:sms:idem:poll-result:${POLL}:*`)).join(','), `ussd:sms:idem:poll-result:${POLL}:${v.msisdn}`, 'one results SMS queued: not to who said no');
  assertEq((await p.env.redis.cmd('SISMEMBER', `ussd:poll:${POLL}:phones`, p.msisdn)), 0, 'the refused voter is no voter');
}, 90000);

// Dial, Vote, Propose a project: title, Gasabo, category n; returns the last screen.
async function propose(p, title, category) {
  const root = await p.dial();
  const m = /(\d+)\. (Vote|Tora|Voter)\n/.exec(root);
  assert(m, root);
  await p.say(m[1]);
  let s = await p.say('2');
  within(s);
  assert(/\(3 .* 60 /.test(s), s);
  s = await p.say('ab'); // too short: asked again
  within(s);
  assert(/(Please type|Andika|Tapez) 3 /.test(s), s);
  s = await p.say(title);
  within(s);
  has(s, '4. Gasabo');
  s = await p.say('4');
  within(s);
  assert(/2\. (Roads|Imihanda|Routes)\n/.test(s), s);
  s = await p.say(String(category));
  within(s);
  return s;
}

test('proposals: a resident proposes, staff approve (it becomes an option) or reject; SMS to the proposer', async () => {
  const env = await setup();
  const a = new Phone(env);
  let s = await propose(a, 'Bridge to Kimironko market', 2);
  const m = /Thank you: your project "Bridge to Kimironko market" \(no\. (\d+), Gasabo\) will be reviewed/.exec(s);
  assert(m, s);
  const id = m[1];
  assertEq(await env.redis.cmd('HGET', `ussd:poll:proposal:${id}`, 'status'), 'pending');
  const b = new Phone(env, 'fr');
  s = await propose(b, 'Terrain de football', 6);
  const id2 = /votre projet "Terrain de football" \(no (\d+), Gasabo\)/.exec(s)[1];

  let r = cli(env.redis, ['poll', 'moderate', 'list']);
  assertEq(r.code, 0, r.err);
  has(r.out, `${id}\tGasabo\troads\t${a.msisdn}\tBridge to Kimironko market\n`);
  has(r.out, `${id2}\tGasabo\tother\t${b.msisdn}\tTerrain de football\n`);
  has(r.out, 'pending\t2\n');

  // not on the ballot before approval
  s = await toOptions(new Phone(env));
  assert(!s.includes('Bridge'), s);

  r = cli(env.redis, ['poll', 'moderate', 'approve', id, '--poll', POLL]);
  assertEq(r.code, 0, r.err);
  assertEq(r.out, `proposal ${id} approved: option p${id} of poll ${POLL}\n`);
  await a.sms((x) => x.startsWith(`Your project "Bridge to Kimironko market" (no. ${id}) was approved`));
  r = cli(env.redis, ['poll', 'moderate', 'approve', id, '--poll', POLL]);
  assertEq(r.out, `proposal ${id} was already approved\n`);
  // it is on its own district's ballot only
  assertEq(await env.redis.cmd('HEXISTS', `ussd:poll:${POLL}:extra:Gasabo`, `p${id}`), 1, 'on the Gasabo ballot');
  assertEq(await env.redis.cmd('EXISTS', `ussd:poll:${POLL}:extra:Huye`), 0, 'not on another district\'s ballot');
  r = cli(env.redis, ['poll', 'moderate', 'reject', id2, '--note', 'Not a district project.']);
  assertEq(r.code, 0, r.err);
  await b.sms((x) => x === `Votre projet "Terrain de football" (no ${id2}) n'a pas été retenu. Not a district project.`);
  r = cli(env.redis, ['poll', 'moderate', 'list']);
  assertEq(r.out, 'pending\t0\n');
  r = cli(env.redis, ['poll', 'moderate', 'reject', '999999']);
  assertEq(r.code, 1);
  has(r.err, 'no proposal 999999');

  const v = new Phone(env);
  s = await toOptions(v);
  has(s, '5. Bridge to Kimironko market');
  s = await v.say('5');
  await afterVote(v, s, 'Bridge to Kimironko market');
  await v.sms((x) => x.startsWith('Your vote: Bridge to Kimironko market.'));
  const t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t[`p${id}`], 1, 'the approved proposal counted');
  assertEq(await env.redis.cmd('GET', `ussd:poll:${POLL}:voter:${v.msisdn}`), `p${id}`);
  r = cli(env.redis, ['poll', 'results', POLL]);
  assertEq(r.code, 0, r.err);
  has(r.out, `clinic\t0\tHealth post\np${id}\t1\tGasabo: Bridge to Kimironko market\ntotal\t1\n`);
}, 90000);

test('voter: national_id: a malformed ID refused with the reason; one vote per ID, a second phone with it refused; the ID never in a key', async () => {
  const dir = menusWith((y) => y.replace('voter: phone', 'voter: national_id'));
  const env = await setup(dir);
  const ID = '1199880012345678';
  const bad = new Phone(env);
  await toOptions(bad);
  let s = await bad.say('2');
  within(s);
  has(s, 'national ID number (16 digits)');
  s = await bad.say('5199880012345678');
  within(s);
  has(s, 'This national ID number is not valid: A national ID starts with 1, 2 or 3.');
  const badFr = new Phone(env, 'fr');
  await toOptions(badFr);
  await badFr.say('2');
  s = await badFr.say('1299980012345678');
  within(s);
  has(s, "n'est pas valide : L'année de naissance");
  has(s, '1. Le retaper\n2. Annuler');
  s = await badFr.say('2');
  has(s, "Votre vote n'est pas enregistré.");
  let t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(Object.keys(t).length, 0, 'no vote from a bad ID');
  // typed again: the choice was kept
  s = await bad.say('1');
  has(s, 'national ID number (16 digits)');
  s = await bad.say('1199770012345670');
  await afterVote(bad, s, 'Market road repair');
  // back to an empty poll for the counts below
  await env.redis.cmd('DEL', `ussd:poll:${POLL}:tally`, ...await env.redis.cmd('KEYS', `ussd:poll:${POLL}:voter:*`), ...await env.redis.cmd('KEYS', `ussd:poll:${POLL}:idphone:*`));

  const a = new Phone(env);
  await toOptions(a);
  await a.say('2');
  s = await a.say('1 1998 8 0012345 6 78');
  await afterVote(a, s, 'Market road repair');
  t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.road, 1, 'road once');
  // the same ID from another phone: refused, the first vote stands
  const b = new Phone(env, 'rw');
  await toOptions(b);
  await b.say('3');
  s = await b.say(ID);
  within(s);
  has(s, 'Iyi ndangamuntu yamaze gutora ikoresheje indi telefoni.');
  t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.road, 1, 'the first vote stands');
  assertEq(t.lights || 0, 0, 'the second phone\'s vote not counted');
  // the phone that cast it changes it
  await toOptions(a);
  await a.say('3');
  await afterVote(a, await a.say(ID), 'Street lights');
  // another ID from the same phone (a family sharing it): a vote of its own
  await toOptions(a);
  await a.say('1');
  await afterVote(a, await a.say('1199870012345679'), 'Water taps in schools');
  t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.road, 0, 'the changed vote subtracted');
  assertEq(t.lights, 1, 'one vote for the ID');
  assertEq(t.water, 1, 'the second ID');
  const voters = await env.redis.cmd('KEYS', `ussd:poll:${POLL}:voter:*`);
  assertEq(voters.length, 2, 'one voter key per ID');
  assert(voters.every((k) => /:voter:id-[0-9a-f]{40}$/.test(k)), voters.join(' '));
  // the key is keyed by vote_secret: not the SHA-1 anyone could compute from an ID
  const sha1 = require('crypto').createHash('sha1').update(`ussdgw-poll:${POLL}:${ID}`).digest('hex');
  assert(!voters.some((k) => k.endsWith(sha1)), 'an unkeyed hash of the ID');
  const all = await env.redis.cmd('KEYS', '*');
  assert(all.length > 0 && !all.some((k) => k.includes(ID) || k.includes('1199880012345')), 'the ID in a key');
  const r = cli(env.redis, ['poll', 'results', POLL, '--menus', dir]);
  assertEq(r.code, 0, r.err);
  has(r.out, 'total\t2\n');

  // vote_secret changed while the poll runs: votes are refused, never counted again
  // under a new name
  await env.gw.stop();
  const before = env.smsc.sessions.slice();
  const gw2 = await L.startGateway({ smscPort: env.smsc.port, redis: env.redis.addr, menus: dir, config: 'vote_secret = another-secret\n', smsc: env.smsc, name: 'polls-secret' });
  gw2.esme = env.smsc.sessions.find((x) => !before.includes(x));
  const c = new Phone(env);
  await toOptions(c);
  await c.say('1');
  s = await c.say(ID);
  has(s, 'Sorry, your vote cannot be recorded right now.');
  await gw2.waitLog(/event=poll\.vote_secret_changed/);
  t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(`${t.water} ${t.lights}`, '1 1', 'the tally unchanged');
}, 90000);

test('notify-closed: results in each voter\'s language; never resent, also after the SMS idempotency keys expire', async () => {
  const dir = menusWith((y) => y.replace('opens: "2026-01-01T00:00"', 'opens: "2025-01-01T00:00"')
    .replace('closes: "2027-12-31T23:59"', 'closes: "2025-06-30T18:00"'));
  const env = await setup(dir, 'poll_results_every = 0\n'); // the CLI alone sends
  const en = new Phone(env), rw = new Phone(env, 'rw'), fr = new Phone(env, 'fr'), no = new Phone(env);
  await env.redis.cmd('SET', `ussd:l:${rw.msisdn}`, 'rw');
  await env.redis.cmd('SET', `ussd:l:${fr.msisdn}`, 'fr');
  await env.redis.cmd('SADD', `ussd:poll:${POLL}:phones`, en.msisdn, rw.msisdn, fr.msisdn, no.msisdn);
  // who asked for the result, and the district they voted in; `no` did not ask
  await env.redis.cmd('HSET', `ussd:poll:${POLL}:notify`, en.msisdn, 'Gasabo', rw.msisdn, 'Gasabo', fr.msisdn, 'Huye');
  // an approved proposal on Gasabo's ballot: in Gasabo's result only
  await env.redis.cmd('HSET', `ussd:poll:${POLL}:extra:Gasabo`, 'p9', 'Bridge to Kimironko');
  await env.redis.cmd('HSET', `ussd:poll:${POLL}:tally`, 'water', '2', 'road', '1', 'p9', '4');
  const from = env.smsc.submits.length;
  const n1 = cli(env.redis, ['poll', 'notify-closed', '--menus', dir]);
  assertEq(n1.code, 0, n1.err);
  assertEq(n1.out, `poll ${POLL}: 3 queued, 0 already sent\nqueued\t3\n`);
  let sms = (await en.sms((x) => x.startsWith('Results: District budget 2027'), from)).text;
  has(sms, 'Water taps in schools: 2, Market road repair: 1');
  has(sms, 'Bridge to Kimironko: 4. Total 7.');
  sms = (await rw.sms((x) => x.startsWith("Ibyavuye mu itora: Ingengo y'imari 2027"), from)).text;
  has(sms, 'Amazi mu mashuri: 2');
  has(sms, 'Yose hamwe 7.');
  sms = (await fr.sms((x) => x.startsWith('Résultats : Budget 2027'), from)).text;
  has(sms, 'Route du marché: 1');
  assert(!sms.includes('Bridge'), `Gasabo's project in Huye's result: ${sms}`);
  has(sms, 'Total 3.');
  assertEq((await env.redis.cmd('KEYS', `ussd:sms:idem:poll-result:${POLL}:${no.msisdn}`)).length, 0, 'none to who did not ask');
  const notified = await env.redis.cmd('SMEMBERS', `ussd:poll:${POLL}:notified`);
  assertEq(notified.slice().sort().join(','), [en.msisdn, rw.msisdn, fr.msisdn].sort().join(','));
  // the queue's idempotency keys expire: the permanent set still stops a resend
  const idem = await env.redis.cmd('KEYS', `ussd:sms:idem:poll-result:${POLL}:*`);
  assertEq(idem.length, 3, 'three idempotency keys');
  for (const k of idem) await env.redis.cmd('DEL', k);
  const n2 = cli(env.redis, ['poll', 'notify-closed', '--menus', dir]);
  assertEq(n2.code, 0, n2.err);
  assertEq(n2.out, `poll ${POLL}: 0 queued, 3 already sent\nqueued\t0\n`, 'a rerun sends nothing');
  assertEq((await env.redis.cmd('KEYS', `ussd:sms:idem:poll-result:${POLL}:*`)).length, 0, 'nothing enqueued again');
}, 60000);

test('the participatory budget pb-2027: each district its own projects, two choices, a binding vote by ID', async () => {
  const env = await setup();
  const p = new Phone(env, 'fr');
  const root = await p.dial();
  await p.say(/(\d+)\. Voter\n/.exec(root)[1]);
  await p.say('1');
  let s = await p.say('4'); // Gasabo
  within(s);
  has(s, '1. Budget 2027');
  has(s, '2. Budget participatif 2027');
  s = await p.say('2');
  within(s);
  has(s, 'Budget participatif 2027 : choisissez 2 projets\n1. Bornes d\'eau à Kimironko\n2. Route de desserte de Bumbogo\n3. Classes à l\'école de Remera');
  assert(!s.includes('Kicukiro') && !s.includes('Tumba'), s);
  s = await p.say('3');
  within(s);
  has(s, "Votre choix : Classes à l'école de Remera. Ajouter un choix (1 restant)");
  await p.say('1');
  s = await p.say('1');
  within(s);
  has(s, 'numéro d\'identité');
  s = await p.say('1199880012345678');
  within(s);
  has(s, "Votre vote : Classes à l'école de Remera, Bornes d'eau à Kimironko");
  has(await p.say('1'), 'Nous vous enverrons le résultat par SMS');
  await p.sms((x) => x.startsWith("Votre vote : Classes à l'école de Remera, Bornes d'eau à Kimironko."));
  const t = await hgetall(env.redis, 'ussd:poll:pb-2027:tally');
  assertEq(JSON.stringify(t), JSON.stringify({ 'gs-school': 1, 'gs-water': 1 }));
  assertEq(await env.redis.cmd('HGET', 'ussd:poll:pb-2027:notify', p.msisdn), 'Gasabo');
  // Huye's ballot lists Huye's projects; a district without projects has no such poll
  const h = new Phone(env);
  const r2 = await h.dial();
  await h.say(/(\d+)\. Vote\n/.exec(r2)[1]);
  s = await h.say('1');
  for (let page = 0; page < 5 && !/\d+\. Huye\n/.test(s); page++) s = await h.say('98');
  s = await h.say(String(/(\d+)\. Huye\n/.exec(s)[1]));
  has(s, '2. Participatory budget 2027');
  s = await h.say('2');
  has(s, '1. Tumba water taps\n2. Ngoma market road');
  const r = cli(env.redis, ['poll', 'results', 'pb-2027']);
  assertEq(r.code, 0, r.err);
  has(r.out, 'gs-school\t1\tGasabo: Remera school classrooms\n');
  has(r.out, 'total\t2\n');
}, 60000);

test('max_choices 2: add another choice or done; a choice twice refused; the set counted atomically, a new vote subtracts the old set', async () => {
  const dir = menusWith((y) => y.replace('max_choices: 1', 'max_choices: 2'));
  const env = await setup(dir);
  const p = new Phone(env);
  await toOptions(p);
  let s = await p.say('1');
  within(s);
  has(s, 'Your choice: Water taps in schools');
  has(s, 'Add another choice (1 left) or done?\n1. Add another choice\n');
  has(s, '2. Done');
  s = await p.say('1');
  within(s);
  has(s, '2. Market road repair');
  s = await p.say('1'); // water again
  within(s);
  has(s, 'Already chosen: Water taps in schools.');
  s = await p.say('1');
  within(s);
  s = await p.say('2');
  within(s);
  await afterVote(p, s, 'Water taps in schools, Market road repair');
  await p.sms((x) => x.startsWith('Your vote: Water taps in schools, Market road repair.'));
  let t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.water, 1, 'water');
  assertEq(t.road, 1, 'road');
  assertEq(await env.redis.cmd('GET', `ussd:poll:${POLL}:voter:${p.msisdn}`), 'water road');

  // a new vote, one choice then Done: the old set subtracted
  const rw = new Phone(env, 'rw');
  await toOptions(rw);
  s = await rw.say('3');
  within(s);
  has(s, 'Wahisemo: Amatara yo ku muhanda');
  has(s, 'Ongeraho ikindi (1 bisigaye)');
  has(s, '2. Ndarangije');
  s = await p.dial();
  await toOptions(p);
  s = await p.say('3');
  s = await p.say('2');
  await afterVote(p, s, 'Street lights');
  t = await hgetall(env.redis, `ussd:poll:${POLL}:tally`);
  assertEq(t.water, 0, 'water subtracted');
  assertEq(t.road, 0, 'road subtracted');
  assertEq(t.lights, 1, 'lights');
  const r = cli(env.redis, ['poll', 'results', POLL, '--menus', dir]);
  assertEq(r.code, 0, r.err);
  has(r.out, 'lights\t1\tStreet lights\n');
  has(r.out, 'total\t1\n');
}, 90000);

L.run();
