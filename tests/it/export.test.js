// export.test.js: `ussdgw export`, the anonymised open data CSV, against a seeded private
// Redis: dialogs counted by the session save (per Kigali day and home screen, kept
// about 400 days), the
// seeded applications per date/district/service, tickets by status, poll tallies, the
// --from/--to filter, and that no phone number, ID, name or free text gets out.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const L = require('./lib');
const { test, assert, assertEq } = L;

function cli(r, args) {
  const res = spawnSync(L.USSDGW, [...args, '--redis', r.addr], { encoding: 'utf8', timeout: 60000, cwd: L.ROOT });
  const m = /(AddressSanitizer|runtime error:|LeakSanitizer)[^\n]*/.exec(res.stderr || '');
  if (m) throw new Error(`sanitizer report from ussdgw ${args.join(' ')}: ${m[0]}`);
  return { code: res.status, out: res.stdout || '', err: res.stderr || '' };
}

function today() {
  return new Date(Date.now() + 2 * 3600 * 1000).toISOString().slice(0, 10);
}

// RFC 4180 rows (the export quotes only what needs it).
function parseCsv(text) {
  const rows = [];
  let row = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; }
    else if (c === '\n') { row.push(f.replace(/\r$/, '')); rows.push(row); row = []; f = ''; }
    else f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows;
}

function hashObj(arr) {
  const o = {};
  for (let i = 0; i + 1 < arr.length; i += 2) o[arr[i]] = arr[i + 1];
  return o;
}

let phone = 250782000000 + (process.pid % 1000) * 1000;
const nextPhone = () => String(++phone);

