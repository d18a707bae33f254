// ESLint for the whole repository: typescript-eslint everywhere, plus Lit and web-component rules
// for the element. Formatting is Prettier's job (eslint-config-prettier turns style rules off).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'lib/',
      'dist/',
      'node_modules/',
      'src/generated/',
      'screenshots/',
      'custom-elements.json',
      // What building an example in place leaves behind.
      'examples/*/dist/',
      'examples/*/.angular/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  // The element and its browser tests.
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    ...lit.configs['flat/recommended'],
    languageOptions: { globals: globals.browser },
  },
  { files: ['src/**/*.ts'], ...wc.configs['flat/recommended'] },
  // The demo page's own scripts run in the browser too.
  { files: ['demo/demo.js', 'demo/phone.js'], languageOptions: { globals: globals.browser } },
  // The framework examples' own code and the script-tag example's page run in the browser.
  {
    files: ['examples/{vue,react,angular}/src/**', 'examples/html/public/**'],
    languageOptions: { globals: globals.browser },
  },
  // Everything else runs on Node.
  {
    files: [
      'server/**',
      'simulator/**',
      'demo/server.js',
      'demo/stack.js',
      'demo/*.test.js',
      'examples/**',
      'scripts/**',
      '*.js',
    ],
    languageOptions: { globals: globals.node },
  },
  // Tests may use `any` for answers they only read, and chai's property assertions (`.to.be.empty`).
  {
    files: ['test/**/*.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-unused-expressions': 'off' },
  },
  prettier,
);
