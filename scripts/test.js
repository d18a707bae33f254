// Runs the Node-side tests (server/, simulator/, demo/) and the browser tests (web-test-runner in
// Chromium), then prints one line that counts both: `tests: N passed, N failed`.
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
const nodeTestFiles = ['server/test', 'simulator/test', 'demo', 'examples/server'].flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => /\.test\.(ts|js)$/.test(name))
    .map((name) => `${dir}/${name}`),
);
const node = await run(process.execPath, [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=4',
  '--test-reporter=spec',
  ...nodeTestFiles,
]);
const nodePassed = count(node.output, /ℹ pass (\d+)/);
const nodeFailed = count(node.output, /ℹ fail (\d+)/) + (node.code !== 0 && !/ℹ fail [1-9]/.test(node.output) ? 1 : 0);

const browser = await run('npx', ['web-test-runner'], { WTR_SUMMARY_LABEL: 'browser' });
const summary = [...browser.output.matchAll(/^browser: (\d+) passed, (\d+) failed/gm)].pop();
const browserPassed = Number(summary?.[1] ?? 0);
// No summary line means the runner itself broke: count that as a failure.
const browserFailed = summary ? Number(summary[2]) : 1;

const passed = nodePassed + browserPassed;
const failed = nodeFailed + browserFailed + (browser.code !== 0 && browserFailed === 0 ? 1 : 0);
console.log(`node: ${nodePassed} passed, ${nodeFailed} failed`);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && node.code === 0 && browser.code === 0 ? 0 : 1);