test('export: dialogs, submissions, tickets and votes add up, and nothing personal gets out', async () => {
  const redis = await L.startRedis();
  const s = cli(redis, ['seed', '--scale', 'small', '--today', today()]);
  assertEq(s.code, 0, `seed (${s.err})`);

  // three new dialogs on the test menus' *123# (home screen root), one going on a step
  const smsc = new L.Smsc();
  await smsc.listen();
  L.defer(() => smsc.close());
  await L.startGateway({ smscPort: smsc.port, redis: redis.addr, smsc, name: 'export' });
  const phones = [nextPhone(), nextPhone(), nextPhone()];
  for (let i = 0; i < phones.length; i++) {
    const r = await smsc.dial(phones[i], '*123#', 40 + i);
    assert(r.text.startsWith('Test services'), r.text);
  }
  const r2 = await smsc.answer(phones[0], '1', 40, 1);
  assertEq(r2.text, 'Your name?\n0 Back', 'second step');
  const day = today();
  const counted = hashObj(await redis.cmd('HGETALL', `ussd:stats:dialogs:${day}`));
  assertEq(counted.root, '3', 'the save script counted the three dials, not the answer');
  // the day's hash expires after about 400 days (a year of history for the export)
  const ttl = await L.until(async () => {
    const t = await redis.cmd('TTL', `ussd:stats:dialogs:${day}`);
    return t > 0 ? t : null;
  }, 5000, "the expiry of the day's dialog counts");
  assert(ttl > 399 * 86400 && ttl <= 400 * 86400, `TTL of ussd:stats:dialogs:${day}: ${ttl} s`);

  // a ticket, as the report script writes it (with the fields that must not get out)
  await redis.cmd('HSET', 'ussd:ticket:TKT-26-999999-1', 'ref', 'TKT-26-999999-1', 'category', 'water',
    'district', 'Gasabo', 'sector', 'Remera', 'sector_key', '02-10', 'landmark', 'Near the blue kiosk',
    'description', 'Pipe burst Mukamana', 'status', 'received', 'msisdn', phones[1],
    'created', `${day} 09:15`, 'updated', `${day} 09:15`, 'channel', 'ussd', 'reports', '1');
  await redis.cmd('RPUSH', 'ussd:ticket:TKT-26-999999-1:hist', '{"at":"x","status":"received","note":"secret note"}');
  await redis.cmd('SADD', 'ussd:ticket:TKT-26-999999-1:followers', phones[1]);
  // a poll tally (polls are being added: hash option -> votes)
  await redis.cmd('HSET', 'ussd:poll:budget:tally', 'roads', '7', 'water', '4');

  // every count as it is (--min-cell 1: nothing hidden, not for publication)
  const out = path.join(L.TMP, `export-${process.pid}.csv`);
  const e = cli(redis, ['export', '--min-cell', '1', '--out', out]);
  assertEq(e.code, 0, `export exit code (${e.err})`);
  const text = fs.readFileSync(out, 'utf8');
  const rows = parseCsv(text);
  assertEq(rows[0].join(','), 'date,district,service,metric,value,hidden_below_1', 'header');
  const body = rows.slice(1);
  assert(body.length > 10, `rows: ${body.length}`);
  for (const r of body) assertEq(r.length, 6, `six columns: ${r.join('|')}`);
  for (const r of body) assertEq(r[5], '', `nothing hidden: ${r.join('|')}`);
  const keys = body.map((r) => r.slice(0, 4).join('\x1f'));
  assertEq(JSON.stringify(keys), JSON.stringify([...keys].sort()), 'sorted');
  assertEq(new Set(keys).size, keys.length, 'one row per date/district/service/metric');
  const val = (d, di, sv, m) => {
    const r = body.find((x) => x[0] === d && x[1] === di && x[2] === sv && x[3] === m);
    return r ? Number(r[4]) : 0;
  };
  assertEq(val(day, 'all', 'root', 'dialogs'), 3, 'dialogs today');
  assertEq(val(day, 'Gasabo', 'report_water', 'tickets_received'), 1, 'the ticket');
  assertEq(val('all', 'all', 'poll', 'votes_budget_roads'), 7, 'poll votes');
  assertEq(val('all', 'all', 'poll', 'votes_budget_water'), 4, 'poll votes');

  // the submissions, counted again from the records themselves
  const appKeys = (await redis.cmd('KEYS', 'ussd:app:*')).filter((k) => !k.endsWith(':hist'));
  assert(appKeys.length > 20, `seeded applications: ${appKeys.length}`);
  const apps = await L.redisPipeline(redis.port, appKeys.map((k) => ['HMGET', k, 'service', 'created', 'd.district', 'slot_district']));
  const want = new Map();
  for (const [svc, created, dd, sd] of apps) {
    const k = [created.slice(0, 10), dd || sd || 'unknown', svc].join('\x1f');
    want.set(k, (want.get(k) || 0) + 1);
  }
  const got = new Map();
  for (const r of body) if (r[3] === 'submissions') got.set(r.slice(0, 3).join('\x1f'), Number(r[4]));
  assertEq(got.size, want.size, 'submission rows');
  for (const [k, n] of want) assertEq(got.get(k), n, `submissions ${k.replace(/\x1f/g, ',')}`);

  // nothing personal: no long digit runs (MSISDNs, 16-digit IDs), no names, no free text
  assert(!/\d{6,}/.test(text), `a long run of digits in the export: ${(/.*\d{6,}.*/.exec(text) || [''])[0]}`);
  const msisdns = new Set(phones);
  for (const k of await redis.cmd('KEYS', 'ussd:phone:*')) msisdns.add(k.split(':')[2]);
  for (const m of msisdns) assert(!text.includes(m), `MSISDN ${m} in the export`);
  const names = new Set();
  const parcels = (await redis.cmd('KEYS', 'ussd:parcel:*')).slice(0, 200);
  const biz = (await redis.cmd('KEYS', 'ussd:biz:*')).slice(0, 200);
  const owners = await L.redisPipeline(redis.port, [...parcels, ...biz].map((k) => ['HMGET', k, 'owner_name', 'owner_id']));
  for (const o of owners) {
    if (!Array.isArray(o)) continue; // an index key, not a record
    const [n, id] = o;
    if (n) names.add(n);
    if (id) assert(!text.includes(id), `owner ID ${id} in the export`);
  }
  assert(names.size > 0, 'owner names seeded');
  for (const n of names) assert(!text.includes(n), `owner name ${n} in the export`);
  for (const w of ['blue kiosk', 'Mukamana', 'secret note', 'Remera', 'TKT-', 'LND-', 'BIZ-', 'BPA-']) {
    assert(!text.includes(w), `${w} in the export`);
  }

  // --from/--to keep only those days (dateless poll rows always go out)
  const f = cli(redis, ['export', '--min-cell', '1', '--from', day, '--to', day]);
  assertEq(f.code, 0, `export --from/--to (${f.err})`);
  const frows = parseCsv(f.out).slice(1);
  assert(frows.length >= 4, `rows today: ${frows.length}`);
  for (const r of frows) assert(r[0] === day || r[0] === 'all', `row outside the range: ${r.join(',')}`);
  assertEq(cli(redis, ['export', '--from', '2026-1-1']).code, 2, 'a bad date is refused');
  assertEq(cli(redis, ['export', '--min-cell', '0']).code, 2, 'a bad --min-cell is refused');

  // the published export (the default): no count from 1 to 4 shows, and no hidden count
  // follows from its group's total and the rest
  const p = cli(redis, ['export']);
  assertEq(p.code, 0, `export (${p.err})`);
  const prows = parseCsv(p.out);
  assertEq(prows[0].join(','), 'date,district,service,metric,value,hidden_below_5', 'the header states the rule');
  const pbody = prows.slice(1);
  assertEq(pbody.length, body.length, 'the same cells, some hidden');
  let hidden = 0;
  const groups = new Map();
  for (const r of pbody) {
    if (r[5]) {
      hidden++;
      assertEq(r[4], '', `a hidden cell has no value: ${r.join('|')}`);
      assert(r[5] === 'small' || r[5] === 'complement', r[5]);
    } else {
      assert(Number(r[4]) >= 5, `a cell under 5 shows: ${r.join('|')}`);
    }
    const g = r.slice(0, 3).join('\x1f');
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(r);
  }
  assert(hidden > 0, 'the seeded data has small cells');
  for (const [g, rs] of groups) {
    const total = rs.find((r) => r[3] === 'submissions');
    const parts = rs.filter((r) => r[3].startsWith('applications_'));
    if (total && !total[5]) assert(parts.filter((r) => r[5]).length !== 1, `one hidden part beside its total: ${g}`);
  }
}, 90000);

test('export: Redis down is an error, not an empty file', async () => {
  const port = await L.freePort();
  const out = path.join(L.TMP, `export-down-${process.pid}.csv`);
  const e = cli({ addr: `127.0.0.1:${port}` }, ['export', '--out', out]);
  assertEq(e.code, 1, 'exit code');
  assert(/did not answer|cannot use Redis/.test(e.err), e.err);
  assert(!fs.existsSync(out), 'no output file');
}, 30000);

L.run();
