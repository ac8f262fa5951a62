import { Agent } from 'node:http';
import { send } from '../http-client';
import type { TestBusiness, TestHub } from '../harness';

export const PROBE_ROLES = ['owner', 'admin', 'marketer', 'cashier', 'terminal'] as const;
export type ProbeRole = (typeof PROBE_ROLES)[number];

/**
 * Who may call each route of the API: the least-privilege table, written down independently of the
 * route specs. `public` routes need no credential; otherwise the roles (staff session) or `terminal`
 * (POS key) that pass. The test reads every route from /v1/openapi.json: a route missing here fails
 * it, so each new route gets a deliberate line. Cashiers never page through the guest base (guests,
 * cards, blacklist, sales lists); they look one guest up exactly (`/v1/scanner/cards/lookup` by phone,
 * card number or QR) and may open that guest, their cards and their sales.
 */
export const ROLE_TABLE: Record<string, string> = {
  'POST /v1/admin/session': 'public',
  'GET /v1/admin/session': 'owner admin marketer cashier',
  'DELETE /v1/admin/session': 'public',
  'GET /v1/admin/session/probe': 'public',
  'POST /v1/admin/session/mfa': 'public',
  'POST /v1/admin/me/password': 'owner admin marketer cashier',
  'GET /v1/admin/me/security': 'owner admin marketer cashier',
  'POST /v1/admin/me/mfa': 'owner admin marketer cashier',
  'POST /v1/admin/me/mfa/confirm': 'owner admin marketer cashier',
  'POST /v1/admin/me/mfa/disable': 'owner admin marketer cashier',
  'GET /v1/admin/business': 'owner admin marketer cashier',
  'PATCH /v1/admin/business': 'owner admin',
  'GET /v1/admin/locations': 'owner admin marketer cashier',
  'POST /v1/admin/locations': 'owner admin',
  'GET /v1/admin/locations/{id}': 'owner admin marketer cashier',
  'PATCH /v1/admin/locations/{id}': 'owner admin',
  'GET /v1/admin/terminals': 'owner admin',
  'POST /v1/admin/terminals': 'owner admin',
  'POST /v1/admin/terminals/{id}/revoke': 'owner admin',
  'GET /v1/admin/staff': 'owner admin',
  'POST /v1/admin/staff': 'owner admin',
  'PATCH /v1/admin/staff/{id}': 'owner admin',
  'POST /v1/admin/staff/{id}/mfa/reset': 'owner admin',
  'GET /v1/admin/audit': 'owner admin',
  'GET /v1/admin/programs': 'owner admin marketer cashier',
  'POST /v1/admin/programs': 'owner admin marketer',
  'GET /v1/admin/programs/{id}': 'owner admin marketer cashier',
  'PATCH /v1/admin/programs/{id}': 'owner admin marketer',
  'GET /v1/admin/programs/{id}/coupons': 'owner admin marketer cashier',
  'POST /v1/admin/programs/{id}/coupons': 'owner admin marketer',
  'POST /v1/admin/programs/{id}/coupons/generate': 'owner admin marketer',
  'POST /v1/admin/coupons/{id}/status': 'owner admin marketer',
  'GET /v1/admin/guests': 'owner admin marketer',
  'POST /v1/admin/guests': 'owner admin marketer cashier',
  'GET /v1/admin/guests/count': 'owner admin marketer',
  'GET /v1/admin/guests/{id}': 'owner admin marketer cashier',
  'PATCH /v1/admin/guests/{id}': 'owner admin marketer',
  'POST /v1/admin/guests/{id}/erase': 'owner admin',
  'GET /v1/admin/blacklist': 'owner admin marketer',
  'POST /v1/admin/blacklist': 'owner admin',
  'DELETE /v1/admin/blacklist/{id}': 'owner admin',
  'POST /v1/admin/imports': 'owner admin',
  'GET /v1/admin/imports': 'owner admin',
  'GET /v1/admin/imports/{id}': 'owner admin',
  'POST /v1/admin/imports/{id}/resume': 'owner admin',
  'POST /v1/admin/imports/{id}/cancel': 'owner admin',
  'GET /v1/admin/cards': 'owner admin marketer',
  'POST /v1/admin/cards': 'owner admin marketer cashier',
  'GET /v1/admin/cards/{id}': 'owner admin marketer cashier',
  'GET /v1/admin/cards/{id}/ledger': 'owner admin marketer cashier',
  'POST /v1/admin/cards/{id}/status': 'owner admin',
  'POST /v1/admin/cards/{id}/adjustments': 'owner admin marketer',
  'POST /v1/admin/cards/{id}/level': 'owner admin marketer',
  'GET /v1/pos/cards/lookup': 'terminal',
  'POST /v1/pos/checkouts/quote': 'terminal',
  'POST /v1/pos/checkouts': 'terminal',
  'GET /v1/pos/checkouts/{id}': 'terminal',
  'POST /v1/pos/checkouts/{id}/capture': 'terminal',
  'POST /v1/pos/checkouts/{id}/cancel': 'terminal',
  'POST /v1/pos/checkouts/{id}/refunds': 'terminal',
  'POST /v1/pos/checkouts/{id}/refunds/{refundId}/void': 'terminal',
  'GET /v1/admin/checkouts': 'owner admin marketer',
  'GET /v1/admin/checkouts/totals': 'owner admin marketer',
  'GET /v1/admin/checkouts/{id}': 'owner admin marketer cashier',
  'GET /v1/scanner/cards/lookup': 'owner admin marketer cashier',
  'POST /v1/scanner/quote': 'owner admin marketer cashier',
  'POST /v1/scanner/operations': 'owner admin marketer cashier',
  'GET /v1/scanner/operations': 'owner admin marketer cashier',
  'POST /v1/scanner/operations/{id}/reverse': 'owner admin',
  'GET /v1/admin/summary': 'owner admin marketer cashier',
  'GET /v1/admin/home': 'owner admin marketer',
  'GET /v1/admin/qr': 'owner admin marketer cashier',
  'GET /v1/admin/analytics/dashboard': 'owner admin marketer',
  'GET /v1/admin/analytics/funnel': 'owner admin marketer',
  'GET /v1/admin/analytics/rfm': 'owner admin marketer',
  'POST /v1/admin/analytics/rfm/recompute': 'owner admin marketer',
  'GET /v1/admin/analytics/rfm/settings': 'owner admin marketer',
  'PUT /v1/admin/analytics/rfm/settings': 'owner admin',
  'POST /v1/admin/analytics/rebuild': 'owner admin',
  'GET /v1/admin/utm-tags': 'owner admin marketer',
  'POST /v1/admin/utm-tags': 'owner admin marketer',
  'DELETE /v1/admin/utm-tags/{id}': 'owner admin marketer',
  'GET /v1/admin/utm-tags/{id}/qr.svg': 'owner admin marketer',
  'GET /v1/admin/utm-tags/{id}/qr.png': 'owner admin marketer',
  'GET /v1/admin/reviews/settings': 'owner admin marketer',
  'PUT /v1/admin/reviews/settings': 'owner admin',
  'GET /v1/admin/reviews': 'owner admin marketer',
  'GET /v1/admin/exports/clients.csv': 'owner admin marketer',
  'GET /v1/admin/exports/purchases.csv': 'owner admin marketer',
  'GET /v1/admin/exports/history.csv': 'owner admin',
  'GET /v1/admin/exports/reviews.csv': 'owner admin marketer',
  'GET /v1/admin/integrations/catalog': 'owner admin',
  'GET /v1/admin/integrations': 'owner admin',
  'POST /v1/admin/integrations': 'owner admin',
  'GET /v1/admin/integrations/webhooks/endpoints': 'owner admin',
  'POST /v1/admin/integrations/webhooks/endpoints': 'owner admin',
  'GET /v1/admin/integrations/webhooks/endpoints/{id}': 'owner admin',
  'PATCH /v1/admin/integrations/webhooks/endpoints/{id}': 'owner admin',
  'DELETE /v1/admin/integrations/webhooks/endpoints/{id}': 'owner admin',
  'POST /v1/admin/integrations/webhooks/endpoints/{id}/rotate-secret': 'owner admin',
  'GET /v1/admin/integrations/webhooks/endpoints/{id}/deliveries': 'owner admin',
  'POST /v1/admin/integrations/webhooks/endpoints/{id}/deliveries/{deliveryId}/replay': 'owner admin',
  'GET /v1/admin/integrations/{connectorId}': 'owner admin',
  'PATCH /v1/admin/integrations/{connectorId}': 'owner admin',
  'DELETE /v1/admin/integrations/{connectorId}': 'owner admin',
  'POST /v1/admin/integrations/{connectorId}/test': 'owner admin',
  'GET /v1/admin/integrations/{connectorId}/parked': 'owner admin',
  'POST /v1/admin/integrations/{connectorId}/parked/{messageId}/replay': 'owner admin',
  'GET /v1/admin/wallet/designs/{programId}': 'owner admin marketer',
  'PUT /v1/admin/wallet/designs/{programId}': 'owner admin marketer',
  'PUT /v1/admin/wallet/designs/{programId}/images/{slot}': 'owner admin marketer',
  'DELETE /v1/admin/wallet/designs/{programId}/images/{slot}': 'owner admin marketer',
  'GET /v1/admin/wallet/apple': 'owner admin',
  'PUT /v1/admin/wallet/apple': 'owner admin',
  'DELETE /v1/admin/wallet/apple': 'owner admin',
  'GET /v1/admin/wallet/google': 'owner admin',
  'PUT /v1/admin/wallet/google': 'owner admin',
  'DELETE /v1/admin/wallet/google': 'owner admin',
  'GET /v1/admin/wallet/status': 'owner admin marketer cashier',
  'POST /v1/admin/wallet/{platform}/test-pass': 'owner admin',
  'GET /v1/admin/wallet/installs': 'owner admin marketer cashier',
  'POST /v1/admin/cards/{id}/wallet/send-link': 'owner admin marketer cashier',
  'GET /v1/admin/cards/{id}/wallet': 'owner admin marketer cashier',
  'GET /v1/admin/cards/{id}/wallet/apple.pkpass': 'owner admin marketer cashier',
  'GET /v1/public/cards/{businessId}/{cardId}/apple.pkpass': 'public',
  'GET /v1/public/cards/{businessId}/{cardId}/google': 'public',
  'GET /v1/public/wallet/images/{businessId}/{programId}/{slot}': 'public',
  'POST /v1/wallet/google/callbacks/{businessId}': 'public',
  'POST /v1/wallet/apple/v1/devices/{deviceLibraryIdentifier}/registrations/{passTypeIdentifier}/{serialNumber}': 'public',
  'DELETE /v1/wallet/apple/v1/devices/{deviceLibraryIdentifier}/registrations/{passTypeIdentifier}/{serialNumber}': 'public',
  'GET /v1/wallet/apple/v1/devices/{deviceLibraryIdentifier}/registrations/{passTypeIdentifier}': 'public',
  'GET /v1/wallet/apple/v1/passes/{passTypeIdentifier}/{serialNumber}': 'public',
  'POST /v1/wallet/apple/v1/log': 'public',
  'GET /v1/admin/engagement/forms': 'owner admin marketer',
  'POST /v1/admin/engagement/forms': 'owner admin marketer',
  'GET /v1/admin/engagement/forms/{id}': 'owner admin marketer',
  'PATCH /v1/admin/engagement/forms/{id}': 'owner admin marketer',
  'GET /v1/admin/engagement/forms/{id}/registrations': 'owner admin marketer',
  'GET /v1/admin/engagement/sms-policy': 'owner admin marketer',
  'PATCH /v1/admin/engagement/sms-policy': 'owner admin',
  'GET /v1/admin/engagement/notices': 'owner admin marketer',
  'GET /v1/public/forms/{slug}': 'public',
  'POST /v1/public/forms/{slug}/sms-codes': 'public',
  'POST /v1/public/forms/{slug}/registrations': 'public',
  'POST /v1/public/forms/{slug}/card-links': 'public',
  'GET /v1/pos/terminal': 'terminal',
};

