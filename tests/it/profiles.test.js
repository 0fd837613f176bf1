// profiles.test.js: the USSD dialects of real centres, one per link profile: session
// keyed on the MSISDN alone with answers sent as op 1 and the dial in destination_addr
// (some Huawei centres), user_message_reference keys with data_sm replies and a 160-character
// screen, custom end ops and data_coding 0. Each walks a whole dialog over node-smpp.
'use strict';
const L = require('./lib');
const { test, assert, assertEq } = L;

let phone = 250782000000 + (process.pid % 1000) * 1000;
const nextPhone = () => String(++phone);

async function setup(profile) {
  const redis = L.sharedRedis() || await L.startRedis();
  const smsc = new L.Smsc();
  await smsc.listen();
  const config = `[link op]\nsmsc = 127.0.0.1:${smsc.port}\n${profile}\n`;
  const gw = await L.startGateway({ redis: redis.addr, smsc, config });
  return { redis, smsc, gw };
}

// A deliver_sm without its_session_info; extra fields as the profile needs.
function step(smsc, msisdn, text, op, extra = {}) {
  return smsc.step({ msisdn, text, op, session: 0, extra: { its_session_info: undefined, ...extra } });
}

test('MSISDN-keyed centre: answers as op 1, dial in destination_addr, end op 32, data_coding 0', async () => {
  const { smsc } = await setup('session_key = msisdn\nop_answer = 1\ndial_in = destination_addr\nop_end = 32\ncoding_gsm = 0');
  const p = nextPhone();
  let r = await step(smsc, p, '', 1, { destination_addr: '*123#' });
  assert(r.text.startsWith('Test services\n1. Enter a name'), `first screen: ${r.text}`);
  assertEq(r.ussd_service_op, 2, 'continue');
  assertEq(r.data_coding, 0, 'data_coding 0 for GSM');
  assertEq(r.its_session_info, undefined, 'no its_session_info invented');
  assertEq(r.source_addr, '*123#', 'the service code as source');
  r = await step(smsc, p, '1', 1);
  assertEq(r.text, 'Your name?\n0 Back', 'an answer sent as op 1 answers');
  r = await step(smsc, p, 'Alice', 1);
  assert(r.text.startsWith('Hello Alice. Confirm?'), r.text);
  r = await step(smsc, p, '1', 1);
  assertEq(r.text, 'Thank you Alice. Reference REF-Alice.', 'final');
  assertEq(r.ussd_service_op, 32, 'the profile\'s end op');
  // a new dial from the same phone starts again (no session id to tell dialogs apart)
  r = await step(smsc, p, '', 1, { destination_addr: '*123#' });
  assert(r.text.startsWith('Test services'), `a new dialog: ${r.text}`);
  // a bare service code in destination_addr is dialled as *code#
  const q = nextPhone();
  r = await step(smsc, q, '', 1, { destination_addr: '123' });
  assert(r.text.startsWith('Test services'), `bare code: ${r.text}`);
});

test('user_message_reference keys, data_sm replies, a 160-character screen', async () => {
  const { smsc } = await setup('session_key = user_message_reference\nsubmit = data_sm\nscreen_limit = 160\nresend_window_ms = 200');
  const p = nextPhone();
  let r = await step(smsc, p, '*123#', 1, { user_message_reference: 4321 });
  assertEq(r.command, 'data_sm', 'replies as data_sm');
  assertEq(r.user_message_reference, 4321, 'user_message_reference echoed');
  assert(r.text.startsWith('Test services'), r.text);
  // another dialog of the same phone with another reference stays apart
  const r2 = await step(smsc, p, '*123#', 1, { user_message_reference: 99 });
  assertEq(r2.user_message_reference, 99, 'second dialog');
  r = await step(smsc, p, '2', 18, { user_message_reference: 4321 });
  const pages = [r.text];
  for (let i = 0; i < 3 && /98 More$/.test(r.text); i++) {
    // nothing but the time since its screen tells "98" again from a resent "98" here: a
    // resident reads the page first (resend_window_ms)
    if (i > 0) await L.readingPause(250);
    r = await step(smsc, p, '98', 18, { user_message_reference: 4321 });
    pages.push(r.text);
  }
  for (const pg of pages) assert(L.gsmEncode(pg).length <= 160, `page within 160: ${pg.length}`);
  const all = pages.join('\n');
  for (const d of ['1. Bugesera', '30. Rwamagana']) assert(all.includes(d), `${d} listed`);
  r = await step(smsc, p, '1', 18, { user_message_reference: 99 });
  assertEq(r.text, 'Your name?\n0 Back', 'the other dialog went on separately');
});

test('a -t check refuses a profile whose continue and end ops are equal', async () => {
  const { spawnSync } = require('child_process');
  const fs = require('fs');
  const path = require('path');
  const f = path.join(L.TMP, 'bad-profile.conf');
  fs.writeFileSync(f, '[link op]\nop_continue = 2\nop_end = 2\nsession_key = imsi\n');
  const r = spawnSync(L.USSDGW, ['-t', '-c', f, '--menus', 'tests/it/menus'], { encoding: 'utf8', cwd: L.ROOT });
  assertEq(r.status, 1, 'exit code');
  assert(/session_key must be its_session_info, user_message_reference or msisdn/.test(r.stderr), r.stderr);
  assert(/op_continue and op_end are equal/.test(r.stderr), r.stderr);
});

L.run();
