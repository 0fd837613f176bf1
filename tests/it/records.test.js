// records.test.js: the services' records against a real, private redis-server:
// `ussdgw seed --scale small` (counts, and a second run that changes nothing),
// `ussdgw app status` (transitions, a refused one, a bad check digit, history, the SMS
// record queued in the applicant's language), idempotent `app create` from processes
// racing with the same key, business-name reservation, atomic slot booking, and odd
// Redis data that must give an error, not a crash.
'use strict';
const L = require('./lib');
const { test, assert, assertEq } = L;
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');

function sanitizerReport(text) {
  const m = /(AddressSanitizer|runtime error:|LeakSanitizer)[^\n]*/.exec(text || '');
  return m ? m[0] : null;
}

// ussdgw ARGS against redis r; returns {code, out, err}.
function gw(r, args) {
  const res = spawnSync(L.USSDGW, [...args, '--redis', r.addr], { encoding: 'utf8', timeout: 60000, cwd: L.ROOT });
  const san = sanitizerReport(res.stderr);
  if (san) throw new Error(`sanitizer report from ussdgw ${args.join(' ')}: ${san}`);
  return { code: res.status, out: res.stdout || '', err: res.stderr || '' };
}

// The same, asynchronously, so that several run at once.
function gwAsync(r, args) {
  return new Promise((resolve) => {
    const p = spawn(L.USSDGW, [...args, '--redis', r.addr], { cwd: L.ROOT });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

// The Damm check, written again here so the test does not trust the C code.
const DAMM = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2], [7, 0, 9, 2, 1, 5, 4, 8, 6, 3], [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6], [6, 1, 2, 3, 0, 4, 5, 9, 7, 8], [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4], [8, 9, 4, 5, 3, 6, 2, 0, 1, 7], [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];
function refValid(ref) {
  const m = /^(LND|BIZ|BPA|BIL)-(\d\d)-(\d{6})-(\d)$/.exec(ref);
  if (!m) return false;
  const digits = { LND: '1', BIZ: '2', BPA: '3', BIL: '9' }[m[1]] + m[2] + m[3] + m[4];
  let i = 0;
  for (const c of digits) i = DAMM[i][Number(c)];
  return i === 0;
}

// Every key and its whole value, canonical, hashed: equal digests = equal data.
async function digest(r) {
  const keys = (await r.cmd('KEYS', '*')).sort();
  const types = await L.redisPipeline(r.port, keys.map((k) => ['TYPE', k]));
  const reads = keys.map((k, i) => {
    switch (types[i]) {
      case 'string': return ['GET', k];
      case 'hash': return ['HGETALL', k];
      case 'list': return ['LRANGE', k, 0, -1];
      case 'set': return ['SMEMBERS', k];
      case 'zset': return ['ZRANGE', k, 0, -1, 'WITHSCORES'];
      default: return ['TYPE', k];
    }
  });
  const vals = await L.redisPipeline(r.port, reads);
  const ttls = await L.redisPipeline(r.port, keys.map((k) => ['PTTL', k]));
  const h = crypto.createHash('sha1');
  keys.forEach((k, i) => {
    let v = vals[i];
    if (types[i] === 'hash') {
      const pairs = [];
      for (let j = 0; j < v.length; j += 2) pairs.push(`${v[j]}=${v[j + 1]}`);
      v = pairs.sort();
    } else if (types[i] === 'set') v = v.slice().sort();
    h.update(`${k}\0${types[i]}\0${JSON.stringify(v)}\0${ttls[i] > 0 ? 'ttl' : 'none'}\n`);
  });
  return { keys: keys.length, sha: h.digest('hex') };
}

async function countKeys(r, pattern) {
  return (await r.cmd('KEYS', pattern)).length;
}

// Today in Kigali, so both runs of a test seed the same week.
function today() {
  return new Date(Date.now() + 2 * 3600 * 1000).toISOString().slice(0, 10);
}

// The refs the seed printed: {submitted: 'LND-..', ..., permit: 'BPA-..'}.
function tryRefs(out) {
  const refs = {};
  for (const line of out.split('\n')) {
    const m = /^\s+(submitted|in_review|approved|rejected|paid|completed|permit)\s+((?:LND|BIZ|BPA)-\d\d-\d{6}-\d)/.exec(line);
    if (m) refs[m[1]] = m[2];
  }
  return refs;
}

async function seeded() {
  const r = await L.startRedis();
  const s = gw(r, ['seed', '--scale', 'small', '--today', today()]);
  assertEq(s.code, 0, `seed exit code (${s.err})`);
  return { r, out: s.out, refs: tryRefs(s.out) };
}

test('seed --scale small loads the counts it prints, and a second run changes nothing', async () => {
  const r = await L.startRedis();
  const t0 = Date.now();
  const a = gw(r, ['seed', '--scale', 'small', '--today', today()]);
  const secs = (Date.now() - t0) / 1000;
  assertEq(a.code, 0, `exit code (${a.err})`);
  // measured 66..229 ms (sanitizer build, 1 or 2 cores kept busy, 4 runs)
  L.timing('seed --scale small', secs * 1000, '< 20000');
  assert(secs < 20, `small seed took ${secs} s`);
  assert(/30 districts, 416 sectors/.test(a.out), a.out);
  assert(/1000 parcels/.test(a.out), a.out);
  assert(/200 businesses/.test(a.out), a.out);
  assert(/120 applications: submitted \d+, in_review \d+, approved \d+, rejected \d+, paid \d+, completed \d+/.test(a.out), a.out);
  for (const st of ['submitted', 'in_review', 'approved', 'rejected', 'paid', 'completed']) {
    const m = new RegExp(`${st} (\\d+)`).exec(a.out);
    assert(m && Number(m[1]) > 0, `some ${st} applications:\n${a.out}`);
  }
  assertEq(await countKeys(r, 'ussd:parcel:*'), 1000, 'parcels in Redis');
  assertEq(await countKeys(r, 'ussd:biz:[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'), 200, 'businesses in Redis');
  assertEq(await r.cmd('ZCARD', 'ussd:biz:names'), 200, 'name index');
  assertEq(await r.cmd('HLEN', 'ussd:biz:bykey'), 200, 'name key index');
  assertEq(await countKeys(r, 'ussd:app:???-??-??????-?'), 120, 'applications in Redis');
  assertEq(await countKeys(r, 'ussd:app:*:hist'), 120, 'histories in Redis');
  assertEq(await r.cmd('HLEN', 'ussd:geo:districts'), 30, 'districts');
  assertEq(await r.cmd('LLEN', 'ussd:geo:sectors:Gasabo'), 15, 'Gasabo sectors');
  const bills = Number(/(\d+) bills/.exec(a.out)[1]);
  assertEq(await countKeys(r, 'ussd:bill:*'), bills, 'bills in Redis');
  // every application in every state has a coherent history ending in its status
  const apps = await r.cmd('KEYS', 'ussd:app:???-??-??????-?');
  const sts = await L.redisPipeline(r.port, apps.map((k) => ['HGET', k, 'status']));
  const hists = await L.redisPipeline(r.port, apps.map((k) => ['LRANGE', `${k}:hist`, 0, -1]));
  apps.forEach((k, i) => {
    assert(refValid(k.slice('ussd:app:'.length)), `check digit of ${k}`);
    const h = hists[i].map((j) => JSON.parse(j));
    assert(h.length >= 1 && h[0].status === 'submitted', `${k} history starts submitted`);
    const last = h.filter((e) => !/inspection booked/.test(e.note)).pop();
    assertEq(last.status, sts[i], `${k} history ends in its status`);
    for (let j = 1; j < h.length; j++) assert(h[j].at >= h[j - 1].at, `${k} history in order`);
  });
  // the records to try are there
  const refs = tryRefs(a.out);
  for (const st of ['submitted', 'in_review', 'approved', 'rejected', 'paid', 'completed', 'permit']) {
    assert(refs[st], `a ${st} reference to try:\n${a.out}`);
    assertEq(await r.cmd('EXISTS', `ussd:app:${refs[st]}`), 1, `${refs[st]} exists`);
  }
  const upi = /parcel\s+(\S+)\s+owner .*, ID (\d{16})/.exec(a.out);
  assert(upi, `a parcel to try:\n${a.out}`);
  assertEq(await r.cmd('HGET', `ussd:parcel:${upi[1]}`, 'owner_id'), upi[2], 'parcel owner');
  assertEq(await r.cmd('SISMEMBER', `ussd:owner:${upi[2]}:parcels`, upi[1]), 1, 'owner index');

  const before = await digest(r);
  const b = gw(r, ['seed', '--scale', 'small', '--today', today()]);
  assertEq(b.code, 0, `second run (${b.err})`);
  assertEq(b.out.split('\n').slice(1).join('\n'), a.out.split('\n').slice(1).join('\n'), 'same summary');
  const after = await digest(r);
  assertEq(after.keys, before.keys, 'same number of keys');
  assertEq(after.sha, before.sha, 'same data');
}, 90000);

test('seed resets what a status change did to a seeded application', async () => {
  const { r, refs } = await seeded();
  const before = await digest(r);
  const s = gw(r, ['app', 'status', refs.submitted, 'in_review']);
  assertEq(s.code, 0, s.err);
  await r.cmd('DEL', 'ussd:sms:queue');
  assert((await digest(r)).sha !== before.sha, 'the change is visible');
  assertEq(gw(r, ['seed', '--scale', 'small', '--today', today()]).code, 0);
  assertEq((await digest(r)).sha, before.sha, 'seeded state again');
}, 90000);

test('app status walks the transition table, records history and queues the SMS', async () => {
  const { r, refs } = await seeded();
  const ref = refs.submitted;
  const phone = await r.cmd('HGET', `ussd:app:${ref}`, 'msisdn');
  await r.cmd('SET', `ussd:l:${phone}`, 'fr');
  await r.cmd('DEL', 'ussd:sms:queue');
  const histLen = await r.cmd('LLEN', `ussd:app:${ref}:hist`);

  let s = gw(r, ['app', 'status', ref, 'in_review', '--note', 'dossier complet']);
  assertEq(s.code, 0, `in_review (${s.err})`);
  assert(s.out.includes(`${ref}: submitted -> in_review`), s.out);
  assert(s.out.includes('SMS queued') && s.out.includes('(fr)'), s.out);
  assertEq(await r.cmd('HGET', `ussd:app:${ref}`, 'status'), 'in_review');
  const hist = (await r.cmd('LRANGE', `ussd:app:${ref}:hist`, 0, -1)).map((j) => JSON.parse(j));
  assertEq(hist.length, histLen + 1, 'one history entry more');
  assertEq(hist[hist.length - 1].status, 'in_review');
  assertEq(hist[hist.length - 1].note, 'dossier complet');
  assert(/^\d{4}-\d\d-\d\d \d\d:\d\d$/.test(hist[hist.length - 1].at), hist[hist.length - 1].at);
  const q = await r.cmd('LRANGE', 'ussd:sms:queue', 0, -1);
  assertEq(q.length, 1, 'one SMS queued');
  const sms = JSON.parse(q[0]);
  assertEq(sms.to, phone);
  assertEq(sms.lang, 'fr');
  assert(sms.text.includes(ref) && /examen/.test(sms.text), sms.text);
  assert(Number.isInteger(sms.queued_at) && Math.abs(sms.queued_at - Date.now() / 1000) < 60, `queued_at ${sms.queued_at}`);
  assertEq(Object.keys(sms).sort().join(','), 'lang,queued_at,text,to', 'the dialog\'s SMS record shape');

  // a nonsense transition is refused with what is allowed, and nothing is written
  s = gw(r, ['app', 'status', ref, 'paid']);
  assertEq(s.code, 1, 'refused');
  assert(/cannot go to paid/.test(s.err) && /approved, rejected/.test(s.err), s.err);
  assertEq(await r.cmd('HGET', `ussd:app:${ref}`, 'status'), 'in_review');
  assertEq(await r.cmd('LLEN', 'ussd:sms:queue'), 1, 'no SMS for a refused change');
  s = gw(r, ['app', 'status', ref, 'in_review']);
  assertEq(s.code, 1);
  assert(/already in_review/.test(s.err), s.err);

  // approved (English by default now), paid (bill paid), completed (final)
  await r.cmd('DEL', `ussd:l:${phone}`);
  s = gw(r, ['app', 'status', ref, 'approved']);
  assertEq(s.code, 0, s.err);
  const approved = JSON.parse((await r.cmd('LRANGE', 'ussd:sms:queue', -1, -1))[0]);
  assertEq(approved.lang, 'en');
  const bill = await r.cmd('HGET', `ussd:app:${ref}`, 'bill');
  if (bill) {
    assert(approved.text.includes(bill) && approved.text.includes('*182*'), approved.text);
    s = gw(r, ['app', 'status', ref, 'completed']);
    assertEq(s.code, 1, 'an unpaid bill keeps it from completing');
    assert(/can go to: paid/.test(s.err), s.err);
    s = gw(r, ['app', 'status', ref, 'paid']);
    assertEq(s.code, 0, s.err);
    assertEq(await r.cmd('HGET', `ussd:bill:${bill}`, 'status'), 'paid');
  }
  s = gw(r, ['app', 'status', ref, 'completed']);
  assertEq(s.code, 0, s.err);
  s = gw(r, ['app', 'status', ref, 'rejected']);
  assertEq(s.code, 1);
  assert(/final/.test(s.err), s.err);

  // show: the record and its whole history
  s = gw(r, ['app', 'show', ref]);
  assertEq(s.code, 0, s.err);
  assert(s.out.startsWith(`${ref} `) && /status completed/.test(s.out), s.out);
  for (const st of ['submitted', 'in_review', 'approved', 'completed']) assert(new RegExp(`\\d\\d:\\d\\d  ${st}`).test(s.out), `${st} in:\n${s.out}`);
}, 90000);

test('a reference with a wrong check digit or shape is refused before any lookup', async () => {
  const { r, refs } = await seeded();
  const ref = refs.approved;
  const wrong = ref.slice(0, 14) + String((Number(ref[14]) + 1) % 10);
  let s = gw(r, ['app', 'status', wrong, 'paid']);
  assertEq(s.code, 1);
  assert(/check digit/.test(s.err), s.err);
  // an adjacent transposition of two different digits
  const d = ref.split('');
  let i = 7;
  while (i < 12 && d[i] === d[i + 1]) i++;
  if (i < 12) {
    [d[i], d[i + 1]] = [d[i + 1], d[i]];
    s = gw(r, ['app', 'show', d.join('')]);
    assertEq(s.code, 1, `transposed ${d.join('')}`);
    assert(/check digit/.test(s.err), s.err);
  }
  s = gw(r, ['app', 'show', 'LND-26-12345']);
  assertEq(s.code, 1);
  assert(/expected PFX-YY-NNNNNN-C/.test(s.err), s.err);
  s = gw(r, ['app', 'status', ref, 'archived']);
  assertEq(s.code, 2);
  assert(/unknown status/.test(s.err), s.err);
  // lenient spelling is fine
  s = gw(r, ['app', 'show', ref.toLowerCase().replace(/-/g, ' ')]);
  assertEq(s.code, 0, s.err);
  // a well-formed reference that does not exist
  let seq = 500000;
  let other;
  do { other = `LND-26-${String(seq++).padStart(6, '0')}-0`; } while (!refValid(other));
  s = gw(r, ['app', 'show', other]);
  assertEq(s.code, 1);
  assert(/no application/.test(s.err), s.err);
}, 60000);

test('two processes creating with the same idempotency key get one application', async () => {
  const r = await L.startRedis();
  const phone = '250788000111';
  const args = (key) => ['app', 'create', '--service', 'permit', '--kind', 'construction', '--msisdn', phone,
    '--idem', key, '--detail', 'district=gasabo', '--detail', 'upi=1*02*03*04*567'];
  const runs = await Promise.all(Array.from({ length: 6 }, () => gwAsync(r, args('dialog-7:step-3'))));
  const lines = runs.map((x) => {
    assertEq(x.code, 0, `create (${x.err})`);
    assert(!sanitizerReport(x.err), x.err);
    return x.out.trim();
  });
  const refs = new Set(lines.map((l) => l.split(' ')[0]));
  const bills = new Set(lines.map((l) => l.split(' ')[1]));
  assertEq(refs.size, 1, `one reference: ${lines.join(' | ')}`);
  assertEq(bills.size, 1, 'one bill');
  assertEq(lines.filter((l) => l.endsWith(' created')).length, 1, 'created once');
  const [ref] = [...refs];
  const [bill] = [...bills];
  assert(refValid(ref) && ref.startsWith('BPA-'), ref);
  assert(refValid(bill) && bill.startsWith('BIL-'), bill);
  assertEq(await r.cmd('ZCARD', `ussd:phone:${phone}:apps`), 1, 'one application for the phone');
  assertEq(await countKeys(r, 'ussd:app:???-??-??????-?'), 1, 'one application');
  assertEq(await countKeys(r, 'ussd:bill:*'), 1, 'one bill');
  const yy = ref.slice(4, 6);
  assertEq(await r.cmd('GET', `ussd:seq:BPA:${yy}`), '1', 'one reference taken');
  const app = await r.cmd('HGETALL', `ussd:app:${ref}`);
  const f = {};
  for (let i = 0; i < app.length; i += 2) f[app[i]] = app[i + 1];
  assertEq(f['d.district'], 'Gasabo', 'district made canonical');
  assertEq(f['d.upi'], '1/02/03/04/567', 'UPI made canonical');
  assertEq(f.status, 'submitted');
  assertEq(await r.cmd('HGET', `ussd:bill:${bill}`, 'amount'), '50000');
  assert((await r.cmd('TTL', 'ussd:idem:app:dialog-7:step-3')) > 86400, 'the key is kept for retries');

  // a retry after the "reply was lost": the same answer again
  const again = gw(r, args('dialog-7:step-3'));
  assertEq(again.out.trim(), `${ref} ${bill} existing`);
  // ten keys, each raced by two processes: ten applications
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => gwAsync(r, args(`k${i % 10}`))));
  many.forEach((x) => assertEq(x.code, 0, x.err));
  const distinct = new Set(many.map((x) => x.out.split(' ')[0]));
  assertEq(distinct.size, 10, 'ten references');
  assertEq(await r.cmd('ZCARD', `ussd:phone:${phone}:apps`), 11, 'eleven applications for the phone');
  // the same key from another phone is refused, not answered with someone else's ref
  const other = gw(r, ['app', 'create', '--service', 'permit', '--kind', 'construction', '--msisdn', '250788000999',
    '--idem', 'dialog-7:step-3']);
  assertEq(other.code, 1);
  assert(/idem_conflict/.test(other.err), other.err);
  // bad input is refused with a reason
  const bad = gw(r, ['app', 'create', '--service', 'land', '--kind', 'transfer', '--msisdn', phone, '--idem', 'x',
    '--detail', 'owner_id=1185080012345678']);
  assertEq(bad.code, 1);
  assert(/invalid \(year\)/.test(bad.err), bad.err);
}, 90000);

