import type { AxiosInstance } from 'axios';
import { PermanentError } from '@loyalty/sdk';
import type { AcmeContact, AcmeDeal } from '../translate/outbound';

/** Maps Acme's answer: 2xx ok; 4xx except 408/429 permanent (retrying cannot help); the rest transient. */
export function expectOk(status: number, what: string): void {
  if (status >= 200 && status < 300) return;
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentError(`Acme refused ${what}: HTTP ${status}`);
  throw new Error(`Acme answered ${status} to ${what}`);
}

/** The only code that speaks Acme's REST API. */
export class AcmeClient {
  constructor(
    private readonly http: AxiosInstance,
    private readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  private get headers() {
    return { authorization: `Bearer ${this.apiKey}` };
  }

  /** Idempotent upsert on our guest id; answers Acme's contact id. */
  async putContact(c: AcmeContact): Promise<string> {
    const r = await this.http.put(`${this.baseUrl}/v1/contacts/${encodeURIComponent(c.externalId)}`, c, { headers: this.headers, validateStatus: () => true });
    expectOk(r.status, 'the contact');
    return String((r.data as { id?: string }).id ?? c.externalId);
  }

  /** Acme deduplicates deals on the Idempotency-Key (we pass the event id). */
  async postDeal(d: AcmeDeal, idempotencyKey: string): Promise<void> {
    const r = await this.http.post(`${this.baseUrl}/v1/deals`, d, {
      headers: { ...this.headers, 'idempotency-key': idempotencyKey },
      validateStatus: () => true,
    });
    expectOk(r.status, 'the deal');
  }

  /** "Test connection": who the key belongs to. */
  async me(): Promise<{ status: number; account?: string }> {
    const r = await this.http.get(`${this.baseUrl}/v1/me`, { headers: this.headers, validateStatus: () => true });
    return { status: r.status, account: (r.data as { account?: string } | undefined)?.account };
  }
}
