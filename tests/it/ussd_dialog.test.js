// ussd_dialog.test.js: whole USSD dialogs over SMPP, with node-smpp as the SMSC, the real
// daemon and a real Redis: screens, continue/end ops, its_session_info echo and end bit,
// user abort, duplicates, concurrent phones sharing a session number, encodings.
'use strict';
const L = require('./lib');
const { test, assert, assertEq } = L;

async function setup(extra = {}) {
  const redis = L.sharedRedis() || await L.startRedis();
  const smsc = new L.Smsc();
  await smsc.listen();
  const gw = await L.startGateway({ smscPort: smsc.port, redis: redis.addr, smsc, ...extra });
  return { redis, smsc, gw };
}

// numbers unique to this run: the Redis may be shared with other test files
let phone = 250781000000 + (process.pid % 1000) * 1000;
const nextPhone = () => String(++phone);

test('a whole dialog: dial, menu, input, confirm, end with SMS queued', async () => {
  const { smsc, redis } = await setup();
  const p = nextPhone();
  let r = await smsc.dial(p, '*123#', 7);
  assert(r.text.startsWith('Test services\n1. Enter a name'), `first screen: ${r.text}`);
  assertEq(r.ussd_service_op, 2, 'continue op');
  assertEq(r.session, 7, 'its_session_info session echoed');
  assertEq(r.end, false, 'end bit clear');
  assertEq(r.service_type, 'USSD', 'service_type');
  r = await smsc.answer(p, '1', 7, 1);
  assertEq(r.text, 'Your name?\n0 Back', 'prompt');
  r = await smsc.answer(p, 'Alice', 7, 2);
  assert(r.text.startsWith('Hello Alice. Confirm?'), r.text);
  r = await smsc.answer(p, '1', 7, 3);
  assertEq(r.text, 'Thank you Alice. Reference REF-Alice.', 'final');
  assertEq(r.ussd_service_op, 17, 'end op');
  assertEq(r.end, true, 'end bit set on the final screen');
  const q = await L.smsFor(redis, p);
  assertEq(q.length, 1, 'one SMS queued');
  assert(q[0].includes('REF-Alice'), q[0]);
});

test('invalid input re-prompts with the validator error', async () => {
  const { smsc } = await setup();
  const p = nextPhone();
  await smsc.dial(p, '*123#', 3);
  await smsc.answer(p, '1', 3, 1);
  const r = await smsc.answer(p, '12345', 3, 2);
  assertEq(r.text, 'Letters only, please.\nYour name?\n0 Back', 'error above prompt');
  assertEq(r.ussd_service_op, 2, 'still continuing');
});

test('paginated districts with More and Back, numbering continues', async () => {
  const { smsc } = await setup();
  const p = nextPhone();
  await smsc.dial(p, '*123#', 9);
  let r = await smsc.answer(p, '2', 9, 1);
  assert(/98 More$/.test(r.text) && r.text.includes('1. Bugesera'), r.text);
  r = await smsc.answer(p, '98', 9, 2);
  assert(/^14\. /m.test(r.text) && r.text.includes('0 Back'), `page 2: ${r.text}`);
  r = await smsc.answer(p, '30', 9, 3);
  assertEq(r.text, 'District Rwamagana.', 'choice from a later page');
});

test('user abort closes the session and nothing is sent', async () => {
  const { smsc, redis } = await setup();
  const p = nextPhone();
  await smsc.dial(p, '*123#', 11);
  const before = smsc.submits.length;
  const resp = await smsc.deliver({ msisdn: p, text: '', op: 18, session: 11, seq: 1, end: true });
  assertEq(resp.command_status, 0, 'deliver_sm_resp ok');
  // the abort is applied when the stored session shows it ended; a later answer is dropped
  const key = `ussd:s:smpp.default:${p}:11`;
  await L.until(async () => {
    const v = await redis.cmd('GET', key);
    return v && v.split('|')[1].split('\x1e')[4] === '1';
  }, 5000, 'session ended');
  await smsc.deliver({ msisdn: p, text: '1', op: 18, session: 11, seq: 2 });
  // a marker dialog proves the gateway went on serving and sent nothing for the aborted one
  const q = nextPhone();
  await smsc.dial(q, '*123#', 12);
  assertEq(smsc.submits.slice(before).filter((s) => s.destination_addr === p).length, 0, 'nothing sent to the aborted phone');
});
test('a duplicated deliver_sm is applied once', async () => {
  const { smsc } = await setup();
  const p = nextPhone();
  await smsc.dial(p, '*123#', 13);
  const from = smsc.submits.length;
  await Promise.all([
    smsc.deliver({ msisdn: p, text: '1', op: 18, session: 13, seq: 1 }),
    smsc.deliver({ msisdn: p, text: '1', op: 18, session: 13, seq: 1 }),
  ]);
  await smsc.nextSubmit((s) => s.destination_addr === p, from);
  // the next real step shows the input prompt was reached once, not the menu choice twice
  const r = await smsc.answer(p, 'Bob', 13, 2);
  assert(r.text.startsWith('Hello Bob'), r.text);
  assertEq(smsc.submits.slice(from).filter((s) => s.destination_addr === p).length, 2, 'one reply per distinct step');
});

test('concurrent phones sharing a session number keep separate dialogs', async () => {
  const { smsc } = await setup();
  const phones = Array.from({ length: 20 }, nextPhone);
  await Promise.all(phones.map((p) => smsc.dial(p, '*123#', 42)));
  const rs = await Promise.all(phones.map((p, i) => smsc.answer(p, i % 2 ? '1' : '2', 42, 1)));
  rs.forEach((r, i) => {
    assertEq(r.destination_addr, phones[i], 'reply to the right phone');
    assert(i % 2 ? r.text.startsWith('Your name?') : r.text.startsWith('Choose your district'), r.text);
  });
});

test('UCS2 screen when a character needs it', async () => {
  const { smsc } = await setup();
  const p = nextPhone();
  await smsc.dial(p, '*123#', 15);
  const r = await smsc.answer(p, '5', 15, 1);
  assertEq(r.data_coding, 8, 'UCS2 data_coding');
  assertEq(r.text, 'Ндабазиня ✓ Murakoze', 'text');
});

test('a shortcut dial and a dial with chained answers', async () => {
  const { smsc } = await setup();
  const p = nextPhone();
  let r = await smsc.dial(p, '*123*1#', 16);
  assertEq(r.text, 'Your name?\n0 Back', 'chained *123*1# reaches the input');
  const q = nextPhone();
  r = await smsc.dial(q, '*123*2*30#', 17);
  assertEq(r.text, 'District Rwamagana.', 'two chained answers');
  assertEq(r.end, true, 'end');
});

test('an answer to an unknown session ends politely', async () => {
  const { smsc } = await setup();
  const p = nextPhone();
  const r = await smsc.answer(p, '1', 99, 3);
  assertEq(r.ussd_service_op, 17, 'end');
  assertEq(r.text, 'This session has ended. Please dial again.', 'the expired-session text');
});

L.run();
