// Runs scenarios as named checks and prints `ok NAME` / `not ok NAME: REASON`,
// then `N passed, M failed`.
//
// `connect()` gives the connection for the next scenario:
//   {api, stats?: () => {imports, exports}, done?: () => void}
// When `stats` is given, each scenario must also leave the session's tables as
// it found them ({imports: 1, exports: 1} on a clean session); releases travel
// asynchronously, so they are polled for up to 2 s. A scenario may declare
// `leaks: {imports, exports}`: references that capnweb itself keeps forever.

process.on("unhandledRejection", (err) => {
  console.error(`warning: unhandled rejection: ${err?.stack ?? err}`);
});

const oneLine = (s) => String(s).replace(/\s*\n\s*/g, " | ");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sameStats = (a, b) => a.imports === b.imports && a.exports === b.exports;
const withinStats = (a, b) => a.imports <= b.imports && a.exports <= b.exports;
const showStats = (s) => `{imports: ${s.imports}, exports: ${s.exports}}`;
const plus = (a, b = {}) => ({ imports: a.imports + (b.imports ?? 0), exports: a.exports + (b.exports ?? 0) });

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

async function runOne(scenario, connect) {
  const conn = await connect();
  try {
    const before = conn.stats?.();
    await withTimeout(Promise.resolve().then(() => scenario.run(conn.api)), scenario.timeout);
    if (before) await statsSettle(conn.stats, plus(before, scenario.leaks), false);
  } finally {
    conn.done?.();
  }
}

export async function runChecks(scenarios, connect, { finalStats } = {}) {
  let passed = 0;
  let failed = 0;
  let expectedAtEnd = { imports: 1, exports: 1 };
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
      await runOne(scenario, connect);
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
