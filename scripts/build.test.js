// @ts-check
// The bundle's build shortens names and leaves @lit/localize's id hashing out; its guards must stop
// a later change that would make either go wrong in the bundle alone (the unit tests run lib/).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rollup } from 'rollup';
import { internalFieldsStayInside, mangled, msgIdsOnly, shortNamesStayInside } from '../rollup.config.js';

/**
 * Builds `files` (path → code; the first is the input) with `plugins`; resolves to the code.
 * @param {Record<string, string>} files
 * @param {import('rollup').Plugin[]} plugins
 */
async function build(files, plugins) {
  /** @type {import('rollup').Plugin} */
  const virtual = {
    name: 'virtual',
    resolveId: (id) => (id in files ? id : null),
    load: (id) => files[id] ?? null,
  };
  const bundle = await rollup({
    input: Object.keys(files)[0],
    plugins: [...plugins, virtual], // theirs first: msgIdsOnly loads a module in place of the file
    external: ['@lit/localize'],
    onwarn: () => {},
  });
  const { output } = await bundle.generate({ format: 'es' });
  await bundle.close();
  return output[0].code;
}

const ours = '/app/lib/a.js';
const library = '/app/node_modules/some-library/index.js';

test('a msg() of ours without a literal id stops the build; one with an id passes', async () => {
  const withId = `import { msg } from '@lit/localize'; export const t = msg('Hello', { id: 'hello' });`;
  assert.match(await build({ [ours]: withId }, [msgIdsOnly]), /id: 'hello'/);
  for (const code of [
    `import { msg } from '@lit/localize'; export const t = msg('Hello');`,
    `import { msg } from '@lit/localize'; const id = 'hello'; export const t = msg('Hello', { id });`,
  ]) {
    await assert.rejects(build({ [ours]: code }, [msgIdsOnly]), /msg\(\) without a literal id/);
  }
});

test("@lit/localize's id hashing is replaced by a stub that throws", async () => {
  const hashing = '/app/node_modules/@lit/localize/internal/id-generation.js';
  const code = await build(
    { [ours]: `export { generateMsgId } from '${hashing}';`, [hashing]: 'export const generateMsgId = () => "h1";' },
    [msgIdsOnly],
  );
  assert.match(code, /throw new Error\("bankid-login: msg\(\) needs an id"\)/);
  assert.doesNotMatch(code, /"h1"/);
});

test('an internal field spelled as a string in our code, or named in a library, stops the build', async () => {
  assert.match(
    await build({ [ours]: 'export const f = (o) => o.snapshot.failure;' }, [internalFieldsStayInside]),
    /o\.snapshot\.failure/,
  );
  await assert.rejects(
    build({ [ours]: `export const f = (o) => o['failure'];` }, [internalFieldsStayInside]),
    /"failure" is spelled as a string/,
  );
  await assert.rejects(
    build({ [ours]: 'export const f = (o) => `${"snapshot"}` in o;' }, [internalFieldsStayInside]),
    /"snapshot" is spelled as a string/,
  );
  await assert.rejects(
    build({ [ours]: `export { x } from '${library}';`, [library]: 'export const x = (o) => o.effects;' }, [
      internalFieldsStayInside,
    ]),
    /uses effects: take them out of internalFields/,
  );
});

test('a private name used on another object than `this` stops the build', async () => {
  const name = mangled[0];
  assert.ok(name, 'no private names to shorten: run npm run build first');
  const inside = `export class A { ${name}() { return this.${name}; } }`;
  assert.match(await build({ [ours]: inside }, [shortNamesStayInside]), new RegExp(`this\\.${name}`));
  await assert.rejects(
    build({ [ours]: `export const f = (o) => o.${name};` }, [shortNamesStayInside]),
    /used from outside their class/,
  );
});
