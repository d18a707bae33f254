// @ts-check
// What <bankid-login> adds to each framework example's production build: the JavaScript of the app
// built from the packed package, gzip -9, with and without `import 'bankid-login/define'`.
//
//   npm run build && node examples/bundle-cost.js
//
// Prints one line per app and the script-tag bundle's own size. Needs the npm registry (and Node 22
// for Angular's CLI, fetched as in the tests).

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, childEnv, installExample, nodeForAngular, pack, run, workspace } from './harness.js';

/** Sum of raw and gzip -9 bytes of every .js file under `dir`. */
function jsBytes(/** @type {string} */ dir) {
  let raw = 0;
  let gzip = 0;
  for (const name of readdirSync(dir, { recursive: true })) {
    const file = path.join(dir, String(name));
    if (!file.endsWith('.js') || !statSync(file).isFile()) continue;
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

/** Removes the line that registers the element (its types are erased anyway). */
function withoutElement(/** @type {string} */ main) {
  const source = readFileSync(main, 'utf8');
  const stripped = source.replace(/^import 'bankid-login\/define';.*\n/m, '');
  if (stripped === source) throw new Error(`${main} does not import bankid-login/define`);
  writeFileSync(main, stripped);
}

const kb = (/** @type {number} */ bytes) => `${(bytes / 1000).toFixed(1)} kB`;

const space = workspace();
try {
  const tarball = await pack(space.dir);
  const node = await nodeForAngular(space.dir);
  const apps = [
    { name: 'vue', main: 'src/main.ts', build: ['node_modules/.bin/vite', 'build'], out: 'dist' },
    { name: 'react', main: 'src/main.tsx', build: ['node_modules/.bin/vite', 'build'], out: 'dist' },
    {
      name: 'angular',
      main: 'src/main.ts',
      build: [node, 'node_modules/@angular/cli/bin/ng.js', 'build'],
      out: 'dist/app/browser',
    },
  ];
  for (const app of apps) {
    const dir = await installExample(app.name, space.dir, tarball);
    const [command = '', ...args] = app.build;
    const build = async () => {
      await run(command.startsWith('node_modules') ? path.join(dir, command) : command, args, {
        cwd: dir,
        env: childEnv({ NG_CLI_ANALYTICS: 'false' }),
      });
      return jsBytes(path.join(dir, app.out));
    };
    const withIt = await build();
    withoutElement(path.join(dir, app.main));
    const without = await build();
    console.log(
      `${app.name}: ${kb(withIt.gzip)} gzip with the element, ${kb(without.gzip)} without: ` +
        `+${kb(withIt.gzip - without.gzip)} gzip (+${kb(withIt.raw - without.raw)} raw)`,
    );
  }
  const bundle = readFileSync(path.join(ROOT, 'dist', 'bankid-login.bundle.js'));
  console.log(
    `script tag: dist/bankid-login.bundle.js ${kb(gzipSync(bundle, { level: 9 }).length)} gzip (${kb(bundle.length)} raw)`,
  );
} finally {
  space.cleanUp();
}
