/** The SDK version the templates are written against (the dependency of the generated package). */
export declare const SDK_VERSION: string;

/**
 * Writes a complete connector package for the loyalty hub into `dir` (which must be empty or absent):
 * manifest, config schema with secrets, pure translators with tests, a transport, a signed inbound
 * webhook that awards points through `ctx.hub.request`, a testkit test, README, package.json and
 * tsconfig.
 *
 * @example
 * scaffoldConnector({ id: 'acme-crm', dir: '/tmp/loyalty-connector-acme-crm' });
 */
export declare function scaffoldConnector(o: {
  /** Connector id: lower-case letters, digits and dashes. */
  id: string;
  dir: string;
  /** Package name (default `loyalty-connector-<id>`). */
  name?: string;
  /** The `@loyalty/sdk` dependency spec (default {@link SDK_VERSION}); a `file:` spec works too. */
  sdk?: string;
  /** Display name (default from the id: `acme-crm` -> `Acme Crm`). */
  title?: string;
}): { dir: string; name: string; files: string[] };
