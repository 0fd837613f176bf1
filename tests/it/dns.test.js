// dns.test.js: host names for the SMSC and Redis, looked up without blocking the loop
// (core/resolve.c): the real daemon started with `--smsc localhost:PORT --redis
// localhost:PORT` binds and serves a dialog; a CLI whose first requests are made while
// the Redis name is still being looked up gets their answers; a link whose SMSC name
// does not resolve reports it and retries while another link serves dialogs.
'use strict';
const { execFile } = require('child_process');
const L = require('./lib');
const { test, assert, assertEq } = L;

const FIRST_SCREEN = 'Test services\n1. Enter a name';

let phone = 250784000000 + (process.pid % 100000) * 10;
const nextPhone = () => String(++phone);

async function redisPort() {
  const r = L.sharedRedis() || await L.startRedis();
  return r.port;
}

function run(args, timeoutMs = 20000) {
  return new Promise((res) => {
    execFile(process.env.USSDGW, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      res({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

test('--smsc localhost:PORT --redis localhost:PORT: binds, serves a dialog, logs the addresses used', async () => {
  const rport = await redisPort();
  const smsc = new L.Smsc();
  await smsc.listen();
  const gw = await L.startGateway({
    redis: `localhost:${rport}`, smsc, args: ['--smsc', `localhost:${smsc.port}`],
  });
  const p = nextPhone();
  const r = await smsc.dial(p, '*123#', 31);
  assert(r.text.startsWith(FIRST_SCREEN), `first screen, got ${JSON.stringify(r.text)}`);
  const r2 = await smsc.answer(p, '1', 31, 1);
  assertEq(r2.text, 'Your name?\n0 Back', 'second screen (the session went through Redis)');
  await gw.waitLog(new RegExp(`event=smpp.connected link=\\S+ host=localhost addr=(127\\.\\d+\\.\\d+\\.\\d+|::1) port=${smsc.port}`));
  await gw.waitLog(new RegExp(`event=redis msg="connected to localhost:${rport} addr=(127\\.\\d+\\.\\d+\\.\\d+|::1)`));
}, 40000);

test('a CLI with --redis localhost:PORT: requests made during the lookup are answered', async () => {
  const rport = await redisPort();
  const to = nextPhone();
  const sent = await run(['sms', 'send', '--redis', `localhost:${rport}`, to, 'Hello from dns.test.js']);
  assertEq(sent.code, 0, `sms send exit status; stderr: ${sent.stderr}`);
  const id = sent.stdout.trim();
  assert(/^\d+$/.test(id), `sms send prints an id, got ${JSON.stringify(sent.stdout)}`);
  const st = await run(['sms', 'status', '--redis', `localhost:${rport}`, id]);
  assertEq(st.code, 0, `sms status exit status; stderr: ${st.stderr}`);
  assert(st.stdout.includes(to), `status shows the phone: ${st.stdout}`);
}, 40000);

test('an SMSC name that does not resolve: resolve_failed and retries, the other link serves dialogs', async () => {
  const rport = await redisPort();
  const good = new L.Smsc();
  await good.listen();
  const config = [
    '[link bad]',
    'smsc = no-such-smsc.ussdgw-test.invalid:2775',
    'system_id = gw_bad',
    'reconnect_min_ms = 100',
    'reconnect_max_ms = 500',
    '',
    '[link good]',
    `smsc = localhost:${good.port}`,
    'system_id = gw_good',
    '',
  ].join('\n');
  const gw = await L.startGateway({ redis: `localhost:${rport}`, config, smsc: good });
  const p = nextPhone();
  const r = await good.dial(p, '*123#', 41);
  assert(r.text.startsWith(FIRST_SCREEN), `first screen on the good link, got ${JSON.stringify(r.text)}`);
  // NXDOMAIN from a nameserver, or (no network) the 10 s connect timeout
  await gw.waitLog(/event=smpp.resolve_failed link=bad host=no-such-smsc\.ussdgw-test\.invalid/, 25000);
  await gw.waitLog(/event=smpp.reconnect_scheduled link=bad /, 5000);
  const p2 = nextPhone();
  const r2 = await good.dial(p2, '*123#', 42);
  assert(r2.text.startsWith(FIRST_SCREEN), 'the good link still serves');
  assert(!/event=smpp.connected link=bad /.test(gw.logs), 'the bad link never connected');
}, 60000);

L.run();
