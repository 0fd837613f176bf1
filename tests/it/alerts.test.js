// alerts.test.js: alert subscriptions (menus.d/alerts.yaml, handlers/alerts.c) and
// `ussdgw alert send` (cli/alerts_cli.c): the real daemon with the shipped menus,
// node-smpp as the SMSC and the run's real Redis. Residents JOIN / LEAVE / STOP / START
// by SMS or subscribe on *123#; an alert reaches each subscriber of its topic and
// district once, as a submit_sm counted per phone at the SMSC.
'use strict';
const L = require('./lib');
const { ROOT, test, run, assert, assertEq, until, sharedRedis, startRedis, Smsc, startGateway, gsmEncode } = L;
const path = require('path');
const { spawn } = require('child_process');

const MENUS = path.join(ROOT, 'menus.d');
const SHORT_CODE = '123';

let phoneSeq = 0;
function phone() {
  phoneSeq++;
  return `2507${String((process.pid + 37) % 10000).padStart(4, '0')}${String(500 + phoneSeq).padStart(4, '0')}`;
}

// Complete SMS (not USSD) to msisdn from index `from` on: [text].
function smsTo(smsc, msisdn, from = 0) {
  return L.completeSms(smsc.submits, msisdn, from).map((m) => m.text);
}

function sendSms(smsc, msisdn, text) {
  const s = smsc.sessions.find((x) => x.bound && !x.unbound);
  if (!s) return Promise.reject(new Error('no bound ESME'));
  const pdu = {
    service_type: '', source_addr_ton: 1, source_addr_npi: 1, source_addr: msisdn,
    dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: SHORT_CODE,
    esm_class: 0, data_coding: 0, short_message: gsmEncode(text) || Buffer.from(text, 'latin1'),
  };
  return new Promise((resolve, reject) => {
    const ok = s.deliver_sm(pdu, (resp) => resolve(resp));
    if (!ok) reject(new Error('socket not writable'));
  });
}

async function ask(env, msisdn, text) {
  const from = env.smsc.submits.length;
  const resp = await sendSms(env.smsc, msisdn, text);
  assertEq(resp.command_status, 0, 'deliver_sm_resp status');
  const msgs = await until(() => { const m = smsTo(env.smsc, msisdn, from); return m.length ? m : null; },
    8000, `an answer to ${msisdn}`);
  return msgs[0];
}

function cli(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(L.USSDGW, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`ussdgw ${args.join(' ')}: timed out`)); }, 15000);
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
  });
}

// `ussdgw alert send`; returns {id, queued}.
async function alertSend(env, topic, district, text, extra = []) {
  const r = await cli(['alert', 'send', '--redis', env.redis.addr, ...extra, topic, district, text]);
  assertEq(r.code, 0, `ussdgw alert send exit status (stderr: ${r.err})`);
  const m = /^alert (\d+): (\d+) queued(?:, (\d+) already sent)?$/m.exec(r.out);
  assert(m, `ussdgw alert send prints "alert ID: N queued", got ${JSON.stringify(r.out)}`);
  return { id: m[1], queued: Number(m[2]), already: Number(m[3] || 0) };
}

function countTo(env, msisdn, text) {
  return smsTo(env.smsc, msisdn).filter((t) => t === text).length;
}


async function setup() {
  const redis = sharedRedis() || await startRedis();
  const smsc = new Smsc();
  const port = await smsc.listen();
  const gw = await startGateway({ smscPort: port, redis: redis.addr, menus: MENUS, smsc, name: 'alerts' });
  return { redis, smsc, gw };
}

