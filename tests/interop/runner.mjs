// Runs scenarios as named checks and prints `ok NAME` / `not ok NAME: REASON`,
// then `N passed, M failed`.
//
// `connect()` gives the connection for the next scenario:
//   {api, stats?: () => {imports, exports}, done?: () => void}
// When `stats` is given, each scenario must also leave the session's tables as
// it found them ({imports: 1, exports: 1} on a clean session); releases travel
// asynchronously, so they are polled for up to 2 s. A scenario may declare
// `leaks: {imports, exports}`: references that capnweb itself keeps forever.
//
// The peer's tables are checked the same way when it can report them: if its
// main has a `sessionStats()` method (Capstan's conformance program has one,
// and so does conformance.mjs), each scenario must also leave the peer at
// {imports: 1, exports: 1}, plus the mirror of the leaks declared so far (an
// import capnweb keeps is an export the peer keeps).

process.on("unhandledRejection", (err) => {
  console.error(`warning: unhandled rejection: ${err?.stack ?? err}`);
});

const oneLine = (s) => String(s).replace(/\s*\n\s*/g, " | ");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sameStats = (a, b) => a.imports === b.imports && a.exports === b.exports;
const withinStats = (a, b) => a.imports <= b.imports && a.exports <= b.exports;
const showStats = (s) => `{imports: ${s.imports}, exports: ${s.exports}}`;
const plus = (a, b = {}) => ({ imports: a.imports + (b.imports ?? 0), exports: a.exports + (b.exports ?? 0) });
const mirror = (leaks = {}) => ({ imports: leaks.exports ?? 0, exports: leaks.imports ?? 0 });
const CLEAN = { imports: 1, exports: 1 };

function withTimeout(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Waits until the stats match `want` (or, unless `exact`, are below it: an
// earlier scenario's leak may be released late).
async function statsSettle(stats, want, exact) {
  const settled = () => (exact ? sameStats : withinStats)(stats(), want);
  for (let waited = 0; waited < 2000 && !settled(); waited += 20) await sleep(20);
  const got = stats();
  if (!settled()) throw new Error(`leak: stats ${showStats(got)}, expected ${showStats(want)}`);
}

// True when the peer's main answers sessionStats() with table sizes.
async function hasSessionStats(api) {
  try {
    const stats = await api.sessionStats();
    return Number.isInteger(stats?.imports) && Number.isInteger(stats?.exports);
  } catch {
    return false;
  }
}

// Polls the peer's sessionStats() (up to 2 s) until it reads exactly `want`;
// returns what it read last.
async function peerStatsSettle(api, want) {
  let got;
  for (let waited = 0; waited < 2000; waited += 20) {
    got = await api.sessionStats();
    if (sameStats(got, want)) break;
    await sleep(20);
  }
  return got;
}

// `peer`, when given, holds what each connection's peer tables should read
// after a scenario (a Map from the connection's main stub to stats; a new
// connection starts clean).
async function runOne(scenario, connect, peer) {
  const conn = await connect();
  try {
    const before = conn.stats?.();
    await withTimeout(Promise.resolve().then(() => scenario.run(conn.api)), scenario.timeout);
    if (before) await statsSettle(conn.stats, plus(before, scenario.leaks), false);
    if (peer) {
      const want = plus(peer.get(conn.api) ?? CLEAN, mirror(scenario.leaks));
      const got = await peerStatsSettle(conn.api, want);
      // The next scenario starts from what is there, so a leak fails one check, not all later ones.
      peer.set(conn.api, got);
      if (!sameStats(got, want)) throw new Error(`peer leak: its stats ${showStats(got)}, expected ${showStats(want)}`);
    }
  } finally {
    conn.done?.();
  }
}

export async function runChecks(scenarios, connect, { finalStats } = {}) {
  let passed = 0;
  let failed = 0;
  let expectedAtEnd = CLEAN;
  // Only where tables outlive a scenario (not a fresh batch session each time).
  const peer = finalStats && (await hasSessionStats((await connect()).api)) ? new Map() : null;
  if (finalStats) console.log(`# peer leak check: ${peer ? "on" : "off (no sessionStats)"}`);
  const report = (name, err) => {
    if (err) {
      failed++;
      console.log(`not ok ${name}: ${oneLine(err?.message ?? err)}`);
    } else {
      passed++;
      console.log(`ok ${name}`);
    }
  };
  for (const scenario of scenarios) {
    let error = null;
    try {
      await runOne(scenario, connect, peer);
    } catch (err) {
      error = err ?? new Error("failed");
    }
    report(scenario.name, error);
    if (!error) expectedAtEnd = plus(expectedAtEnd, scenario.leaks);
  }
  if (finalStats) {
    // A leak in one scenario shifts the baseline of the next; this catches it at the end.
    let error = null;
    await statsSettle(finalStats, expectedAtEnd, true).catch((err) => (error = err));
    report("stats-clean-at-end", error);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0;
}
