// phone_sim.test.js: ussd-phone on the wire, without the gateway. node-smpp binds to it as
// the ESME, answers every deliver_sm with deliver_sm_resp and a submit_sm screen (op 2,
// echoing its_session_info / user_message_reference), and records what the phone sent:
// the dialects (--its-seq, --session-id, --answer-op), /resend, /resend new, /drop, and
// --resend in load mode.
'use strict';
const L = require('./lib');
const path = require('path');
const { spawn } = require('child_process');
const { test, assert, assertEq, until, defer, postCheck, smpp } = L;

const USSD_PHONE = process.env.USSD_PHONE || path.join(L.ROOT, 'ussd-phone');
let phoneNo = 0;

// ussd-phone with stdin piped, listening on a free port (read from its stderr).
async function phoneUp(args) {
  phoneNo++;
  const msisdn = `25078${String(process.pid % 10000).padStart(4, '0')}${String(phoneNo).padStart(3, '0')}`;
  const argv = ['--listen', '127.0.0.1:0', '--enquire-link', '0', '--timeout', '5', ...args];
  if (!args.includes('--load')) argv.push('--msisdn', msisdn);
  const proc = spawn(USSD_PHONE, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  const ph = {
    proc, msisdn, out: '', err: '', code: null,
    write(lines) { proc.stdin.write(lines.map((x) => `${x}\n`).join('')); },
    end() { proc.stdin.end(); },
    waitErr(re, ms = 8000) { return until(() => re.exec(ph.err), ms, `ussd-phone stderr ${re}`); },
    waitOut(re, ms = 8000) { return until(() => re.exec(ph.out), ms, `ussd-phone stdout ${re}`); },
  };
  ph.exited = new Promise((res) => proc.on('exit', (code, sig) => { ph.code = code; ph.signal = sig; res(code); }));
  proc.stdin.on('error', () => {});
  proc.stdout.on('data', (d) => { ph.out += d; });
  proc.stderr.on('data', (d) => { ph.err += d; });
  defer(async () => {
    if (ph.code === null && !ph.signal) { proc.kill('SIGKILL'); await ph.exited; }
  });
  postCheck(() => {
    const m = /(AddressSanitizer|runtime error:|LeakSanitizer)[^\n]*/.exec(ph.err);
    if (m) throw new Error(`sanitizer report from ussd-phone: ${m[0]}`);
  });
  const m = await ph.waitErr(/listening on 127\.0\.0\.1:(\d+)\n/, 5000);
  ph.port = Number(m[1]);
  return ph;
}

function gsm(text) {
  return L.gsmEncode(text) || Buffer.from(text, 'latin1');
}

// An ESME bound to the phone. reply(d) gives the screen for a deliver_sm ({text, op}) or
// null for none; every deliver_sm gets its deliver_sm_resp first.
class Esme {
  constructor(port, reply = (d) => ({ text: `You sent ${d.text}`, op: 2 })) {
    this.port = port;
    this.reply = reply;
    this.delivers = [];
    this.closed = false;
  }

  async bind() {
    const s = smpp.connect({ url: `smpp://127.0.0.1:${this.port}` });
    this.session = s;
    s.on('error', () => {});
    s.on('close', () => { this.closed = true; });
    s.on('enquire_link', (pdu) => s.send(pdu.response()));
    s.on('unbind', (pdu) => { s.send(pdu.response()); s.close(); });
    s.on('deliver_sm', (pdu) => this._deliver(pdu));
    await new Promise((res) => s.on('connect', res));
    const resp = await new Promise((res) => s.bind_transceiver({ system_id: 'simtest', password: 'pw' }, res));
    assertEq(resp.command_status, 0, 'bind_transceiver_resp status');
    defer(() => { try { s.socket.destroy(); } catch (e) { /* gone */ } });
    return this;
  }

  _deliver(pdu) {
    const its = pdu.its_session_info || null;
    const d = {
      seq: pdu.sequence_number, op: pdu.ussd_service_op, text: L.decodeText(pdu), its,
      session: its ? its[0] : null, itsSeq: its ? its[1] >> 1 : null, end: its ? (its[1] & 1) === 1 : null,
      umr: pdu.user_message_reference, from: pdu.source_addr, to: pdu.destination_addr, pdu,
    };
    this.delivers.push(d);
    this.session.send(pdu.response());
    const r = d.op === undefined ? null : this.reply(d);
    if (!r) return;
    const sub = {
      service_type: 'USSD', source_addr: pdu.destination_addr, destination_addr: pdu.source_addr,
      dest_addr_ton: 1, dest_addr_npi: 1, data_coding: 0x0F, short_message: gsm(r.text), ussd_service_op: r.op,
    };
    if (its) sub.its_session_info = Buffer.from([its[0], its[1] & 0xFE]);
    if (pdu.user_message_reference !== undefined) sub.user_message_reference = pdu.user_message_reference;
    this.session.submit_sm(sub, () => {});
  }

  got(n, ms = 8000) {
    return until(() => this.delivers.length >= n && this.delivers, ms, `${n} deliver_sm`);
  }
}

async function finished(ph, ms = 10000) {
  ph.end();
  await until(() => ph.code !== null || ph.signal, ms, 'ussd-phone to exit');
  assertEq(ph.code, 0, `exit status; stdout:\n${ph.out}\nstderr:\n${ph.err}`);
}

function count(s, needle) {
  return s.split(needle).length - 1;
}

// ---- the dialects --------------------------------------------------------------------
test('default: its_session_info counts the steps; a dial is op 1, answers op 18', async () => {
  const ph = await phoneUp([]);
  const e = await new Esme(ph.port).bind();
  ph.write(['*123#', '1', '2']);
  const d = await e.got(3);
  assertEq(d.map((x) => x.op).join(','), '1,18,18', 'ops');
  assertEq(d.map((x) => x.text).join(','), '*123#,1,2', 'texts');
  assert(d.every((x) => x.its && x.its.length === 2 && x.session === d[0].session), 'one session number');
  assertEq(d.map((x) => x.itsSeq).join(','), '0,1,2', 'octet 2 counts');
  assert(d.every((x) => x.end === false && x.umr === undefined), 'no end bit, no umr');
  assertEq(d[0].to, '123', 'destination_addr = service code');
  assertEq(d[0].from, ph.msisdn, 'source_addr = MSISDN');
  await ph.waitOut(/You sent 2/);
  await finished(ph);
});

test('--its-seq zero: octet 2 stays 0; /abort still sets the end bit', async () => {
  const ph = await phoneUp(['--its-seq', 'zero']);
  const e = await new Esme(ph.port).bind();
  ph.write(['*123#', '1', '1', '/abort']);
  const d = await e.got(4);
  assertEq(d.map((x) => x.op).join(','), '1,18,18,18', 'ops');
  assert(d.every((x) => x.its && x.session === d[0].session), 'its_session_info with one session number');
  assertEq(d.map((x) => x.its[1]).join(','), '0,0,0,1', 'octet 2: sequence 0, end bit on the abort');
  await ph.waitOut(/\[dialog aborted\]/);
  assertEq(count(ph.out, 'You sent 1'), 2, 'both answers "1" got their screen');
  await finished(ph);
});

test('--session-id none: no its_session_info; replies without one are matched by the MSISDN', async () => {
  const ph = await phoneUp(['--session-id', 'none']);
  const e = await new Esme(ph.port).bind();
  ph.write(['*123#', '1', '1']);
  const d = await e.got(3);
  assert(d.every((x) => x.its === null && x.umr === undefined), 'no session id at all');
  assertEq(d.map((x) => x.op).join(','), '1,18,18', 'ops');
  await ph.waitOut(/You sent 1[^]*You sent 1/);
  assert(!/outside a dialog|no answer/.test(ph.out), JSON.stringify(ph.out));
  await finished(ph);
});

test('--session-id umr: user_message_reference carries the dialog number, no its_session_info', async () => {
  const ph = await phoneUp(['--session-id', 'umr']);
  const e = await new Esme(ph.port, (d) => ({ text: `You sent ${d.text}`, op: d.text === '2' ? 17 : 2 })).bind();
  ph.write(['*123#', '1', '2', '#100#']);
  const d = await e.got(4);
  assert(d.every((x) => x.its === null && typeof x.umr === 'number'), 'umr only');
  assert(d[1].umr === d[0].umr && d[2].umr === d[0].umr, 'one dialog, one umr');
  assert(d[3].umr !== d[0].umr, 'a new dialog, a new umr');
  assertEq(d[3].op, 1, 'the second dial');
  await ph.waitOut(/You sent #100#/);
  assert(!/outside a dialog|no answer/.test(ph.out), JSON.stringify(ph.out));
  await finished(ph);
});

test('--answer-op 1: answers go with the begin op', async () => {
  const ph = await phoneUp(['--answer-op', '1']);
  const e = await new Esme(ph.port).bind();
  ph.write(['*123#', '1', '2']);
  const d = await e.got(3);
  assertEq(d.map((x) => x.op).join(','), '1,1,1', 'ops');
  assertEq(d.map((x) => x.itsSeq).join(','), '0,1,2', 'octet 2 still counts');
  await ph.waitOut(/You sent 2/);
  await finished(ph);
});

// ---- /resend and /drop -----------------------------------------------------------------
test('/resend: same sequence number on the same ESME; /resend new: a fresh one; a second screen is fine', async () => {
  const ph = await phoneUp([]);
  const e = await new Esme(ph.port).bind();
  ph.write(['*123#', '1', '/resend', '/resend new', '2']);
  const d = await e.got(5);
  const [dial, ans, same, fresh, next] = d;
  assertEq(ans.text, '1', 'the answer');
  for (const c of [same, fresh]) {
    assertEq(c.text, '1', 'a copy of the answer');
    assertEq(c.op, ans.op, 'same op');
    assertEq(c.its.toString('hex'), ans.its.toString('hex'), 'same its_session_info');
  }
  assertEq(same.seq, ans.seq, '/resend: the same sequence_number');
  assert(fresh.seq !== ans.seq && fresh.seq > ans.seq, `/resend new: a fresh sequence_number (${fresh.seq} after ${ans.seq})`);
  assert(dial.seq < ans.seq, 'sequence numbers grow');
  assertEq(next.text, '2', 'the script goes on');
  assertEq(next.itsSeq, 2, 'the next answer is step 2');
  await ph.waitOut(/You sent 2/);
  assertEq(count(ph.out, 'You sent 1'), 3, 'the screen, then once more per copy');
  assert(!/outside a dialog|no answer/.test(ph.out), JSON.stringify(ph.out));
  await finished(ph);
});

test('/drop closes the ESME connection; /resend new goes out on the new bind; no screen for it is no error', async () => {
  const ph = await phoneUp([]);
  const e1 = await new Esme(ph.port).bind();
  await ph.waitErr(/bound system_id=simtest type=transceiver esme=1 /);
  ph.write(['*123#', '1', '/drop', '/resend new', '2']);
  await until(() => e1.closed, 8000, 'the first ESME connection closed');
  await ph.waitErr(/unbound system_id=simtest esme=1 reason=dropped/);
  assertEq(e1.delivers.length, 2, 'dial and answer on the first bind');
  // the centre resends on the new bind; this "gateway" shows nothing for the copy
  let copies = 0;
  const e2 = await new Esme(ph.port, (d) => (d.text === '1' && ++copies ? null : { text: `You sent ${d.text}`, op: 2 })).bind();
  await ph.waitErr(/bound system_id=simtest type=transceiver esme=2 /);
  const d = await e2.got(2);
  assertEq(d[0].text, '1', 'the copy of the answer');
  assertEq(d[0].its.toString('hex'), e1.delivers[1].its.toString('hex'), 'same its_session_info');
  assertEq(d[1].text, '2', 'then the next answer');
  await ph.waitOut(/You sent 2/);
  assert(!/no answer from the gateway/.test(ph.out), JSON.stringify(ph.out));
  await finished(ph);
});

// ---- load mode ---------------------------------------------------------------------------
test('load --resend 0.5 --resend-mode same: copies reuse the sequence number; resends and extra_screens counted', async () => {
  const ph = await phoneUp(['--load', '3', '--dial', '*123#', '--answers', '1,1', '--dialogs', '30',
    '--resend', '0.5', '--resend-mode', 'same', '--seed', '7', '--wait-bind', '10']);
  const e = await new Esme(ph.port).bind();
  await until(() => ph.code !== null, 15000, 'the load to finish');
  const kv = Object.fromEntries(ph.out.trim().split('\n').map((l) => l.split('=')));
  assertEq(ph.code, 0, `exit status; report:\n${ph.out}\nstderr:\n${ph.err}`);
  assertEq(kv.errors, '0', 'errors');
  assertEq(kv.dialogs, '30', 'dialogs');
  assertEq(kv.steps, '90', 'steps: 3 per dialog, a copy\'s screen is not one');
  const resends = Number(kv.resends);
  assert(resends > 15 && resends < 75, `about half the 90 steps resent: ${resends}`);
  // on the wire: each copy right after its first, under the same sequence number
  const seen = new Map();
  let same = 0;
  for (const x of e.delivers) {
    if (seen.has(x.seq)) {
      const first = seen.get(x.seq);
      assertEq(x.text, first.text, 'a copy has the same text');
      assertEq(x.its.toString('hex'), first.its.toString('hex'), 'a copy has the same its_session_info');
      same++;
    } else {
      seen.set(x.seq, x);
    }
  }
  assertEq(same, resends, 'same-sequence copies on the wire');
  assertEq(e.delivers.length, 90 + resends, 'deliver_sm in all');
  // every copy gets its identical screen, counted apart; the run may end just before the
  // last one arrives
  const extra = Number(kv.extra_screens);
  assert(extra <= resends && extra >= resends - 1, `extra_screens ${extra} for ${resends} copies`);
  assertEq(kv.unexpected, '0', 'unexpected');
});

L.run();
