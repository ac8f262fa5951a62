/*
 * The SSRF guard lives in the SDK (`@loyalty/sdk` http.ts) so every outbound call of the hub and of
 * connectors uses the same one; these names stay for the connector's callers.
 */
export { isForbiddenAddress, literalHostProblem, RefusedAddressError, resolveSafely } from '@loyalty/sdk';