test('a business registration reserves its name, and completing it registers the business', async () => {
  const { r, out } = await seeded();
  const m = /business\s+(.+) \(reg\. (\d{9})\); "(.+)" is taken by it too/.exec(out);
  assert(m, out);
  let s = gw(r, ['app', 'name', m[1]]);
  assertEq(s.code, 0, s.err);
  assert(s.out.startsWith('taken') && s.out.includes(m[2]), s.out);
  s = gw(r, ['app', 'name', m[3]]);
  assert(s.out.startsWith('taken'), `${m[3]}: ${s.out}`);
  const phone = '250788123456';
  const create = (name, key) => gw(r, ['app', 'create', '--service', 'business', '--kind', 'register', '--msisdn', phone,
    '--idem', key, '--detail', `name=${name}`, '--detail', 'district=Huye', '--detail', 'owner_id=1199880012345678']);
  s = create(m[3].toUpperCase(), 'n1');
  assertEq(s.code, 1);
  assert(/name_taken/.test(s.err), s.err);
  s = create('Inzira Nziza Bakery Ltd', 'n2');
  assertEq(s.code, 0, s.err);
  const ref = s.out.split(' ')[0];
  s = gw(r, ['app', 'name', 'inzira nziza bakery']);
  assert(s.out.startsWith('pending'), s.out);
  s = create('Inzira-Nziza Bakery Limited', 'n3');
  assertEq(s.code, 1);
  assert(/name_pending/.test(s.err), s.err);
  for (const st of ['in_review', 'approved', 'completed']) assertEq(gw(r, ['app', 'status', ref, st]).code, 0, st);
  const regno = await r.cmd('HGET', `ussd:app:${ref}`, 'd.regno');
  assert(/^\d{9}$/.test(regno), `registered: ${regno}`);
  assertEq(await r.cmd('HGET', `ussd:biz:${regno}`, 'name'), 'Inzira Nziza Bakery Ltd');
  assertEq(await r.cmd('HGET', 'ussd:biz:pending', 'inziranzizabakery'), null, 'reservation ended');
  s = gw(r, ['app', 'name', 'Inzira Nziza Bakery']);
  assert(s.out.startsWith('taken') && s.out.includes(regno), s.out);
  assertEq(await r.cmd('SISMEMBER', 'ussd:owner:1199880012345678:biz', regno), 1, 'owner index');
  s = gw(r, ['app', 'name', 'Inzira Nziza Bakeries']);
  assert(s.out.startsWith('similar'), s.out);
}, 90000);

