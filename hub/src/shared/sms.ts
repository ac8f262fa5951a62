/**
 * The port through which verification codes leave the hub. An implementation sends one text to one
 * E.164 phone and resolves with the provider's message id, or rejects with an `SmsError`.
 */
export interface SmsProvider {
  readonly name: string;
  send(msg: { to: string; text: string; ip?: string }): Promise<{ id: string | null }>;
}

/** A provider refused or failed; `permanent` means "this number will not work", not "try later". */
export class SmsError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly providerCode?: number,
  ) {
    super(message);
    this.name = 'SmsError';
  }
}
