// sms_in.test.js: SMS from residents to the short code, answered by the keyword rules of
// the shipped menus (menus.d/sms.yaml): the real daemon, node-smpp as the SMSC and the
// run's real Redis. A resident's SMS is a deliver_sm without ussd_service_op; the answer
// comes back through the SMS queue as submit_sm (one or more parts) to the phone.
//
// These tests need the SMS queue (gateway/sms_queue.c) to deliver: until it does, every
// test that waits for an answer fails with "no SMS ... within".
'use strict';
const {
  ROOT, test, run, assert, assertEq, until, sharedRedis, startRedis, Smsc, startGateway, gsmEncode,
  completeSms,
} = require('./lib');
const path = require('path');

const MENUS = path.join(ROOT, 'menus.d');
const SHORT_CODE = '123';

const HELP = {
  en: 'Dial *123# for land, business, building permits, reporting a problem and voting. To follow an application, text STATUS and its reference, e.g. STATUS LND-26-004213-7. Alerts: JOIN WATER GASABO, STOP to stop them.',
  fr: 'Composez *123# pour le foncier, les entreprises, les permis de construire, signaler un problème et voter. Pour suivre une demande, envoyez STATUS et sa référence, ex. STATUS LND-26-004213-7. Alertes : JOIN EAU GASABO, STOP pour les stopper.',
};

// A fresh phone number per test: the shared Redis keeps idempotency keys and languages.
let phoneSeq = 0;
function phone() {
  phoneSeq++;
  return `2507${String(process.pid % 10000).padStart(4, '0')}${String(phoneSeq).padStart(4, '0')}`;
}

// A fresh application reference, shaped like LND-26-004213-7.
function ref(prefix = 'LND') {
  return `${prefix}-26-${String((process.pid * 7 + phoneSeq * 13) % 1000000).padStart(6, '0')}-${phoneSeq % 10}`;
}

// The SMS (not USSD) submits to msisdn, from index `from` on, joined part by part:
// [{text, pdus}], complete messages only.
function smsTo(smsc, msisdn, from = 0) {
  return completeSms(smsc.submits, msisdn, from);
}

// The next complete SMS to msisdn after index `from`.
async function nextSms(smsc, msisdn, from = 0, timeoutMs = 8000) {
  const msgs = await until(() => { const m = smsTo(smsc, msisdn, from); return m.length ? m : null; },
    timeoutMs, `an SMS to ${msisdn}`).catch((e) => { throw new Error(`no SMS to ${msisdn} within ${timeoutMs} ms (${e.message})`); });
  return msgs[0];
}

// A resident's SMS to the short code: a deliver_sm without USSD fields. Resolves with the
// deliver_sm_resp. `sequence` repeats a PDU (a duplicated deliver_sm).
function sendSms(smsc, { msisdn, text, dataCoding = 0, sequence, udh, esm = 0, mr, esme }) {
  const s = esme || smsc.sessions.find((x) => x.bound && !x.unbound);
  if (!s) return Promise.reject(new Error('no bound ESME'));
  let body = dataCoding === 8 ? Buffer.from(text, 'utf16le').swap16() : (gsmEncode(text) || Buffer.from(text, 'latin1'));
  if (udh) body = Buffer.concat([udh, body]);
  const pdu = {
    service_type: '', source_addr_ton: 1, source_addr_npi: 1, source_addr: msisdn,
    dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: SHORT_CODE,
    esm_class: esm | (udh ? 0x40 : 0), data_coding: dataCoding, short_message: body,
  };
  if (sequence) pdu.sequence_number = sequence;
  if (mr !== undefined) pdu.user_message_reference = mr;
  return new Promise((resolve, reject) => {
    const ok = s.deliver_sm(pdu, (resp) => resolve(resp));
    if (!ok) reject(new Error('socket not writable'));
  });
}

async function setup() {
  const redis = sharedRedis() || await startRedis();
  const smsc = new Smsc();
  const port = await smsc.listen();
  const gw = await startGateway({ smscPort: port, redis: redis.addr, menus: MENUS, smsc, name: 'sms-in' });
  return { redis, smsc, gw };
}

