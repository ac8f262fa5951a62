export { connector } from './connector';
export { manifest } from './manifest';
export { configSchema, type AcmeConfig } from './config.schema';
export * from './translate/translation';
export * from './translate/outbound';
export * from './translate/inbound';
export * from './translate/signature';
export { AcmeClient, expectOk } from './transport/acme-client';
