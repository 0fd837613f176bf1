// phone_sim.test.js: ussd-phone on the wire, without the gateway. node-smpp binds to it as
// the ESME, answers every deliver_sm with deliver_sm_resp and a submit_sm screen (op 2,
// echoing its_session_info / user_message_reference), and records what the phone sent:
// the dialects (--its-seq, --session-id, --answer-op), the prompt commands (/resend,
// /resend new, /drop, /abort, /msisdn, /sms, /throttle, /help, /quit, mistakes), and the
// load mode: its report, the phones' numbers and sessions, --resend in both modes,
// --think, an open loop, and timeouts, refusals, stray screens and SMS counted.
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
// respStatus(d) gives the deliver_sm_resp's command_status (0 when not given); a refused
// deliver_sm gets no screen. reply(d) may also name an SMS to send with the screen
// ({text, op, sms}). screenAt[i] is when the i-th screen went out.
class Esme {
  constructor(port, reply = (d) => ({ text: `You sent ${d.text}`, op: 2 }), respStatus = null) {
    this.port = port;
    this.reply = reply;
    this.respStatus = respStatus;
    this.delivers = [];
    this.screenAt = [];
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
    d.at = Date.now();
    this.delivers.push(d);
    const st = this.respStatus ? this.respStatus(d) : 0;
    this.session.send(pdu.response(st ? { command_status: st } : {}));
    const r = st || d.op === undefined ? null : this.reply(d);
    if (!r) return;
    if (r.sms) this.submit({ source_addr: '123', destination_addr: pdu.source_addr, short_message: gsm(r.sms) });
    const sub = {
      service_type: 'USSD', source_addr: pdu.destination_addr, destination_addr: pdu.source_addr,
      dest_addr_ton: 1, dest_addr_npi: 1, data_coding: 0x0F, short_message: gsm(r.text), ussd_service_op: r.op,
    };
    if (its) sub.its_session_info = Buffer.from([its[0], its[1] & 0xFE]);
    if (pdu.user_message_reference !== undefined) sub.user_message_reference = pdu.user_message_reference;
    this.screenAt.push(Date.now());
    this.session.submit_sm(sub, () => {});
  }

