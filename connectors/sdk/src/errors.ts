/**
 * Thrown by a handler when retrying cannot help (the vendor rejected the payload for good, the
 * message is malformed, the configuration cannot work). The bus parks the message at once instead
 * of retrying it, and the admin console lists it for replay.
 *
 * Anything else a handler throws is treated as transient: the bus redelivers the message with a
 * growing delay and parks it only after the last retry.
 *
 * @example
 * if (res.status === 422) throw new PermanentError(`Vendor refused the guest: ${res.data.message}`);
 */
export class PermanentError extends Error {
  /** Marker the bus checks (duck-typed, so it survives copies of the SDK in different packages). */
  readonly permanent = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** True for a PermanentError (or any error carrying `permanent: true`). */
export function isPermanentError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { permanent?: unknown }).permanent === true;
}

/**
 * An expected refusal from a connector's admin route or inbound router that the host turns into an
 * HTTP problem (RFC 9457) with this status and machine-readable code.
 *
 * @example
 * throw new ConnectorProblem(404, 'endpoint_not_found', 'Webhook endpoint not found');
 */
export class ConnectorProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectorProblem';
  }

  /** True for a ConnectorProblem of any copy of the SDK (a connector package may bring its own node_modules). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return (
      Function.prototype[Symbol.hasInstance].call(this, x) ||
      (this === ConnectorProblem && typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[CONNECTOR_PROBLEM] === true)
    );
  }
}
const CONNECTOR_PROBLEM = Symbol.for('@loyalty/sdk.ConnectorProblem');
Object.defineProperty(ConnectorProblem.prototype, CONNECTOR_PROBLEM, { value: true });
