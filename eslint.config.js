// Lint rules, including the architecture's import boundaries (docs/architecture.md):
// a service never imports electron; the renderer reaches the main process only through the
// shared contract; the repository knows nothing of racks, the catalog or the controller;
// recovery never imports the controller, and the job lock they share imports neither;
// the lab rack shares only the rack API types.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'out/',
      'release/',
      'coverage/',
      'test-results/',
      '.bench/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['scripts/**', 'bin/**', 'bench/**', 'test/**', 'lab-rack/**', 'electron/cli/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['electron/main.ts', 'electron/preload.cts', 'electron/shell/**'],
    rules: restrict(
      ['electron'],
      'Services run as plain Node: only electron/main.ts, electron/preload.cts and electron/shell/ may import electron.',
    ),
  },
  {
    files: ['electron/repository/**', 'electron/storage/**'],
    rules: restrict(
      [
        'electron',
        '**/rack/**',
        '**/catalog/**',
        '**/controller/**',
        '**/recovery/**',
        '**/vault/**',
        '**/host/**',
        '**/lab-rack/**',
      ],
      'The repository is the truth on the share: it knows nothing of racks, the catalog, the vault or the controller.',
    ),
  },
  {
    files: ['electron/job-lock/**'],
    rules: restrict(
      [
        'electron',
        '**/catalog/**',
        '**/controller/**',
        '**/recovery/**',
        '**/rack/**',
        '**/repository/**',
        '**/storage/**',
        '**/vault/**',
        '**/host/**',
        '**/cli/**',
        '**/lab-rack/**',
      ],
      'The job lock is shared by the controller and recovery: it knows only files under the profile folder, never the services that take it.',
    ),
  },
  {
    files: ['electron/recovery/**'],
    rules: restrict(
      ['electron', '**/controller/**', '**/host/**', '**/cli/**'],
      'Recovery is a sibling of the controller: what both need (the job lock) lives in its own folder.',
    ),
  },
  {
    files: ['lab-rack/**'],
    rules: restrict(
      ['**/electron/**', 'electron'],
      'The lab rack is a separate program: it shares only shared/rack-api with electron/rack/.',
    ),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...restrict(
        ['**/electron/**', 'electron', 'node:*', '**/lab-rack/**', '**/shared/rack-api*'],
        'The renderer reaches the main process only through shared/contract.',
      ),
    },
  },
);