test('an inspection slot is booked by one application only, even when two race for it', async () => {
  const r = await L.startRedis();
  assertEq(gw(r, ['seed', '--scale', 'tiny', '--today', today()]).code, 0);
  const refs = [];
  for (const k of ['p1', 'p2']) {
    const s = gw(r, ['app', 'create', '--service', 'permit', '--kind', 'construction', '--msisdn', '250788555000',
      '--idem', k, '--detail', 'district=Musanze']);
    assertEq(s.code, 0, s.err);
    refs.push(s.out.split(' ')[0]);
  }
  let s = gw(r, ['app', 'book', refs[0], '299901010900-1']);
  assertEq(s.code, 1, 'submitted: not yet');
  assert(/refused \(status\)/.test(s.err), s.err);
  for (const ref of refs) for (const st of ['in_review', 'approved']) assertEq(gw(r, ['app', 'status', ref, st]).code, 0);
  s = gw(r, ['app', 'slots', 'musanze']);
  assertEq(s.code, 0, s.err);
  const slots = s.out.trim().split('\n').map((l) => l.split(/\s+/)[0]);
  assert(slots.length >= 2, `free slots:\n${s.out}`);
  const free0 = await r.cmd('ZCARD', 'ussd:slots:Musanze');
  const race = await Promise.all(refs.map((ref) => gwAsync(r, ['app', 'book', ref, slots[0]])));
  const won = race.filter((x) => x.code === 0);
  assertEq(won.length, 1, `one booking wins: ${race.map((x) => x.out + x.err).join(' | ')}`);
  assert(/slot_taken/.test(race.find((x) => x.code !== 0).err), 'the other is told it is taken');
  assertEq(await r.cmd('ZCARD', 'ussd:slots:Musanze'), free0 - 1);
  const winner = refs[race.indexOf(won[0])];
  assertEq(await r.cmd('HGET', 'ussd:slots:Musanze:booked', slots[0]), winner);
  // booking another slot gives the first one back
  s = gw(r, ['app', 'book', winner, slots[1]]);
  assertEq(s.code, 0, s.err);
  assert(s.out.includes(`gave back ${slots[0]}`), s.out);
  assertEq(await r.cmd('ZCARD', 'ussd:slots:Musanze'), free0 - 1);
  assertEq(await r.cmd('ZSCORE', 'ussd:slots:Musanze', slots[0]) !== null, true, 'first slot free again');
  const hist = (await r.cmd('LRANGE', `ussd:app:${winner}:hist`, 0, -1)).map((j) => JSON.parse(j));
  assert(/inspection booked/.test(hist[hist.length - 1].note), JSON.stringify(hist));
  s = gw(r, ['app', 'book', winner, slots[1]]);
  assertEq(s.code, 0);
  assert(/already booked/.test(s.out), s.out);
  s = gw(r, ['app', 'slots', 'Atlantis']);
  assertEq(s.code, 1);
}, 90000);