test('JOIN by SMS, then an alert reaches exactly the subscribers of its topic and district, once each', async () => {
  const env = await setup();
  const [a, b, c, e] = [phone(), phone(), phone(), phone()];
  const ra = await ask(env, a, 'JOIN WATER GASABO');
  assertEq(ra, 'You will get water alerts for Gasabo. To stop, text LEAVE WATER Gasabo, or STOP for all alerts.', 'join reply');
  const rb = await ask(env, b, 'join amazi gasabo'); // a Kinyarwanda topic word, any case
  assert(rb.startsWith('You will get water alerts for Gasabo.'), rb);
  await ask(env, c, 'JOIN WASTE GASABO');
  await ask(env, e, 'JOIN WATER HUYE');
  assertEq(await env.redis.cmd('SISMEMBER', 'ussd:alerts:sub:water:Gasabo', a), 1, 'subscription set');
  assertEq(await env.redis.cmd('SISMEMBER', `ussd:alerts:phone:${a}`, 'water:Gasabo'), 1, 'phone set');

  const text = `Water cut in Gasabo on Friday 8-14h (${process.pid}).`;
  const s1 = await alertSend(env, 'water', 'gasabo', text);
  assertEq(s1.queued, 2, 'queued for the two subscribers');
  await until(() => countTo(env, a, text) >= 1 && countTo(env, b, text) >= 1, 10000, 'the alert at both subscribers');
  // the same alert again (its id): nobody gets it twice
  const s2 = await alertSend(env, 'water', 'Gasabo', text, ['--id', s1.id]);
  assertEq(s2.id, s1.id, 'same alert id');
  assertEq(`${s2.queued} ${s2.already}`, '0 2', 'nothing new: "0 queued, 2 already sent"');
  // the send has returned, so the queue holds all it will ever send for this alert
  assertEq((await L.smsFor(env.redis, a)).filter((t) => t === text).length, 1, 'a: queued once');
  assertEq((await L.smsFor(env.redis, b)).filter((t) => t === text).length, 1, 'b: queued once');
  assertEq(countTo(env, a, text), 1, 'a: once');
  assertEq(countTo(env, b, text), 1, 'b: once');
  assertEq(countTo(env, c, text), 0, 'c (another topic): nothing');
  assertEq(countTo(env, e, text), 0, 'e (another district): nothing');
  // a new alert (a new id) is a new SMS
  const s3 = await alertSend(env, 'water', 'Gasabo', text);
  assert(Number(s3.id) > Number(s1.id), 'a new alert id');
  await until(() => countTo(env, a, text) === 2 && countTo(env, b, text) === 2, 10000, 'the second alert');
});

test('LEAVE by SMS; JOIN without a district uses the last one, or asks for it', async () => {
  const env = await setup();
  const a = phone();
  assertEq(await ask(env, a, 'JOIN ROADS'), 'Please add your district, e.g. JOIN WATER GASABO.', 'no district known');
  await ask(env, a, 'JOIN ROADS MUSANZE');
  assert((await ask(env, a, 'JOIN HEALTH')).startsWith('You will get health alerts for Musanze.'), 'default district');
  assertEq(await ask(env, a, 'LEAVE ROADS MUSANZE'), 'You will get no more roads alerts for Musanze.', 'leave');
  const text = `Road closed in Musanze (${process.pid}).`;
  assertEq((await alertSend(env, 'roads', 'Musanze', text)).queued, 0, 'nobody left');
  assertEq(await ask(env, a, 'JOIN WATER NOWHERE'), 'Unknown district NOWHERE. Check the spelling, e.g. JOIN WATER GASABO.', 'unknown district');
});

test('an unknown topic gets the list of topics', async () => {
  const env = await setup();
  const a = phone();
  assertEq(await ask(env, a, 'JOIN PARKING GASABO'),
    'Unknown topic PARKING. Topics: WATER, WASTE, ROADS, HEALTH. Example: JOIN WATER GASABO.', 'unknown topic');
  // (another phone: the same text again within sms_in_resend_s is a resend, not answered)
  const b = phone();
  await env.redis.cmd('SET', `ussd:l:${b}`, 'fr');
  assertEq(await ask(env, b, 'JOIN PARKING GASABO'),
    'Sujet inconnu : PARKING. Sujets : EAU, DECHETS, ROUTES, SANTE. Exemple : JOIN EAU GASABO.', 'in French');
  await env.redis.cmd('DEL', `ussd:l:${b}`);
});

test('STOP stops every alert until START', async () => {
  const env = await setup();
  const [a, b] = [phone(), phone()];
  await ask(env, a, 'JOIN HEALTH KAYONZA');
  await ask(env, b, 'JOIN HEALTH KAYONZA');
  const stop = await ask(env, a, 'STOP');
  assertEq(stop, 'You will receive no more alerts from this service. To receive them again, text START.', 'stop reply');
  const t1 = `Vaccination day in Kayonza (${process.pid}-1).`;
  assertEq((await alertSend(env, 'health', 'Kayonza', t1)).queued, 1, 'only b');
  await until(() => countTo(env, b, t1) === 1, 10000, 'b gets it');
  assertEq((await L.smsFor(env.redis, a)).filter((t) => t === t1).length, 0, 'a stopped: nothing queued');
  assertEq(countTo(env, a, t1), 0, 'a stopped: nothing');
  assert((await ask(env, a, 'start')).startsWith('Alerts are on again. Topics followed: 1.'), 'start reply');
  const t2 = `Vaccination day in Kayonza (${process.pid}-2).`;
  assertEq((await alertSend(env, 'health', 'Kayonza', t2)).queued, 2, 'both again');
  await until(() => countTo(env, a, t2) === 1 && countTo(env, b, t2) === 1, 10000, 'both get it');
});

