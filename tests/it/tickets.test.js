// tickets.test.js: "Report a problem" (handlers/tickets.c, menus.d/reports.yaml) over
// SMPP with the real daemon, node-smpp as the SMSC and a seeded private Redis: a report
// from category to district, sector (a district's real sectors), landmark and optional
// description, its TKT reference and SMS; the same problem reported again joining the
// open ticket as a follower; two phones reporting at once making one ticket; a staff
// status change (ussdgw app status TKT-...) texting every follower in their language;
// "My reports".
'use strict';
const L = require('./lib');
const { test, assert, assertEq } = L;
const path = require('path');
const { spawnSync } = require('child_process');

const MENUS = path.join(L.ROOT, 'menus.d');
const TKT = /TKT-\d\d-\d{6}-\d/;

function cli(r, args) {
  const res = spawnSync(L.USSDGW, [...args, '--redis', r.addr], { encoding: 'utf8', timeout: 60000, cwd: L.ROOT });
  return { code: res.status, out: res.stdout || '', err: res.stderr || '' };
}

function today() {
  return new Date(Date.now() + 2 * 3600 * 1000).toISOString().slice(0, 10);
}

async function hgetall(redis, key) {
  const a = await redis.cmd('HGETALL', key);
  const o = {};
  for (let i = 0; i < a.length; i += 2) o[a[i]] = a[i + 1];
  return o;
}

async function setup(config) {
  const redis = await L.startRedis();
  const s = cli(redis, ['seed', '--scale', 'small', '--today', today()]);
  assertEq(s.code, 0, `seed (${s.err})`);
  const smsc = new L.SmsAwareSmsc();
  await smsc.listen();
  const gw = await L.startGateway({ smscPort: smsc.port, redis: redis.addr, menus: MENUS, config, smsc, name: 'tickets' });
  return { redis, smsc, gw };
}

const { within, has } = L;
class Phone extends L.Phone {
  constructor(env, lang) {
    super(env, { lang, prefix: '25072' });
  }
}

// The root option number of "Report a problem" (in any language).
function reportOption(root) {
  const m = /(\d+)\. (Report a problem|Tanga ikibazo|Signaler un problème)/.exec(root);
  assert(m, root);
  return m[1];
}

// Dial and go to the report menu's "New report", then category, Gasabo, a sector.
async function startReport(p, category, sector) {
  const root = await p.dial();
  within(root);
  let s = await p.say(reportOption(root));
  within(s);
  s = await p.say('1');
  within(s);
  s = await p.say(category);
  within(s);
  assert(/4\. Gasabo/.test(s), s);
  s = await p.say('4');
  within(s);
  assert(/1\. Bumbogo/.test(s) && /Gasabo/.test(s), s);
  s = await p.say(sector);
  within(s);
  return s;
}

test('report a problem (en): category, district, sector, landmark, description; TKT reference and SMS; ticket keys', async () => {
  const env = await setup();
  const { redis } = env;
  const p = new Phone(env);
  let s = await startReport(p, '1', '1');
  assert(s.startsWith('Where exactly in Bumbogo? A short landmark'), s);
  s = await p.say('near the market');
  assertEq(s, 'Description\n1. Add a description\n2. No description\n0 Back  00 Home');
  s = await p.say('1');
  s = await p.say('Big pothole on the main road');
  within(s);
  const ref = (TKT.exec(s) || [])[0];
  assert(ref, s);
  assert(s.startsWith(`Thank you. Your report ${ref} was received.`), s);
  const t = await hgetall(redis, `ussd:ticket:${ref}`);
  assertEq(t.category, 'road');
  assertEq(t.district, 'Gasabo');
  assertEq(t.sector, 'Bumbogo');
  assertEq(t.landmark, 'near the market');
  assertEq(t.description, 'Big pothole on the main road');
  assertEq(t.status, 'received');
  assertEq(t.msisdn, p.msisdn);
  assertEq(await redis.cmd('GET', 'ussd:tickets:open:12-01:road'), ref);
  const ttl = await redis.cmd('TTL', 'ussd:tickets:open:12-01:road');
  assert(ttl > 6 * 86400 && ttl <= 7 * 86400, `window ${ttl}`);
  assertEq(JSON.stringify(await redis.cmd('SMEMBERS', `ussd:ticket:${ref}:followers`)), JSON.stringify([p.msisdn]));
  assertEq(await redis.cmd('ZCARD', `ussd:phone:${p.msisdn}:tickets`), 1);
  const m = await p.sms((x) => x.includes(ref));
  assertEq(m.text, `Your report ${ref} (road damage, Bumbogo, Gasabo) was received. We will text you when it changes.`);
}, 60000);

