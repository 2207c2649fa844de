import { defineConfig } from 'vitest/config';

// Three suites with their own pace: unit tests are pure and fast, integration tests start the
// local stand-ins (dynalite, the Bot API emulator), CDK tests synthesize the whole app.
export default defineConfig({
  test: {
    setupFiles: ['tests/support/setup-env.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'cdk',
          include: ['tests/cdk/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
