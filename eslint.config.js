// @ts-check
/**
 * House rules: typescript-eslint's strict, type-aware rules over the tap, its tests and benchmarks, with
 * a bound on function length in src/ (the simulator excepted) so that a function that mixes several jobs
 * is caught early. `npm run lint` runs this and `prettier --check` (the format lives in package.json).
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // python/tap_crm/js/: the bundle that an editable pip install builds there (python/hatch_build.py).
  { ignores: ['dist/', 'node_modules/', '.venv/', 'src/command/generated/', 'bench/peers/', 'python/tap_crm/js/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // With noUncheckedIndexedAccess every indexed read is `T | undefined`; `!` after an index that a loop
      // bound or a prior check guarantees is the idiom, not a smell.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Numbers in messages are the common case (counts, pages, seconds).
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/simulator/**'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }] },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Mocha's idiom: `let sim: Simulator` is set in before(), and after() guards the case where before()
      // failed (`sim?.close()`), which the type does not know.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Fakes of async interfaces (a fetchPage, a clock's sleep) are async without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
