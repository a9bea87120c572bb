import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['services/**/*.test.ts', 'workflows/**/*.test.ts', 'console/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration files share one local stack on 2 cores: run files one at a time.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1', YOUFU_ENV: 'test' },
  },
});
