import { configDefaults, defineConfig } from 'vitest/config';

// Vitest runs the helper's Vitest example suite (the project's own tests use mocha).
export default defineConfig({
  test: {
    include: ['test/runners/vitest/**/*.test.ts'],
    globalSetup: ['./internal/integration/runners/vitest-setup.ts'],
    // Watch mode: a migration or config template is not imported by any test, but changes every space.
    forceRerunTriggers: [...configDefaults.forceRerunTriggers, '**/migrations/**', '**/config.d/**', '**/pgspace.config.*'],
  },
});
