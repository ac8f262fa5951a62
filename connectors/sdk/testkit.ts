// `@loyalty/sdk/testkit`: run a connector against a memory hub in tests (see src/testkit.ts).
export * from './src/testkit';