test('the same problem again joins the open ticket; a status change texts every follower in their language; My reports', async () => {
  const env = await setup();
  const { redis, smsc } = env;
  const a = new Phone(env);
  await startReport(a, '3', '2');
  let s = await a.walk('by the school', '2');
  const ref = (TKT.exec(s) || [])[0];
  assert(ref, s);
  assertEq((await hgetall(redis, `ussd:ticket:${ref}`)).description, '');

  // another phone (rw), same category and sector: told at once that it is reported
  // (before typing a landmark), follows it
  const b = new Phone(env, 'rw');
  s = await startReport(b, '3', '2');
  assertEq(s, `Iki kibazo cyamaze gutangwa muri Gatsata: ${ref} (cyakiriwe). Mwifuza kujya mubona amakuru yacyo kuri SMS?\n1. Yego\n2. Oya\n0 Subira  00 Ahabanza`);
  s = await b.say('1');
  within(s);
  assertEq(s, `Cyamaze gutangwa: ${ref}. Twakongeyeho: uzajya uhabwa amakuru kuri SMS.`);
  await b.sms((x) => x.includes(ref));
  assertEq(JSON.stringify((await redis.cmd('SMEMBERS', `ussd:ticket:${ref}:followers`)).sort()), JSON.stringify([a.msisdn, b.msisdn].sort()));
  assertEq(await redis.cmd('ZSCORE', `ussd:phone:${b.msisdn}:tickets`, ref) !== null, true);
  // a third phone says no: nothing changes
  const d = new Phone(env);
  s = await startReport(d, '3', '2');
  assert(s.startsWith(`Already reported in Gatsata: ${ref} (received). Follow it`), s);
  assertEq(await d.say('2'), 'OK, nothing was added. Thank you.');
  assertEq(await redis.cmd('SCARD', `ussd:ticket:${ref}:followers`), 2, 'd is no follower');
  // another category in that sector is another ticket
  const c = new Phone(env, 'fr');
  await startReport(c, '2', '2');
  s = await c.walk('rue principale', '2');
  const other = (TKT.exec(s) || [])[0];
  assert(other && other !== ref, s);
  assert(s.startsWith(`Merci. Signalement ${other} enregistré.`), s);

  const from = smsc.submits.length;
  let st = cli(redis, ['app', 'status', ref, 'in_progress', '--note', 'team sent']);
  assertEq(st.code, 0, st.err);
  // staff see the whole ticket with the same command as applications
  const show = cli(redis, ['app', 'show', ref.toLowerCase()]);
  assertEq(show.code, 0, show.err);
  assert(show.out.startsWith(`${ref}  report waste  status in_progress\n  place      by the school, Gatsata, Gasabo\n`), show.out);
  assert(/followers 2 +reports 2/.test(show.out), show.out);
  assert(/history:\n  \S+ \S+  received +reported\n  \S+ \S+  in_progress +team sent\n/.test(show.out), show.out);
  assertEq(cli(redis, ['app', 'show', 'TKT-26-999999-2']).err, 'ussdgw app: no ticket with that reference\n');
  assert(st.out.includes('received -> in_progress') && st.out.includes('2 followers'), st.out);
  let m = await a.sms((x) => x.includes(ref) && x.includes('worked on'), from);
  assertEq(m.text, `Your report ${ref} (waste not collected) is being worked on. Note: team sent`);
  m = await b.sms((x) => x.includes(ref) && x.includes('gukemurwa'), from);
  assertEq(m.text, `Ikibazo ${ref} (imyanda itatwawe) cyatangiye gukemurwa. Icyitonderwa: team sent`);
  st = cli(redis, ['app', 'status', ref.toLowerCase(), 'resolved', '--note', 'bins emptied']);
  assertEq(st.code, 0, st.err);
  await b.sms((x) => x.includes('cyakemutse'), from);
  assertEq(await redis.cmd('EXISTS', 'ussd:tickets:open:12-02:waste'), 0, 'a resolved problem is no longer open');
  // final: refused, with a reason
  st = cli(redis, ['app', 'status', ref, 'in_progress']);
  assert(st.code !== 0 && /final/.test(st.err), st.err);
  st = cli(redis, ['app', 'status', ref, 'approved']);
  assert(st.code !== 0 && /unknown ticket status/.test(st.err), st.err);

  // My reports: the phone's tickets with their status; one chosen shows its details
  const root = await b.dial();
  s = await b.walk(reportOption(root), '2');
  within(s);
  assert(s.startsWith('Ibibazo watanze\n') && s.includes(`1. ${ref} cyakemutse`), s);
  s = await b.say('1');
  within(s);
  assert(s.startsWith(`${ref} imyanda itatwawe: cyakemutse. Icyitonderwa: bins emptied\nby the school, `), s);
  assert(/Byahinduwe \d\d\/\d\d\/20\d\d\./.test(s), s);
  has(s, 'Abagikurikira: 2');
}, 60000);