test('subscribe on *123# (Alerts), list and leave from My alerts', async () => {
  const env = await setup();
  const a = phone();
  const smsc = env.smsc;
  // the root menu may be paginated (More) and gain options: find Alerts by its label
  const openAlerts = async (session) => {
    let r = await smsc.dial(a, '*123#', session);
    let seq = 1;
    for (let page = 0; page < 4; page++) {
      const m = /(?:^|\n)(\d+)\. Alerts(?:\n|$)/.exec(r.text);
      if (m) return [await smsc.answer(a, m[1], session, seq), seq + 1];
      r = await smsc.answer(a, '98', session, seq++);
    }
    throw new Error(`no Alerts option on the root menu: ${r.text}`);
  };
  let [r] = await openAlerts(11);
  assert(r.text.startsWith('Alerts\n1. Subscribe\n2. My alerts'), r.text);
  r = await smsc.answer(a, '1', 11, 2);
  assert(r.text.includes('2. Waste collection'), r.text);
  r = await smsc.answer(a, '2', 11, 3);
  assert(r.text.startsWith('Choose your district'), r.text);
  assert(r.text.includes('5. Gatsibo'), r.text);
  r = await smsc.answer(a, '5', 11, 4);
  // the topic by its name in the resident's language, not its code
  assert(r.text.startsWith('Get waste collection alerts for Gatsibo by SMS?'), r.text);
  r = await smsc.answer(a, '1', 11, 5);
  assert(r.text.startsWith('Done: you will get waste collection alerts for Gatsibo by SMS.'), r.text);
  assertEq(await env.redis.cmd('SISMEMBER', 'ussd:alerts:sub:waste:Gatsibo', a), 1, 'subscribed');

  const text = `Waste collection moved to Saturday in Gatsibo (${process.pid}).`;
  assertEq((await alertSend(env, 'waste', 'Gatsibo', text)).queued, 1, 'queued');
  await until(() => countTo(env, a, text) === 1, 10000, 'the alert');

  [r] = await openAlerts(12);
  r = await smsc.answer(a, '2', 12, 2);
  assert(r.text.startsWith('Your alerts: choose one to stop it\n1. waste collection, Gatsibo'), r.text);
  r = await smsc.answer(a, '1', 12, 3);
  assert(r.text.startsWith('Stop these alerts?'), r.text);
  r = await smsc.answer(a, '1', 12, 4);
  assertEq(r.text, 'You will get no more waste collection alerts for Gatsibo.', 'left');
  assertEq(await env.redis.cmd('SISMEMBER', 'ussd:alerts:sub:waste:Gatsibo', a), 0, 'unsubscribed');
  [r] = await openAlerts(13);
  r = await smsc.answer(a, '2', 13, 2);
  assert(r.text.startsWith('You follow no alerts yet.'), r.text);
});

test('each subscriber gets the alert in their saved language, else the main text', async () => {
  const env = await setup();
  const [en, rw, fr, de, none] = [phone(), phone(), phone(), phone(), phone()];
  await env.redis.cmd('SET', `ussd:l:${en}`, 'en');
  await env.redis.cmd('SET', `ussd:l:${rw}`, 'rw');
  await env.redis.cmd('SET', `ussd:l:${fr}`, 'fr');
  const replies = [];
  for (const p of [en, rw, fr, de, none]) replies.push(await ask(env, p, 'JOIN WATER NYARUGENGE'));
  // the LEAVE keyword in the resident's own language
  assert(replies[1].includes('andika LEAVE AMAZI Nyarugenge'), replies[1]);
  assert(replies[2].includes('envoyez LEAVE EAU Nyarugenge'), replies[2]);
  await env.redis.cmd('SET', `ussd:l:${de}`, 'de'); // not a language of the menus
  const main = `Water cut in Nyarugenge on Monday 8-12h (${process.pid}).`;
  const tRw = `Amazi azabura muri Nyarugenge ku wa mbere 8-12h (${process.pid}).`;
  const tFr = `Coupure d'eau à Nyarugenge lundi 8h-12h (${process.pid}).`;
  const args = ['alert', 'send', '--redis', env.redis.addr, '--menus', MENUS, '--text-rw', tRw,
    'water', 'Nyarugenge', main, `--text-fr=${tFr}`];
  const r = await cli(args);
  assertEq(r.code, 0, `exit status (stderr: ${r.err})`);
  const m = /^alert (\d+): 5 queued\nby text: main 3, rw 1, fr 1\n$/.exec(r.out);
  assert(m, `the counts, got ${JSON.stringify(r.out)}`);
  await until(() => countTo(env, en, main) === 1 && countTo(env, rw, tRw) === 1 && countTo(env, fr, tFr) === 1 &&
    countTo(env, de, main) === 1 && countTo(env, none, main) === 1, 10000, 'each text at its phones');
  // again with its id: nobody gets a second SMS, in any language
  const again = await cli([...args, '--id', m[1]]);
  assertEq(again.code, 0, `again (stderr: ${again.err})`);
  const alerts = async (p) => (await L.smsFor(env.redis, p)).filter((t) => [main, tRw, tFr].includes(t)).length;
  for (const p of [en, rw, fr, de, none]) assertEq(await alerts(p), 1, `${p}: one alert SMS in all`);
  assertEq(smsTo(env.smsc, rw).filter((t) => t === main).length, 0, 'rw: not the main text');

  // each text is checked like the main one, and the language must be one of the menus'
  const long = 'x'.repeat(153 * 6 + 1);
  let bad = await cli(['alert', 'send', '--redis', env.redis.addr, '--text-fr', long, 'water', 'Nyarugenge', main]);
  assertEq(bad.code, 1, 'a --text-fr over sms_max_parts');
  assert(/--text-fr text needs 7 parts; sms_max_parts is 6/.test(bad.err), bad.err);
  bad = await cli(['alert', 'send', '--redis', env.redis.addr, '--text-rw', '', 'water', 'Nyarugenge', main]);
  assertEq(bad.code, 1, 'an empty --text-rw');
  assert(/--text-rw text is empty/.test(bad.err), bad.err);
  bad = await cli(['alert', 'send', '--redis', env.redis.addr, '--menus', MENUS, '--text-de', 'Wasser', 'water', 'Nyarugenge', main]);
  assertEq(bad.code, 1, 'a language the menus do not have');
  assert(/unknown language 'de'.*en, rw, fr/.test(bad.err), bad.err);
  bad = await cli(['alert', 'send', '--redis', env.redis.addr, '--menus', MENUS, '--text-rw', 'a', '--text-rw=b', 'water', 'Nyarugenge', main]);
  assertEq(bad.code, 1, 'a language twice');
  assert(/--text-rw is given twice/.test(bad.err), bad.err);
  for (const p of [en, rw, fr, de, none]) assertEq(await alerts(p), 1, `${p}: nothing more queued`);
});

