// Runs the Node-side tests (server/, simulator/, demo/, the examples, the package), then the browser suite
// in Chromium (Lit's development build), Firefox and WebKit (its production build, the one the
// bundle ships), one engine at a time, and the forced-colours tests once more in Firefox started in a
// contrast theme; then prints one line that counts all: `tests: N passed, N failed`.
// TEST_ENGINES=chromium (comma-separated) runs only those engines.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

function run(command, args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const count = (output, pattern) => Number(output.match(pattern)?.[1] ?? 0);

// TypeScript tests run through tsx; most of them wait on sockets, so four files run at a time.
// examples/frameworks.test.js installs each framework example from the packed package (npm).
const nodeTestFiles = ['server/test', 'simulator/test', 'demo', 'examples', 'examples/server', 'scripts'].flatMap(
  (dir) =>
    readdirSync(dir)
      .filter((name) => /\.test\.(ts|js)$/.test(name))
      .map((name) => `${dir}/${name}`),
);
const node = await run(process.execPath, [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=4',
  // A test (or hook) that hangs fails after 10 minutes instead of holding CI to its limit; the
  // slowest, a framework example's install and build, takes a few.
  '--test-timeout=600000',
  '--test-reporter=spec',
  ...nodeTestFiles,
]);
const nodePassed = count(node.output, /ℹ pass (\d+)/);
const nodeFailed = count(node.output, /ℹ fail (\d+)/) + (node.code !== 0 && !/ℹ fail [1-9]/.test(node.output) ? 1 : 0);

// One WTR run per engine: several at once time out on 2 cores and share the e2e simulator.
// firefox-forced-colors: Firefox in a contrast theme, for test/forced-colors.test.ts alone.
const ENGINES = {
  chromium: 'development',
  firefox: 'production',
  webkit: 'production',
  'firefox-forced-colors': 'production',
};
const engines = (process.env.TEST_ENGINES || Object.keys(ENGINES).join(',')).split(',').map((e) => e.trim());
const browsers = [];
for (const engine of engines) {
  const build = ENGINES[engine] ?? 'development';
  const label = `browser (${engine}, ${build} build)`;
  const browser = await run('npx', ['web-test-runner'], {
    WTR_BROWSER: engine,
    WTR_BUILD: build,
    WTR_SUMMARY_LABEL: label,
  });
  const summary = [...browser.output.matchAll(/^(.*): (\d+) passed, (\d+) failed/gm)]
    .filter((m) => m[1] === label)
    .pop();
  const passed = Number(summary?.[2] ?? 0);
  let failed = Number(summary?.[3] ?? 0);
  // No summary line, no test at all, or a failing exit without a failed test: the runner or the
  // browser itself broke. That is a failure, never zero tests.
  if (!summary || passed + failed === 0 || (browser.code !== 0 && failed === 0)) failed++;
  browsers.push({ label, passed, failed, code: browser.code });
}

const passed = nodePassed + browsers.reduce((sum, b) => sum + b.passed, 0);
const failed = nodeFailed + browsers.reduce((sum, b) => sum + b.failed, 0);
console.log(`node: ${nodePassed} passed, ${nodeFailed} failed`);
for (const b of browsers) console.log(`${b.label}: ${b.passed} passed, ${b.failed} failed`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && node.code === 0 && browsers.every((b) => b.code === 0) ? 0 : 1);
