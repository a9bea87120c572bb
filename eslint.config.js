import tseslint from 'typescript-eslint';

const workflowBans = {
  patterns: [
    { group: ['node:*'], message: 'Workflow code must be deterministic: no Node built-ins.' },
    { group: ['pg', 'pg/*', 'kafkajs', '@grpc/grpc-js', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Workflow code must not do I/O; call an activity.' },
    { group: ['**/services/*/store*', '**/services/lib/*', '!**/services/lib/app-failure'], message: 'Workflows import only @temporalio/workflow, types and pure domain code (and lib/app-failure).' },
  ],
  paths: ['fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process', 'process', 'timers'].map((name) => ({
    name,
    message: 'Workflow code must be deterministic: no Node built-ins.',
  })),
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'protos/gen/**', '.local/**', 'console/dist/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // No deep imports across services: a service talks to another through protos/ and its gRPC API.
  // A file `depth` folders below services/<name>/ reaches services/ by climbing depth + 1 levels; from
  // there only lib/ may be entered (protos/gen and the service's own folders stay allowed).
  ...[0, 1, 2, 3].map((depth) => ({
    files: [`services/*/${'*/'.repeat(depth)}*.ts`],
    ignores: ['services/lib/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{
        regex: `^(\\.\\./){${depth + 1}}(?!lib/)[^./]|^(\\.\\./){${depth + 2}}services/(?!lib/)`,
        message: 'Use the other service through its gRPC API or events, not its code.',
      }] }],
    },
  })),
  {
    files: ['workflows/*/workflow.ts', 'workflows/*/workflows.ts', 'workflows/**/workflow*.ts', 'test/fixtures/workflows/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', workflowBans] },
  },
);