test('ticket_merge_window: the open problem is the same problem for the configured time only', async () => {
  const env = await setup('ticket_merge_window = 90\n');
  const p = new Phone(env);
  await startReport(p, '2', '3');
  await p.say('by the school');
  const s = await p.say('2');
  const ref = (TKT.exec(s) || [])[0];
  assert(ref, s);
  const key = 'ussd:tickets:open:12-03:streetlight';
  assertEq(await env.redis.cmd('GET', key), ref);
  const ttl = await env.redis.cmd('TTL', key);
  assert(ttl > 0 && ttl <= 90, `window ${ttl}`);
  // once it has passed (the key expired), the same problem is a new ticket
  await env.redis.cmd('DEL', key);
  const q = new Phone(env);
  await startReport(q, '2', '3');
  await q.say('by the school');
  const s2 = await q.say('2');
  const ref2 = (TKT.exec(s2) || [])[0];
  assert(ref2 && ref2 !== ref, s2);
}, 60000);

test('two phones reporting the same problem at the same moment make one ticket', async () => {
  const env = await setup();
  const { redis } = env;
  const a = new Phone(env);
  const b = new Phone(env);
  await startReport(a, '4', '3');
  await startReport(b, '4', '3');
  await a.walk('pipe on the road', '1');
  await b.walk('pipe near the road', '1');
  const [sa, sb] = await Promise.all([a.say('water everywhere'), b.say('water everywhere too')]);
  const ra = (TKT.exec(sa) || [])[0];
  const rb = (TKT.exec(sb) || [])[0];
  assert(ra && ra === rb, `${sa}\n${sb}`);
  assert([sa, sb].filter((x) => x.startsWith('Already reported')).length === 1, `${sa}\n${sb}`);
  assertEq(await redis.cmd('SCARD', `ussd:ticket:${ra}:followers`), 2);
  assertEq((await redis.cmd('KEYS', 'ussd:ticket:TKT-*')).filter((k) => !k.includes(':hist') && !k.includes(':followers')).length, 1);
}, 60000);

L.run();