  // A submit_sm of our own; resolves with its response.
  submit(fields) {
    return new Promise((res) => this.session.submit_sm({ data_coding: 0, ...fields }, res));
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

const REPORT_KEYS = ['steps', 'dialogs', 'errors', 'elapsed_s', 'steps_per_s', 'dialogs_per_s', 'p50_ms', 'p95_ms',
  'p99_ms', 'max_ms', 'timeouts', 'unexpected', 'rejected', 'send_failures', 'late', 'resends', 'extra_screens',
  'failed_dialogs', 'abandoned_dialogs', 'sms', 'phones', 'esmes', 'mode'];

// The load report, every key in the README's order (rate and missed after mode in an
// open loop); its values as strings.
function report(ph, open = false) {
  const lines = ph.out.trim().split('\n');
  const keys = lines.map((l) => l.split('=')[0]);
  assertEq(keys.join(','), [...REPORT_KEYS, ...(open ? ['rate', 'missed'] : [])].join(','), `report keys:\n${ph.out}`);
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
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

// ---- the other prompt commands -------------------------------------------------------------
test('prompt: /help, /msisdn, /sms, an SMS from the gateway, /abort, mistakes told, /quit unbinds', async () => {
  const ph = await phoneUp(['--sms-to', '8080']);
  const e = await new Esme(ph.port, (d) => ({ text: `You sent ${d.text}`, op: 2, sms: d.text === '*123#' ? 'Ref LND-1' : null })).bind();
  ph.write(['/resend', '/abort', '/help', '/bogus', '/msisdn 25x', '/msisdn 250788000777', '/sms', '/sms Hello there',
    '*123#', '/msisdn 250788000778', '/abort', 'ok?', '/quit']);
  await until(() => ph.code !== null, 10000, 'ussd-phone to leave at /quit');
  assertEq(ph.code, 0, `exit status; stdout:\n${ph.out}\nstderr:\n${ph.err}`);
  for (const line of ['[nothing sent yet]', '[no dialog to abort]', '[unknown command /bogus: /help lists them]',
    '[usage: /msisdn NUMBER (digits)]', '[phone is now 250788000777]', '[usage: /sms TEXT]', '[SMS sent to 8080]',
    'SMS to 250788000777: Ref LND-1', '[finish or /abort the dialog first]', '[dialog aborted]']) {
    assertEq(count(ph.out, `${line}\n`), 1, `${line} in:\n${ph.out}`);
  }
  for (const cmd of ['/abort', '/resend', '/resend new', '/drop', '/throttle N', '/msisdn NUMBER', '/sms TEXT', '/help', '/quit']) {
    assert(new RegExp(`^  ${cmd.replace(/\//g, '\\/')} `, 'm').test(ph.out), `/help lists ${cmd}:\n${ph.out}`);
  }
  const [sms, dial, abort] = e.delivers;
  assertEq(e.delivers.length, 3, 'the SMS, the dial, the abort');
  assertEq(sms.op, undefined, 'an SMS has no ussd_service_op');
  assertEq(sms.from, '250788000777', '/msisdn switched the phone');
  assertEq(sms.to, '8080', '--sms-to');
  assertEq(sms.text, 'Hello there', 'SMS text');
  assertEq(sms.pdu.data_coding, 0, 'an SMS in the default alphabet');
  assertEq(dial.from, '250788000777', 'the dial from the new number');
  assertEq(abort.from, '250788000777', '/msisdn was refused inside the dialog');
  assertEq(abort.op, 18, '--abort-op');
  assert(abort.end === true && abort.session === dial.session, 'the abort ends the dialog\'s session');
  // the answer typed after the abort is a dial attempt: not a dial string
  assert(/\[not a dial string: /.test(ph.out), ph.out);
  await until(() => e.closed, 5000, '/quit unbinds and closes the ESME');
});

test('/throttle N: the next N submit_sm get ESME_RTHROTTLED and are not shown; then they are taken', async () => {
  const ph = await phoneUp([]);
  const e = await new Esme(ph.port).bind();
  const sms = (text) => e.submit({ source_addr: '123', destination_addr: ph.msisdn, short_message: gsm(text) });
  ph.write(['/throttle x', '/throttle 2']);
  await ph.waitOut(/\[the next 2 submit_sm\/data_sm answered ESME_RTHROTTLED\]\n/);
  assert(ph.out.includes('[usage: /throttle N (0 to stop)]\n'), ph.out);
  const st = [];
  for (const t of ['one', 'two', 'three']) st.push((await sms(t)).command_status);
  assertEq(st.join(','), `${smpp.ESME_RTHROTTLED},${smpp.ESME_RTHROTTLED},0`, 'two throttled, then taken');
  await ph.waitOut(/SMS to \d+: three\n/);
  assert(!/SMS to \d+: (one|two)\n/.test(ph.out), `throttled messages are not shown:\n${ph.out}`);
  assertEq(count(ph.err, ' throttled ('), 2, `logged: ${ph.err}`);
  assert(ph.err.includes('throttled (0 more to throttle)'), ph.err);
  // /throttle 0 ends it early
  ph.write(['/throttle 5', '/throttle 0']);
  await ph.waitOut(/\[the next 0 submit_sm\/data_sm answered ESME_RTHROTTLED\]\n/);
  assertEq((await sms('four')).command_status, 0, 'taken after /throttle 0');
  await ph.waitOut(/SMS to \d+: four\n/);
  await finished(ph);
});

// ---- load mode: the report, the phones, the counters --------------------------------------
test('load, closed loop: the report in order, one screen per step, each phone its number and sessions', async () => {
  const ph = await phoneUp(['--load', '4', '--dial', '*123*4#', '--answers', '1,2', '--dialogs', '12', '--wait-bind', '10']);
  const e = await new Esme(ph.port).bind();
  await until(() => ph.code !== null, 15000, 'the load to finish');
  assertEq(ph.code, 0, `exit status; report:\n${ph.out}\nstderr:\n${ph.err}`);
  const kv = report(ph);
  for (const [k, v] of Object.entries({ steps: '36', dialogs: '12', errors: '0', timeouts: '0', unexpected: '0', rejected: '0',
    send_failures: '0', resends: '0', extra_screens: '0', failed_dialogs: '0', abandoned_dialogs: '0', sms: '0',
    phones: '4', esmes: '1', mode: 'closed' })) assertEq(kv[k], v, k);
  for (const k of ['p50_ms', 'p95_ms', 'p99_ms', 'max_ms']) assert(Number(kv[k]) > 0, `${k}=${kv[k]}`);
  assert(Number(kv.p50_ms) <= Number(kv.p95_ms) && Number(kv.p95_ms) <= Number(kv.p99_ms) && Number(kv.p99_ms) <= Number(kv.max_ms), 'percentiles in order');
  assertEq(e.delivers.length, 36, 'deliver_sm on the wire');
  // phone i is --msisdn (default 250788000001) + i; a dialog is dial, then the answers
  const byPhone = new Map();
  for (const d of e.delivers) byPhone.set(d.from, [...(byPhone.get(d.from) || []), d]);
  assertEq([...byPhone.keys()].sort().join(','), '250788000001,250788000002,250788000003,250788000004', 'the phones');
  const pairs = new Set();
  for (const [from, ds] of byPhone) {
    assertEq(ds.length % 3, 0, `${from}: whole dialogs`);
    for (let i = 0; i < ds.length; i += 3) {
      assertEq(ds.slice(i, i + 3).map((x) => `${x.op}:${x.text}`).join(' '), '1:*123*4# 18:1 18:2', `${from}: a dialog`);
      assertEq(ds[i].to, '123', 'the service code');
      assert(ds[i + 1].session === ds[i].session && ds[i + 2].session === ds[i].session, 'one session per dialog');
      assertEq(ds.slice(i, i + 3).map((x) => x.itsSeq).join(','), '0,1,2', 'octet 2 counts');
      pairs.add(`${from}/${ds[i].session}`);
    }
  }
  assertEq(pairs.size, 12, 'no (MSISDN, session) pair repeats');
});

test('load --resend 0.5 --resend-mode fresh on two ESMEs: the copy goes on the other bind, its own sequence number', async () => {
  const ph = await phoneUp(['--load', '2', '--answers', '1', '--dialogs', '20', '--esmes', '2', '--resend', '0.5',
    '--resend-mode', 'fresh', '--seed', '3', '--wait-bind', '10']);
  const e1 = await new Esme(ph.port).bind();
  const e2 = await new Esme(ph.port).bind();
  await until(() => ph.code !== null, 15000, 'the load to finish');
  assertEq(ph.code, 0, `exit status; report:\n${ph.out}\nstderr:\n${ph.err}`);
  const kv = report(ph);
  assertEq(kv.errors, '0', 'errors');
  assertEq(kv.dialogs, '20', 'dialogs');
  assertEq(kv.steps, '40', 'steps');
  assertEq(kv.esmes, '2', 'both ESMEs bound');
  const resends = Number(kv.resends);
  assert(resends > 8 && resends < 34, `about half the 40 steps resent: ${resends}`);
  assertEq(e1.delivers.length + e2.delivers.length, 40 + resends, 'deliver_sm in all');
  // a copy: the same step (phone, session, octet 2, text) seen twice, once on each ESME,
  // each under the sequence numbering of its own connection
  const seen = new Map();
  let copies = 0;
  for (const [n, e] of [[1, e1], [2, e2]]) {
    for (const d of e.delivers) {
      const k = `${d.from}/${d.session}/${d.itsSeq}/${d.text}`;
      if (seen.has(k)) {
        assert(seen.get(k).esme !== n, `a copy on the other ESME (${k})`);
        copies++;
      } else {
        seen.set(k, { esme: n, seq: d.seq });
      }
    }
  }
  assertEq(copies, resends, 'every copy is the same step on the other bind');
  for (const e of [e1, e2]) {
    const seqs = e.delivers.map((d) => d.seq);
    assertEq(new Set(seqs).size, seqs.length, 'fresh sequence numbers on each connection');
  }
});

test('load --think: a phone answers no sooner than --think ms after its screen', async () => {
  const ph = await phoneUp(['--load', '2', '--answers', '1,2', '--dialogs', '4', '--think', '150', '--wait-bind', '10']);
  const e = await new Esme(ph.port).bind();
  await until(() => ph.code !== null, 15000, 'the load to finish');
  assertEq(ph.code, 0, `exit status; report:\n${ph.out}\nstderr:\n${ph.err}`);
  assertEq(report(ph).steps, '12', 'steps');
  // the screen for a deliver goes out right after it; the phone's answer comes after its
  // think time (a lower bound: a loaded machine only makes it later)
  const lastScreen = new Map();
  let answers = 0;
  for (const [i, d] of e.delivers.entries()) {
    if (d.op === 18) {
      const prev = lastScreen.get(d.from);
      assert(prev !== undefined, 'an answer follows a screen');
      assert(d.at - prev >= 145, `answered ${d.at - prev} ms after the screen, with --think 150`);
      answers++;
    }
    lastScreen.set(d.from, e.screenAt[i]);
  }
  assertEq(answers, 8, 'two answers per dialog');
});

test('load, open loop --rate: mode=open, rate and missed in the report', async () => {
  const ph = await phoneUp(['--load', '5', '--answers', '1', '--dialogs', '20', '--rate', '200', '--wait-bind', '10']);
  const e = await new Esme(ph.port).bind();
  await until(() => ph.code !== null, 15000, 'the load to finish');
  assertEq(ph.code, 0, `exit status; report:\n${ph.out}\nstderr:\n${ph.err}`);
  const kv = report(ph, true);
  assertEq(kv.mode, 'open', 'mode');
  assertEq(kv.rate, '200.000', 'rate');
  assert(/^\d+$/.test(kv.missed), `missed=${kv.missed}`);
  assertEq(kv.dialogs, '20', 'dialogs');
  assertEq(kv.errors, '0', 'errors');
  assertEq(e.delivers.length, 40, 'deliver_sm on the wire');
});

test('load: refusals, timeouts, a stray screen and SMS are counted; errors give exit status 1', async () => {
  const ph = await phoneUp(['--load', '2', '--answers', '1', '--dialogs', '4', '--timeout', '1', '--wait-bind', '10']);
  let stray = false;
  // phone 1's deliver_sm are refused; phone 2 gets a screen (and an SMS) for its dial, and
  // nothing for its answer; one screen goes to a phone that has no dialog
  const e = await new Esme(ph.port, (d) => {
    if (d.op !== 1) return null;
    if (!stray) {
      stray = true;
      e.submit({ service_type: 'USSD', source_addr: '123', destination_addr: '250788999999', short_message: gsm('Stray'), ussd_service_op: 2 });
    }
    return { text: 'Menu', op: 2, sms: 'Your reference' };
  }, (d) => (d.from === '250788000001' ? 0x08 : 0));
  await e.bind();
  await until(() => ph.code !== null, 15000, 'the load to finish');
  assertEq(ph.code, 1, `exit status with errors; report:\n${ph.out}\nstderr:\n${ph.err}`);
  const kv = report(ph);
  const n = (k) => Number(kv[k]);
  assert(n('rejected') >= 1 && n('timeouts') >= 1, `both kinds of failure: ${ph.out}`);
  assertEq(n('rejected') + n('timeouts'), 4, 'each dialog failed one way');
  assertEq(n('failed_dialogs'), 4, 'failed_dialogs');
  assertEq(n('dialogs'), 0, 'none completed');
  assertEq(n('unexpected'), 1, 'the stray screen');
  assertEq(n('errors'), n('rejected') + n('timeouts') + n('unexpected'), 'errors = timeouts + unexpected + rejected');
  assertEq(n('sms'), e.screenAt.length, 'one SMS per screen sent');
  assertEq(n('steps'), e.screenAt.length, 'a step is a screen received');
});

L.run();
