// dialects_walk.test.js: a random walk of 200 dialogs over the shipped menus for each USSD
// dialect (dialects_lib.js), on two gateways alternating steps, one killed with SIGKILL a
// third of the way in and started again: every dialog that was not on the killed process
// at that moment completes, each step advancing the stored session by exactly one (never
// a screen from a stale or doubly applied session), with repeated answers (after a
// resident's reading time) and resent PDUs (the same sequence number on one bind).
// WALK_SEED=N replays a walk.
'use strict';
const L = require('./lib');
const { test, assert, assertEq, until } = L;
const D = require('./dialects_lib');
const { PROFILES, READING_MS, setup, startGw, Dialog } = D;

// ---- the random walk ---------------------------------------------------------------------
const POOL = ['1', '2', '0', 'Alice', 'Kigali Road 5', '1/02/03/04/567', '1199880012345678', '260001238', '5000', '98', '00'];

function choices(text) {
  const opts = [...text.matchAll(/^(\d+)\. /gm)].map((m) => m[1]);
  for (const k of ['0', '00', '98']) if (new RegExp(`(^|  )${k} [A-Z]`, 'm').test(text)) opts.push(k);
  return opts;
}

// A seeded PRNG, so a failing walk can be run again (WALK_SEED).
function prng(seed) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

const WALK_DEADLINE_MS = 240000;

async function walk(profile, { dialogs, concurrency, maxSteps = 12 }) {
  const env = await setup(profile, 2);
  const seed = Number(process.env.WALK_SEED || Date.now() % 100000);
  const rnd = prng(seed);
  const stats = { done: 0, ended: 0, aborted: 0, exempt: 0, steps: 0, repeats: 0, copies: 0, failures: [] };
  let killed = null; // the esme of the killed gateway, while it is away
  const inflight = new Map(); // dialog -> esme its step is waiting on
  const bound = () => env.gws.map((g) => g.esme).filter((e) => e && e !== killed && e.bound && !e.unbound);

  async function one(n) {
    const d = new Dialog(env, profile);
    d.n = n;
    let k = 0;
    const pick = () => { const b = bound(); return b[(n + k++) % b.length]; };
    const step = async (fn) => {
      const esme = pick();
      inflight.set(d, esme);
      try { return await fn(esme); } finally { inflight.delete(d); }
    };
    let r = await step((e) => d.dial(e));
    await d.checkApplied('dial');
    let last = null;
    for (let i = 0; i < maxSteps && !d.ended(r); i++) {
      const opts = choices(r.text);
      let a = last !== null && rnd() < 0.35 ? last : opts.length ? opts[Math.floor(rnd() * opts.length)] : POOL[Math.floor(rnd() * POOL.length)];
      if (a === last) { stats.repeats++; await L.readingPause(READING_MS); }
      const copy = rnd() < 0.1;
      if (copy) {
        // the same PDU twice on one bind: applied once, one screen
        stats.copies++;
        r = await step(async (e) => {
          const args = d.args(a, d.p.op);
          const seqNo = 0x100000 + Math.floor(rnd() * 0x1000000);
          const x = { ...args, esme: e, extra: { ...(args.extra || {}), sequence_number: seqNo } };
          const from = env.smsc.submits.length;
          await env.smsc.deliver(x);
          await env.smsc.deliver(x);
          d.applied++;
          return env.smsc.nextSubmit((s) => s.destination_addr === d.msisdn, from);
        });
      } else {
        r = await step((e) => d.answer(a, e));
      }
      last = a;
      stats.steps++;
      await d.checkApplied(`dialog ${n} step ${i + 1} (${a})`);
    }
    if (d.ended(r)) {
      stats.ended++;
      const s = await d.stored();
      assertEq(s.state, 1, 'an ended dialog is stored ended');
    } else {
      // the resident hangs up (on that gateway until the abort is seen applied)
      await step(async (e) => {
        await env.smsc.deliver({ ...d.args('', 129, { end: true }), esme: e });
        await until(async () => { const s = await d.stored(); return s && s.state === 1; }, 6000, 'the abort applied');
      });
      stats.aborted++;
    }
  }

  const exempt = new Set();
  async function runOne(n) {
    try {
      await one(n);
      stats.done++;
    } catch (e) {
      if (exempt.has(n)) stats.exempt++;
      else stats.failures.push(`dialog ${n}: ${e.message}`);
    }
  }

  // the kill, a third of the way in: every dialog waiting on that gateway is exempt
  let started = 0;
  const killAt = Math.floor(dialogs / 3);
  const killer = (async () => {
    await until(() => stats.done + stats.failures.length >= killAt, 120000, 'a third of the walk');
    const victim = env.gws[0];
    killed = victim.esme;
    // what the victim holds at this moment: dialogs whose step is on its connection
    for (const [d, e] of inflight) if (e === victim.esme) exempt.add(d.n);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    await until(() => !env.smsc.sessions.includes(victim.esme), 10000, 'the killed gateway\'s connection closed');
    const again = await startGw(env.smsc, env.redis, profile, `${profile}-again`);
    env.gws[0] = again;
    killed = null;
  })().catch((e) => { stats.failures.push(`restart: ${e.message}`); });

  // a deadline of the walk's own, so a slow machine reports what it saw instead of the
  // harness's bare timeout
  const deadline = Date.now() + WALK_DEADLINE_MS;
  const workers = [];
  for (let w = 0; w < concurrency; w++) {
    workers.push((async () => {
      for (;;) {
        const n = started++;
        if (n >= dialogs) return;
        if (Date.now() > deadline) { stats.failures.push(`dialog ${n}: not started by the walk's deadline`); continue; }
        await runOne(n);
      }
    })());
  }
  await Promise.all(workers);
  await killer;
  return { env, stats, seed };
}

for (const profile of Object.keys(PROFILES)) {
  test(`${profile}: a random walk over the shipped menus on two gateways, one killed and restarted, completes every dialog`, async () => {
    const { env, stats, seed } = await walk(profile, { dialogs: 200, concurrency: 40 });
    const failed = stats.failures.slice(0, 5).join('\n  ');
    console.error(`walk ${profile}: ${JSON.stringify({ ...stats, failures: stats.failures.length, seed })}`);
    assertEq(stats.failures.length, 0, `walk (WALK_SEED=${seed}) ${JSON.stringify({ ...stats, failures: stats.failures.length })}:\n  ${failed}`);
    assertEq(stats.done + stats.exempt, 200, 'every dialog accounted for');
    assert(stats.done >= 190, `dialogs completed: ${stats.done}`);
    assert(stats.repeats > 50 && stats.copies > 20, `repeats ${stats.repeats}, copies ${stats.copies}`);
    for (const g of env.gws) assert(g.exitCode === null, 'gateways alive');
  }, WALK_DEADLINE_MS + 120000);
}

L.run();
