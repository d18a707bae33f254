// Input is tsc's output in lib/ (npm run build runs tsc first).
import { nodeResolve } from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const terserOptions = { ecma: 2021, module: true, compress: { passes: 2 }, format: { comments: false } };

// tsc's __decorate helper reads `this` at module top level, where it is undefined on purpose.
const onwarn = (warning, warn) => {
  if (warning.code !== 'THIS_IS_UNDEFINED') warn(warning);
};

export default {
  input: 'lib/define.js',
  onwarn,
  output: { file: 'dist/bankid-login.bundle.js', format: 'es', sourcemap: true },
  plugins: [nodeResolve({ browser: true, exportConditions: ['production'] }), terser(terserOptions)],
};
