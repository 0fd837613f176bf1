// cli.test.js: the command line as an administrator uses it: `check` on the shipped and
// on broken menu sets, `-t` on configurations, and `try` walking the shipped menus in
// every language with every screen inside the limit.
'use strict';
const L = require('./lib');
const { test, assert, assertEq } = L;
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

function gw(args, input) {
  const r = spawnSync(L.USSDGW, args, { input: input || '', encoding: 'utf8', timeout: 20000, cwd: L.ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function screenFits(text) {
  const g = L.gsmEncode(text);
  if (g) return g.length <= 182;
  return Buffer.from(text, 'utf16le').length / 2 <= 80;
}

// The screens of a `try` transcript: text blocks each closed by [continue] or [end].
function screens(out) {
  const res = [];
  let cur = [];
  for (const line of out.split('\n')) {
    if (line === '[continue]' || line === '[end]') {
      res.push({ text: cur.join('\n'), end: line === '[end]' });
      cur = [];
    } else cur.push(line);
  }
  return res;
}

test('check accepts the shipped menus with a one-line OK', async () => {
  const r = gw(['check', 'menus.d']);
  assertEq(r.code, 0, `exit code (${r.out})`);
  assert(/^menus\.d: OK: \d+ screens, \d+ dial strings, 3 languages, 0 warning\(s\)/m.test(r.out), r.out);
});

test('check lists every error of a broken multi-file set as FILE:LINE:COL and exits 1', async () => {
  const dir = fs.mkdtempSync(path.join(L.TMP, 'broken-'));
  fs.writeFileSync(path.join(dir, 'a.yaml'), [
    'dial:',
    '  "*123#": root',
    'screens:',
    '  root:',
    '    kind: menu',
    '    text: Hello',
    '    options:',
    '      - {label: Land, next: lnad}',
    '  ask:',
    '    kind: input',
    '    text: Name?',
    '    var: name',
    '    validate:',
    "      - {pattern: '([a-z]', error: Bad}",
    '    next: root',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'b.yaml'), [
    'screens:',
    '  land:',
    '    kind: handler',
    '    handler: no_such_handler',
    '    on: {ok: root}',
    '  root:',
    '    kind: end',
    '    text: dup',
    '  loop1: {kind: router, routes: [], default: loop2}',
    '  loop2: {kind: router, routes: [], default: loop1}',
    '  odd: {kind: menuu, text: x}',
  ].join('\n'));
  const r = gw(['check', dir]);
  assertEq(r.code, 1, 'exit code');
  const lines = r.out.trim().split('\n');
  const errs = lines.filter((l) => /^.+:\d+:\d+: (error|warning): /.test(l));
  assert(errs.length >= 6, `at least 6 problems listed, got:\n${r.out}`);
  assert(/a\.yaml:8:\d+: error: .*lnad.*did you mean 'land'/.test(r.out), `suggestion for lnad:\n${r.out}`);
  assert(/a\.yaml:14:\d+: error: .*(PCRE2|pattern).*offset/i.test(r.out), `PCRE2 error with offset:\n${r.out}`);
  assert(/b\.yaml:4:\d+: error: .*no_such_handler/.test(r.out), `unknown handler:\n${r.out}`);
  assert(/b\.yaml:6:\d+: error: .*root/.test(r.out), `duplicate screen:\n${r.out}`);
  assert(/loop1.*loop2|loop2.*loop1/.test(r.out), `loop without input:\n${r.out}`);
  assert(/b\.yaml:11:\d+: error: .*menuu/.test(r.out), `unknown kind:\n${r.out}`);
  assert(/: \d+ error\(s\)/.test(lines[lines.length - 1]), 'summary line');
});

test('-t checks the configuration and reports FILE:LINE:COL', async () => {
  const bad = path.join(L.TMP, 'bad.conf');
  fs.writeFileSync(bad, 'redis = 127.0.0.1:6379\nsession_ttl = soon\n[link a]\nwindow = 0\nnope = 1\n');
  let r = gw(['-t', '-c', bad, '--menus', 'menus.d']);
  assertEq(r.code, 1, 'exit code');
  assert(/bad\.conf:2:\d+: error: session_ttl/.test(r.err), r.err);
  assert(/bad\.conf:4:\d+: error: window/.test(r.err), r.err);
  assert(/bad\.conf:5:1: error: unknown key 'nope'/.test(r.err), r.err);
  r = gw(['-t', '-c', 'deploy/ussdgw.conf', '--menus', 'menus.d']);
  assertEq(r.code, 0, `deploy config: ${r.err}`);
  assert(/configuration OK/.test(r.out), r.out);
});

test('-t refuses a section with text after its name, a sender name over 11 characters, a merge window under a minute', async () => {
  const bad = path.join(L.TMP, 'bad2.conf');
  fs.writeFileSync(bad, 'sms_source = KigaliCityCouncil\nticket_merge_window = 5\n[link a]x]\n');
  let r = gw(['-t', '-c', bad, '--menus', 'menus.d']);
  assertEq(r.code, 1, 'exit code');
  assert(/bad2\.conf:3:1: error: a section must be \[link NAME\]/.test(r.err), r.err);
  assert(/error: sms_source 'KigaliCityCouncil' is a sender name: at most 11 characters/.test(r.err), r.err);
  assert(/bad2\.conf:2:\d+: error: ticket_merge_window/.test(r.err), r.err);
  fs.writeFileSync(bad, 'sms_source = KigaliCity\nticket_merge_window = 3600\nvote_secret = s3cret\npoll_results_every = 0\n[link a]\n');
  r = gw(['-t', '-c', bad, '--menus', 'menus.d']);
  assertEq(r.code, 0, r.err);
});

const redis = () => L.sharedRedis() || null;
// phone numbers unique to this run: a shared Redis may hold earlier runs' dialogs
const base = 250780000000 + (process.pid % 10000) * 1000;

test('try walks the shipped menus in every language, every screen within the limit', async () => {
  const rd = redis() || await L.startRedis();
  const walks = [
    ['*123#', ''],
    ['*123#', '1\n1\n1/02/03/04/567\n'],
    ['*123#', '2\n2\nKigali Fresh Foods\n2\n98\n98\n98\n0\n30\n1\n'],
    ['*123#', '3\n1\n'],
    ['*123#', '4\n'],
    ['*123#', '5\n2\n'],
    ['*123*1#', '0\n'],
    ['*123*2#', '9\n9\n9\n'],
  ];
  let n = 0;
  for (const lang of ['en', 'rw', 'fr']) {
    for (const [dial, input] of walks) {
      const r = gw(['try', '--redis', rd.addr, '--menus', 'menus.d', '--lang', lang, '--msisdn', String(base + n++), dial], input);
      assertEq(r.code, 0, `try ${dial} ${lang}: ${r.err}`);
      const sc = screens(r.out);
      assert(sc.length >= 1, `screens from try: ${r.out}`);
      for (const s of sc) assert(screenFits(s.text), `screen over the limit (${lang} ${dial}):\n${s.text}`);
    }
  }
  const root = screens(gw(['try', '--redis', rd.addr, '--lang', 'en', '*123#']).out)[0].text;
  assert(/1\. Land/.test(root) && /2\. Business/.test(root) && /3\. Building permits/.test(root), root);
});

test('try: the district list is paginated 1..30 with More and Back', async () => {
  const rd = redis() || await L.startRedis();
  const r = gw(['try', '--redis', rd.addr, '--lang', 'en', '--msisdn', String(base + 999), '*123#'], '2\n2\nKigali Fresh Foods\n1\n98\n98\n');
  const sc = screens(r.out);
  const names = 'Bugesera Burera Gakenke Gasabo Gatsibo Gicumbi Gisagara Huye Kamonyi Karongi Kayonza Kicukiro Kirehe Muhanga Musanze Ngoma Ngororero Nyabihu Nyagatare Nyamagabe Nyamasheke Nyanza Nyarugenge Nyaruguru Rubavu Ruhango Rulindo Rusizi Rutsiro Rwamagana'.split(' ');
  const pages = sc.filter((s) => names.some((d) => new RegExp(`^\\d+\\. ${d}$`, 'm').test(s.text)));
  assert(pages.length >= 3, `district pages:\n${r.out}`);
  const all = pages.map((p) => p.text).join('\n');
  for (let i = 1; i <= 30; i++) assert(new RegExp(`^${i}\\. `, 'm').test(all), `district number ${i} shown`);
  assert(/98 More/.test(pages[0].text) && !/0 Back.*\n.*98/.test(pages[2].text), 'More where it applies');
  assert(/^0 Back/m.test(pages[1].text), 'Back on page 2');
});

test('try with Redis down says temporarily unavailable and ends', async () => {
  const port = await L.freePort();
  const r = gw(['try', '--redis', `127.0.0.1:${port}`, '*123#']);
  assertEq(r.code, 0, 'exit code');
  assertEq(r.out, 'Service temporarily unavailable, please try again later.\n[end]\n', 'output');
});

L.run();