/** Answers that mean "refused at the door": no or wrong credential, role or scope not enough. */
const REFUSAL_CODES = new Set([
  'unauthorized',
  'invalid_api_key',
  'session_expired',
  'forbidden',
  'missing_scope',
  'exact_lookup_only',
  'mfa_enrolment_required',
]);

export interface MatrixResult {
  probes: number;
  /** Route × role pairs answered against the table (or routes missing from it). */
  wrong: string[];
  routes: number;
}

/**
 * Calls every non-public route of the OpenAPI document once per role (owner, admin, marketer and
 * cashier by their session cookies, terminal by its API key) with an empty body and made-up ids, and
 * compares "passed the door" (any answer but a refusal: 200, 400 for the empty body, 404 for the
 * made-up id…) with the table. A 5xx counts as wrong too.
 */
export async function probeRoleMatrix(t: TestHub, b: TestBusiness, cookies: Record<'owner' | 'admin' | 'marketer' | 'cashier', string>): Promise<MatrixResult> {
  const url = t.url ?? (await t.listen());
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const doc = (await t.http.get('/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const wrong: string[] = [];
  const seen = new Set<string>();
  let probes = 0;
  try {
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const key = `${method.toUpperCase()} ${path}`;
        seen.add(key);
        // Connectors' inbound routes (manifest.inbound) answer vendors, who prove themselves by signature: public to the hub.
        const rule = ROLE_TABLE[key] ?? (path.startsWith('/connectors/') ? 'public' : undefined);
        if (rule === undefined) {
          wrong.push(`${key}: not in ROLE_TABLE — add a line saying who may call it`);
          continue;
        }
        if (rule === 'public') continue;
        const allowed = new Set(rule.split(' '));
        const target = url + path.replace(/\{[A-Za-z]+\}/g, '01a211f1-0000-7000-8000-00000000abcd');
        for (const role of PROBE_ROLES) {
          const headers: Record<string, string> = role === 'terminal' ? { authorization: `Bearer ${b.terminalKey}` } : { cookie: cookies[role] };
          headers['idempotency-key'] = `matrix-${probes}`;
          const body = method === 'get' || method === 'delete' ? undefined : {};
          const r = await send(target, agent, method.toUpperCase(), headers, body);
          probes++;
          const code = (r.body as { code?: string } | null)?.code ?? '';
          const refused = (r.status === 401 || r.status === 403) && REFUSAL_CODES.has(code);
          if (r.status >= 500) wrong.push(`${role} ${key} -> ${r.status}`);
          else if (refused === allowed.has(role))
            wrong.push(`${role} ${key} -> ${r.status} ${code}: the table says ${allowed.has(role) ? 'allowed' : 'refused'}`);
        }
      }
    }
    for (const key of Object.keys(ROLE_TABLE)) if (!seen.has(key)) wrong.push(`${key}: in ROLE_TABLE but not in the API any more`);
  } finally {
    agent.destroy();
  }
  return { probes, wrong, routes: seen.size };
}