// Send one SMS and return the answer's text.
async function ask(env, msisdn, text, extra = {}) {
  const from = env.smsc.submits.length;
  const resp = await sendSms(env.smsc, { msisdn, text, ...extra });
  assertEq(resp.command_status, 0, 'deliver_sm_resp status');
  const m = await nextSms(env.smsc, msisdn, from);
  return m.text;
}

function count(logs, re) {
  return (logs.match(new RegExp(re.source, 'g')) || []).length;
}

test('HELP is answered by SMS with how to use the service', async () => {
  const env = await setup();
  const msisdn = phone();
  const from = env.smsc.submits.length;
  await sendSms(env.smsc, { msisdn, text: 'HELP' });
  const m = await nextSms(env.smsc, msisdn, from);
  assertEq(m.text, HELP.en, 'the help text');
  const p = m.pdus[0];
  assert(p.ussd_service_op === undefined, 'an SMS, not a USSD screen');
  assertEq(p.destination_addr, msisdn, 'to the sender');
  assertEq(p.source_addr, SHORT_CODE, 'from the short code');
  await env.gw.waitLog(/event=sms\.in_answered /);
});

test('STATUS <ref> answers the status of an application stored in Redis', async () => {
  const env = await setup();
  const msisdn = phone();
  const r = ref();
  await env.redis.cmd('HSET', `ussd:app:${r}`, 'status', 'approved', 'service', 'land', 'updated', '2026-11-20');
  const text = await ask(env, msisdn, `STATUS ${r}`);
  assertEq(text, `Application ${r} (land): approved. Last update: 2026-11-20.`, 'the status');
  await env.redis.cmd('DEL', `ussd:app:${r}`);
});

test('STATUS for an unknown reference says so', async () => {
  const env = await setup();
  const msisdn = phone();
  const r = ref('ZZZ');
  const text = await ask(env, msisdn, `STATUS ${r}`);
  assertEq(text, `No application ${r} was found. Check the reference and try again, or dial *123#.`, 'not found');
});

test('keywords are case-insensitive; the reference is looked up in upper case', async () => {
  const env = await setup();
  const msisdn = phone();
  const r = ref('BPA');
  await env.redis.cmd('HSET', `ussd:app:${r}`, 'status', 'in_review', 'service', 'permit', 'updated', '2026-11-21');
  const text = await ask(env, msisdn, `  status ${r.toLowerCase()} `);
  assertEq(text, `Application ${r} (building permit): under review. Last update: 2026-11-21.`, 'lower case');
  assertEq(await ask(env, msisdn, 'Help'), HELP.en, 'Help');
  await env.redis.cmd('DEL', `ussd:app:${r}`);
});

test('a text no rule matches gets the default answer', async () => {
  const env = await setup();
  const msisdn = phone();
  assertEq(await ask(env, msisdn, 'Hello, what is this number?'), HELP.en, 'the default');
  assertEq(await ask(env, msisdn, 'STATUS'), HELP.en, 'STATUS without a reference');
  await env.gw.waitLog(/event=sms\.in .*rule=default/);
});

test("the phone's remembered language picks the answer's language", async () => {
  const env = await setup();
  const msisdn = phone();
  await env.redis.cmd('SET', `ussd:l:${msisdn}`, 'fr');
  assertEq(await ask(env, msisdn, 'HELP'), HELP.fr, 'French help');
  const r = ref();
  await env.redis.cmd('HSET', `ussd:app:${r}`, 'status', 'paid', 'service', 'business', 'updated', '2026-11-22');
  assertEq(await ask(env, msisdn, `STATUS ${r}`), `Demande ${r} (entreprise) : payée. Dernière mise à jour : 2026-11-22.`, 'French status');
  await env.redis.cmd('SET', `ussd:l:${msisdn}`, 'rw');
  const rw = await ask(env, msisdn, `status ${r}`);
  assert(rw.startsWith(`Ubusabe ${r} (ubucuruzi): bwishyuwe.`), `Kinyarwanda status: ${rw}`);
  await env.redis.cmd('DEL', `ussd:app:${r}`, `ussd:l:${msisdn}`);
});

