// Input is tsc's output in lib/ (npm run build runs tsc first).
import { readFileSync, existsSync } from 'node:fs';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const terserOptions = { ecma: 2021, module: true, compress: { passes: 2 }, format: { comments: false } };

// tsc's __decorate helper reads `this` at module top level, where it is undefined on purpose.
const onwarn = (warning, warn) => {
  if (warning.code !== 'THIS_IS_UNDEFINED') warn(warning);
};

/**
 * Loads each module with the source map beside it (tsc's, and the packages' own), so the bundle's
 * map leads back to the TypeScript and carries its text: the package holds no src/ to point at.
 */
const chainedSourceMaps = {
  name: 'chained-source-maps',
  load(id) {
    if (!id.endsWith('.js') || !existsSync(`${id}.map`)) return null;
    this.addWatchFile(id); // so rollup --watch still sees the change
    const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=.*$/, '');
    return { code, map: readFileSync(`${id}.map`, 'utf8') };
  },
};

export default {
  input: 'lib/define.js',
  onwarn,
  output: { file: 'dist/bankid-login.bundle.js', format: 'es', sourcemap: true },
  plugins: [chainedSourceMaps, nodeResolve({ browser: true, exportConditions: ['production'] }), terser(terserOptions)],
};
