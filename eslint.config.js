// typescript-eslint's type-checked recommended rules over everything TypeScript in the tree.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'src/text/text-kernel.wasm.ts', 'assembly/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Off: the stores, model homes and test doubles implement Promise-returning interfaces with
      // `async` functions that have nothing to await (SQLite answers at once); the rule would have
      // each wrap its value in Promise.resolve instead, which says less.
      '@typescript-eslint/require-await': 'off',
      // Off: the project builds objects from closures, not classes; no method reads `this`, so
      // passing `store.close` or `learner.drain` around is safe, and the rule flags every one.
      '@typescript-eslint/unbound-method': 'off',
      // A leading underscore marks a parameter a signature needs and the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Off in tests: supertest's `res.body` and parsed JSON are `any`; the tests read them to
      // assert their shape with expect, which is the check these rules would ask for.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript run by Node (the build-if-stale launcher): Node's globals, no type information.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
);
