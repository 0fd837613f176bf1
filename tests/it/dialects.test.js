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
// its response, is applied once (the random walks are in dialects_walk.test.js). And the
// same answer twice over HTTP (Africa's Talking and Hubtel).
'use strict';
const L = require('./lib');
const { test, assert, assertEq, until } = L;
const D = require('./dialects_lib');
const { MENUS, PROFILES, READING_MS, nextPhone, redisSeeded, setup, Dialog, tryScreens } = D;

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
