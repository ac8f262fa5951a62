export * from './contracts/envelope';
export * from './contracts/events';
export * from './topic';
