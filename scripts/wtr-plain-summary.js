import { writeSync } from 'node:fs';

// WTR's own summary carries a progress bar and ANSI codes; CI reads one plain line.
function walk(suite, acc) {
  if (!suite) return;
  for (const t of suite.tests) {
    if (t.skipped) acc.skipped++;
    else if (t.passed) acc.passed++;
    else acc.failed++;
  }
  for (const s of suite.suites) walk(s, acc);
}

export function plainSummaryReporter() {
  return {
    stop({ sessions }) {
      const acc = { passed: 0, failed: 0, skipped: 0 };
      for (const session of sessions) {
        const before = acc.failed + acc.passed + acc.skipped;
        walk(session.testResults, acc);
        const counted = acc.failed + acc.passed + acc.skipped - before;
        // A file that failed to load reports no tests: count it as one failure.
        if (session.passed === false && counted === 0) acc.failed++;
        else if (session.passed === false && session.errors?.length && acc.failed === 0) acc.failed++;
      }
      const skipped = acc.skipped ? `, ${acc.skipped} skipped` : '';
      // scripts/test.js labels each engine's run (`browser (firefox, production build)`) and prints the total.
      const label = process.env.WTR_SUMMARY_LABEL || 'tests';
      const line = `${label}: ${acc.passed} passed, ${acc.failed} failed${skipped}`;
      // Printed at exit so it is the last line, after WTR's own block.
      process.once('exit', () => writeSync(1, `${line}\n`));
    },
  };
}