test('on *123# in Kinyarwanda and French the confirm screen names the topic in that language', async () => {
  const env = await setup();
  const smsc = env.smsc;
  const cases = [
    ['rw', 'Kubona amatangazo ya amazi muri Gasabo kuri SMS?', 'Byakozwe: uzajya ubona amatangazo ya amazi muri Gasabo'],
    ['fr', 'Recevoir les alertes eau pour Gasabo par SMS ?', "C'est fait : vous recevrez les alertes eau pour Gasabo"],
  ];
  let session = 30;
  for (const [lang, confirm, done] of cases) {
    const a = phone();
    await env.redis.cmd('SET', `ussd:l:${a}`, lang);
    session++;
    let r = await smsc.dial(a, '*123#', session);
    let seq = 1;
    // the Alerts option, by its label in that language, on any page of the root menu
    const label = lang === 'rw' ? 'Amatangazo' : 'Alertes';
    for (let page = 0; page < 4; page++) {
      const m = new RegExp(`(?:^|\\n)(\\d+)\\. ${label}(?:\\n|$)`).exec(r.text);
      if (m) { r = await smsc.answer(a, m[1], session, seq++); break; }
      r = await smsc.answer(a, '98', session, seq++);
    }
    assert(r.text.startsWith(`${label}\n1. `), `${lang}: the Alerts menu, got ${r.text}`);
    r = await smsc.answer(a, '1', session, seq++); // Subscribe
    r = await smsc.answer(a, '1', session, seq++); // water
    const g = /(?:^|\n)(\d+)\. Gasabo(?:\n|$)/.exec(r.text);
    assert(g, `${lang}: Gasabo on the first page of districts: ${r.text}`);
    r = await smsc.answer(a, g[1], session, seq++);
    assert(r.text.startsWith(confirm), `${lang}: confirm screen, got ${r.text}`);
    r = await smsc.answer(a, '1', session, seq++);
    assert(r.text.startsWith(done), `${lang}: done screen, got ${r.text}`);
    assertEq(await env.redis.cmd('SISMEMBER', 'ussd:alerts:sub:water:Gasabo', a), 1, `${lang}: subscribed`);
  }
});

test('alert send refuses an unknown topic or district', async () => {
  const env = await setup();
  let r = await cli(['alert', 'send', '--redis', env.redis.addr, 'parking', 'Gasabo', 'x']);
  assertEq(r.code, 1, 'unknown topic');
  assert(/unknown topic/.test(r.err), r.err);
  r = await cli(['alert', 'send', '--redis', env.redis.addr, 'water', 'Atlantis', 'x']);
  assertEq(r.code, 1, 'unknown district');
  assert(/unknown district/.test(r.err), r.err);
});

run();