test('odd Redis data gives an error, never a crash or a half-written change', async () => {
  const { r, refs } = await seeded();
  const ref = refs.in_review;
  // a history that is not a list: the change is refused before anything is written
  await r.cmd('DEL', `ussd:app:${ref}:hist`);
  await r.cmd('SET', `ussd:app:${ref}:hist`, 'not a list');
  let s = gw(r, ['app', 'status', ref, 'approved']);
  assertEq(s.code, 1, 'refused');
  assertEq(await r.cmd('HGET', `ussd:app:${ref}`, 'status'), 'in_review', 'nothing written');
  s = gw(r, ['app', 'show', ref]);
  assertEq(s.code, 0, `shown without its history (${s.err})`);
  // an application that is not a hash
  const ref2 = refs.approved;
  await r.cmd('DEL', `ussd:app:${ref2}`);
  await r.cmd('RPUSH', `ussd:app:${ref2}`, 'x');
  s = gw(r, ['app', 'show', ref2]);
  assertEq(s.code, 1);
  assert(/cannot read it/.test(s.err), s.err);
  s = gw(r, ['app', 'status', ref2, 'paid']);
  assertEq(s.code, 1);
  // a hash with garbage
  const ref3 = refs.paid;
  await r.cmd('DEL', `ussd:app:${ref3}`);
  await r.cmd('HSET', `ussd:app:${ref3}`, 'status', 'paid', 'bill', 'BIL-99-nonsense');
  s = gw(r, ['app', 'show', ref3]);
  assertEq(s.code, 1, 'a record without its reference is refused');
  // a history entry that is not JSON is skipped
  const ref4 = refs.completed;
  await r.cmd('RPUSH', `ussd:app:${ref4}:hist`, '{not json', '[1,2]');
  s = gw(r, ['app', 'show', ref4]);
  assertEq(s.code, 0, s.err);
  // a language key of the wrong type: the SMS goes out in English
  const ref5 = refs.submitted;
  const phone = await r.cmd('HGET', `ussd:app:${ref5}`, 'msisdn');
  await r.cmd('DEL', `ussd:l:${phone}`);
  await r.cmd('SADD', `ussd:l:${phone}`, 'rw');
  s = gw(r, ['app', 'status', ref5, 'in_review']);
  assertEq(s.code, 0, s.err);
  assert(/\(en\)/.test(s.out), s.out);
  // the name indexes of the wrong type
  await r.cmd('DEL', 'ussd:biz:byname');
  await r.cmd('SET', 'ussd:biz:byname', 'x');
  s = gw(r, ['app', 'name', 'Anything Ltd']);
  assertEq(s.code, 1, 'an error');
  // Redis gone: a clear message
  await r.stop();
  s = gw(r, ['app', 'show', ref4]);
  assertEq(s.code, 1);
  assert(/cannot use Redis/.test(s.err), s.err);
}, 90000);

L.run();
