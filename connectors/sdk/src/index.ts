export * from './contracts/envelope';
export * from './contracts/events';
export * from './topic';
export * from './errors';
export * from './secret';
export * from './connector';
export * from './runtime';
