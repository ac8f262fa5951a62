import axios from 'axios';
import type { Logger } from 'pino';
import { SmsError, type SmsProvider } from '../../shared/sms';
import { maskPhone } from './engagement.rules';

// The port and its error are shared (the wallet sends texts too); the providers live here.
export { SmsError, type SmsProvider };

/**
 * The truth about a hub without an SMS provider (SMS_PROVIDER=console), said the same way by the
 * console's notice and the start banner.
 */
export const NO_SMS_PROVIDER_TEXT =
  'No SMS provider is configured (SMS_PROVIDER): verification codes reach no phone, so no guest can finish registering on a page with SMS codes. Configure SMS.ru, or turn SMS verification off for the page (the card link then waits for a provider too).';

/**
 * No SMS provider configured (the embedded default): nothing reaches a phone, so no guest can
 * finish an SMS registration — the console says so (engagement notices). In development the text
 * (with the code) goes to the hub log and to a small outbox the console shows the owner; in
 * production neither keeps the code. Only the masked number is logged, never the full phone.
 */
export class ConsoleSmsProvider implements SmsProvider {
  readonly name = 'console';
  /** The last texts "sent", newest first (development only; empty in production). */
  readonly outbox: { to: string; text: string; at: Date }[] = [];
  constructor(
    private readonly log: Logger,
    readonly development = process.env.NODE_ENV !== 'production',
  ) {}
  async send(msg: { to: string; text: string }): Promise<{ id: null }> {
    if (!this.development) {
      this.log.warn({ sms: { to: maskPhone(msg.to) } }, 'SMS not sent: no SMS provider is configured (SMS_PROVIDER)');
      return { id: null };
    }
    this.log.info({ sms: { to: maskPhone(msg.to), text: msg.text } }, 'SMS not sent (console provider): the text is shown here');
    this.outbox.unshift({ to: maskPhone(msg.to), text: msg.text, at: new Date() });
    this.outbox.length = Math.min(this.outbox.length, 10);
    return { id: null };
  }
}

export interface SmsRuOptions {
  apiId: string;
  /** https://sms.ru */
  baseUrl: string;
  from?: string;
  /** `test=1`: SMS.ru accepts and answers, but delivers nothing and charges nothing. */
  test?: boolean;
}

interface SmsRuAnswer {
  status: 'OK' | 'ERROR';
  status_code: number;
  status_text?: string;
  sms?: Record<string, { status: 'OK' | 'ERROR'; status_code: number; sms_id?: string; status_text?: string }>;
  balance?: number;
}

/** SMS.ru status codes that mean the number itself cannot receive (not worth a retry). */
const PERMANENT = new Set([202, 207, 208, 209, 230, 231, 232, 233]);

/**
 * SMS.ru (`POST {baseUrl}/sms/send`, form fields `api_id`, `to`, `msg`, `json=1`, optional `from`,
 * `test`, `ip`). The answer is JSON with a request-level `status` and one entry per number under `sms`.
 */
export class SmsRuProvider implements SmsProvider {
  readonly name = 'smsru';
  constructor(private readonly o: SmsRuOptions) {}

  async send(msg: { to: string; text: string; ip?: string }): Promise<{ id: string | null }> {
    const to = msg.to.replace(/\D/g, '');
    const form = new URLSearchParams({ api_id: this.o.apiId, to, msg: msg.text, json: '1' });
    if (this.o.from) form.set('from', this.o.from);
    if (this.o.test) form.set('test', '1');
    if (msg.ip) form.set('ip', msg.ip);
    let data: SmsRuAnswer;
    try {
      const res = await axios.post<SmsRuAnswer>(`${this.o.baseUrl.replace(/\/$/, '')}/sms/send`, form.toString(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        timeout: 10_000,
        responseType: 'json',
      });
      data = res.data;
    } catch (e) {
      throw new SmsError(`SMS.ru did not answer: ${(e as Error).message}`, false);
    }
    if (!data || typeof data !== 'object') throw new SmsError('SMS.ru answered something that is not JSON', false);
    if (data.status !== 'OK') throw new SmsError(`SMS.ru refused the request: ${data.status_code} ${data.status_text ?? ''}`.trim(), false, data.status_code);
    const one = data.sms?.[to];
    if (!one) throw new SmsError('SMS.ru answered without the number', false);
    if (one.status !== 'OK')
      throw new SmsError(`SMS.ru refused the number: ${one.status_code} ${one.status_text ?? ''}`.trim(), PERMANENT.has(one.status_code), one.status_code);
    return { id: one.sms_id ?? null };
  }
}
