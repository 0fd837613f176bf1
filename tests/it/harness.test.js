// harness.test.js: lib.js's harness keeps its promises. A sample program of tests (one
// passes, one fails an assertion, one skips, one outlives its time limit, one skips
// after a failing post-check) runs as a child; what it prints and its exit status are
// checked: a skip is a SKIP line and never a PASS, a failure sets the exit status, and
// the last line is "N passed, N failed, N skipped".
'use strict';
const L = require('./lib');
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');
const { test, assert, assertEq } = L;

function runSample(name, body) {
  const file = path.join(L.TMP, name);
  fs.writeFileSync(file, `'use strict';\nconst L = require(${JSON.stringify(path.join(__dirname, 'lib.js'))});\n${body}\nL.run();\n`);
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { timeout: 20000, env: { ...process.env, TEST_FILTER: '', TEST_TIMINGS: '' } }, (err, stdout) =>
      resolve({ code: err ? err.code : 0, lines: stdout.trim().split('\n') }));
  });
}

test('PASS, FAIL, SKIP lines, the count on the last line, the exit status', async () => {
  const r = await runSample('sample1.js', `
L.test('passes', async () => { L.assertEq(1, 1); });
L.test('fails', async () => { L.assertEq(1, 2, 'one is not two'); });
L.test('skips', async () => { L.skip('no IPv6 here'); });
L.test('outlives its limit', () => new Promise(() => {}), 200);
L.test('skips but its post-check fails', async () => {
  L.postCheck(() => { throw new Error('a sanitizer report'); });
  L.skip('too late');
});`);
  const f = 'sample1.js';
  assertEq(r.code, 1, `exit status with failures: ${r.lines.join('\n')}`);
  assertEq(r.lines[0], `PASS ${f}:passes`, 'a pass');
  assert(r.lines[1].startsWith(`FAIL ${f}:fails: Error: one is not two: got 1, want 2`), r.lines[1]);
  assertEq(r.lines[2], `SKIP ${f}:skips: no IPv6 here`, 'a skip is a SKIP');
  assert(r.lines[3].startsWith(`FAIL ${f}:outlives its limit: Error: timed out after 200 ms`), r.lines[3]);
  assert(r.lines[4].startsWith(`FAIL ${f}:skips but its post-check fails: Error: a sanitizer report`), r.lines[4]);
  assertEq(r.lines[5], '1 passed, 3 failed, 1 skipped', 'the last line');
  assertEq(r.lines.length, 6, 'nothing else');
});

test('skips alone are no failure, and no pass', async () => {
  const r = await runSample('sample2.js', `
L.test('passes', async () => { L.assert(true); });
L.test('skips', async () => { L.skip(); });`);
  assertEq(r.code, 0, `exit status: ${r.lines.join('\n')}`);
  assertEq(r.lines.join('\n'), 'PASS sample2.js:passes\nSKIP sample2.js:skips: no reason given\n1 passed, 0 failed, 1 skipped', 'output');
});

L.run();