// One SMS sent twice by the SMSC (`copy` makes the second deliver_sm), then a different
// SMS: its answer comes after any second answer to the first would have.
async function resentOnce(env, msisdn, first, copy, what) {
  const from = env.smsc.submits.length;
  const r1 = await sendSms(env.smsc, { msisdn, text: 'HELP', ...first });
  const r2 = await sendSms(env.smsc, { msisdn, text: 'HELP', ...copy });
  assertEq(r1.command_status, 0, 'first deliver_sm_resp');
  assertEq(r2.command_status, 0, 'second deliver_sm_resp');
  await nextSms(env.smsc, msisdn, from);
  const mark = env.smsc.submits.length;
  await sendSms(env.smsc, { msisdn, text: 'Hello' });
  await until(() => smsTo(env.smsc, msisdn, mark).length >= 1, 8000, 'the later answer');
  assertEq(smsTo(env.smsc, msisdn, from).length, 2, `${what}: one answer to the resent SMS, one to the later SMS`);
}

test('a resent deliver_sm is answered once: the same sequence number, a new one, another bind', async () => {
  const env = await setup();
  const seq = 4242 + (process.pid % 1000);
  await resentOnce(env, phone(), { sequence: seq }, { sequence: seq }, 'same sequence_number');
  await resentOnce(env, phone(), {}, {}, 'a new sequence_number (as Net::SMPP resends)');
  // the SMSC lost the first bind and resends on a second gateway's
  const before = env.smsc.sessions.slice();
  await startGateway({ smscPort: env.smsc.port, redis: env.redis.addr, menus: MENUS, smsc: env.smsc, name: 'sms-in2' });
  const other = env.smsc.sessions.find((x) => !before.includes(x));
  assert(other, 'a second ESME');
  await resentOnce(env, phone(), {}, { esme: other }, 'on another bind');
  // the same TP-MR (user_message_reference) is the same message too
  await resentOnce(env, phone(), { mr: 17 }, { mr: 17 }, 'the same TP-MR');
});

test('the same text with another TP-MR is a new message and is answered again', async () => {
  const env = await setup();
  const msisdn = phone();
  const from = env.smsc.submits.length;
  await sendSms(env.smsc, { msisdn, text: 'HELP', mr: 3 });
  await nextSms(env.smsc, msisdn, from);
  await sendSms(env.smsc, { msisdn, text: 'HELP', mr: 4 });
  await until(() => smsTo(env.smsc, msisdn, from).length >= 2, 8000, 'the second answer');
});

test('UCS2 and concatenated inbound SMS are decoded; each part is matched on its own', async () => {
  const env = await setup();
  const msisdn = phone();
  assertEq(await ask(env, msisdn, 'hélp', { dataCoding: 8 }), HELP.en, 'UCS2 text, no rule: the default');
  assertEq(await ask(env, msisdn, 'HELP', { dataCoding: 8 }), HELP.en, 'UCS2 HELP');
  // part 1 of 2 matches HELP; part 2 matches nothing and, not being the first, gets no answer
  const from = env.smsc.submits.length;
  await sendSms(env.smsc, { msisdn, text: 'HELP', udh: Buffer.from([5, 0, 3, 0x33, 2, 1]) });
  await sendSms(env.smsc, { msisdn, text: 'and more', udh: Buffer.from([5, 0, 3, 0x33, 2, 2]) });
  await env.gw.waitLog(/event=sms\.in_part_unmatched .*part=2\/2/);
  const m = await nextSms(env.smsc, msisdn, from);
  assertEq(m.text, HELP.en, 'part 1 answered');
});

test('delivery receipts and acknowledgements are never answered', async () => {
  const env = await setup();
  const msisdn = phone();
  await sendSms(env.smsc, { msisdn, text: 'id:1 sub:001 dlvrd:001 submit date:2611201200 done date:2611201201 stat:DELIVRD err:000 text:x', esm: 0x04 });
  await sendSms(env.smsc, { msisdn, text: 'ack', esm: 0x08 });
  // then a real SMS: its answer is the only one
  const text = await ask(env, msisdn, 'HELP');
  assertEq(text, HELP.en, 'the answer to HELP');
  assertEq(smsTo(env.smsc, msisdn, 0).length, 1, 'nothing answered the receipt or the acknowledgement');
});

run();
