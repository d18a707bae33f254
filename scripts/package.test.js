// @ts-check
// What `npm pack` puts in the package: everything a host needs (the bundle, lib/ with types and
// maps that carry their sources, the manifest, the READMEs, LICENSE, CHANGELOG, the commands) and
// nothing it does not (tests, the demo, examples, TypeScript sources, certificates).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pack = () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' });
  return /** @type {Array<{files: Array<{path: string}>}>} */ (JSON.parse(out))[0]?.files.map((f) => f.path) ?? [];
};

test('npm pack holds the bundle, lib/ with types, the manifest, READMEs, LICENSE and CHANGELOG; no tests, demo or sources', () => {
  const files = pack();
  for (const needed of [
    'dist/bankid-login.bundle.js',
    'dist/bankid-login.bundle.js.map',
    'lib/index.js',
    'lib/index.d.ts',
    'lib/define.js',
    'lib/define.d.ts',
    'lib/server/index.js',
    'lib/server/index.d.ts',
    'lib/server/redis.js',
    'lib/server/redis.d.ts',
    'lib/simulator/index.js',
    'lib/simulator/index.d.ts',
    'lib/simulator/command.js',
    'lib/simulator/check-command.js',
    'custom-elements.json',
    'README.md',
    'server/README.md',
    'simulator/README.md',
    'LICENSE',
    'CHANGELOG.md',
    'package.json',
  ]) {
    assert.ok(files.includes(needed), `${needed} is missing from the package`);
  }
  const unwanted = files.filter((file) =>
    /(^|\/)test\/|\.test\.[jt]s$|^demo\/|^examples\/|^src\/|^scripts\/|\.ts$(?<!\.d\.ts)|\.(pem|key|p12)$/.test(file),
  );
  assert.deepEqual(unwanted, []);
});

test('the commands in bin and every export resolve to files in the package', () => {
  const files = new Set(pack());
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  for (const target of Object.values(manifest.bin))
    assert.ok(files.has(String(target).replace(/^\.\//, '')), String(target));
  for (const entry of Object.values(manifest.exports)) {
    for (const target of typeof entry === 'string' ? [entry] : Object.values(entry)) {
      assert.ok(files.has(String(target).replace(/^\.\//, '')), `export ${target}`);
    }
  }
});

test('source maps carry their TypeScript: lib/ and the bundle map name sources and hold their text', () => {
  for (const map of ['lib/bankid-login.js.map', 'lib/server/backend.js.map', 'dist/bankid-login.bundle.js.map']) {
    const json = JSON.parse(readFileSync(new URL(`../${map}`, import.meta.url), 'utf8'));
    assert.ok(json.sources.length > 0, map);
    assert.equal(json.sourcesContent?.length, json.sources.length, `${map}: sourcesContent`);
    assert.ok(
      json.sourcesContent.every((/** @type {unknown} */ text) => typeof text === 'string' && text.length > 0),
      map,
    );
  }
  const bundle = JSON.parse(readFileSync(new URL('../dist/bankid-login.bundle.js.map', import.meta.url), 'utf8'));
  assert.ok(
    bundle.sources.some((/** @type {string} */ s) => s.endsWith('src/bankid-login.ts')),
    'the element, as TypeScript',
  );
});

test('custom-elements.json lists every attribute, part (one per action), custom property and event with its detail type', () => {
  const manifest = JSON.parse(readFileSync(new URL('../custom-elements.json', import.meta.url), 'utf8'));
  const element = manifest.modules
    .flatMap((/** @type {{declarations?: any[]}} */ m) => m.declarations ?? [])
    .find((/** @type {{tagName?: string}} */ d) => d.tagName === 'bankid-login');
  assert.ok(element, 'the element is in the manifest');
  const names = (/** @type {Array<{name: string}>} */ list) => list.map((item) => item.name).sort();
  assert.deepEqual(
    names(element.attributes),
    ['api', 'flow', 'launch-button-delay', 'lang', 'messages', 'operation', 'return-url', 'start-on-connect'].sort(),
  );
  const actions = [
    'begin',
    'launch',
    'retry',
    'cancel',
    'switch-other-device',
    'switch-this-device',
    'continue-here',
    'more-time',
    'larger-qr',
    'help-toggle',
  ];
  assert.deepEqual(names(element.cssParts), ['button', 'card', 'help', 'message', 'qr', 'steps', ...actions].sort());
  assert.deepEqual(
    names(element.cssProperties),
    ['accent', 'on-accent', 'background', 'border', 'radius', 'focus'].map((p) => `--bankid-login-${p}`).sort(),
  );
  const events = new Map(element.events.map((/** @type {any} */ e) => [e.name, e]));
  for (const [name, type] of [
    ['bankid-start', 'Start'],
    ['bankid-launch', 'Launch'],
    ['bankid-status', 'Status'],
    ['bankid-complete', 'Complete'],
    ['bankid-cancel', 'Cancel'],
    ['bankid-failed', 'Failed'],
  ]) {
    const event = /** @type {any} */ (events.get(name));
    assert.equal(event?.type?.text, `BankId${type}Event`, name);
    assert.match(event.description, new RegExp(`BankId${type}Detail`), `${name}: its detail type`);
  }
});
