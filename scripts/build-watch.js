// `npm run build:watch`: keeps lib/ and dist/ fresh while you edit. One full build first, then
// tsc --watch for the element (src/ → lib/) and for the server and simulator (→ lib/server,
// lib/simulator), and the bundle (lib/ → dist/) rebuilt by `rollup -c` whenever tsc rewrites lib/.
// (Not `rollup --watch`: rollup.config.js loads modules itself, for their source maps, so rollup's
// watcher sees none of them.) Changed translations (locales/*.xlf) need `npm run localize:build`.
import { spawn, spawnSync } from 'node:child_process';
import { watch } from 'node:fs';

const bin = (name) => `node_modules/.bin/${name}`;

const first = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (first.status !== 0) process.exit(first.status ?? 1);

const watchers = [
  spawn(bin('tsc'), ['-p', 'tsconfig.json', '--watch', '--preserveWatchOutput'], { stdio: 'inherit' }),
  spawn(bin('tsc'), ['-p', 'tsconfig.node.json', '--watch', '--preserveWatchOutput'], { stdio: 'inherit' }),
];

// tsc writes a burst of files: bundle once it has been quiet for 300 ms, one rollup at a time.
let timer = null;
let bundling = false;
let again = false;
function bundle() {
  if (bundling) return void (again = true);
  bundling = true;
  spawn(bin('rollup'), ['-c'], { stdio: 'inherit' }).on('exit', () => {
    bundling = false;
    if (again) {
      again = false;
      bundle();
    }
  });
}
const libWatcher = watch('lib', (_event, file) => {
  if (!file?.endsWith('.js')) return;
  clearTimeout(timer);
  timer = setTimeout(bundle, 300);
});

let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  libWatcher.close();
  clearTimeout(timer);
  for (const child of watchers) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
}
for (const child of watchers) child.on('exit', (code) => stop(code ?? 1));
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
