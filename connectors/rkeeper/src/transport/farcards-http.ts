import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { rawBody, type InboundContext } from '@loyalty/sdk';
import type { RkeeperConfig } from '../config.schema';
import { answerFarCards } from '../farcards';
import { functionFromPath, guessFunction, parseFarCardsRequest, refusalXml, type FarCardsFunction } from '../translate/farcards';
import { REFUSALS } from '../translate/messages';
import { decodeXml } from '../translate/xml';

/** Equal in constant time whatever the lengths (both sides are hashed first). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

const BUSINESS_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * FARCARDS' HTTP endpoint: `POST /connectors/rkeeper/<businessId>/farcards?k=<key>`, the function
 * named by the document (`QRY@Card` GetCardInfoEx, `QRY@Kind` FindAccountsByKind, `Transactions`
 * TransactionsEx) or by an extra path segment (`…/farcards/getcardinfoex`, `…/transactionsex`,
 * `…/findaccountsbykind`, with or without `.php`, as the public FarCards-over-HTTP bridges name them).
 *
 * Every answer is HTTP 200 with r_keeper's own XML (Result 0/1 and the cashier's text), never a 500:
 * FARCARDS shows a transport error as "no connection", which the cashier cannot act on. The key
 * travels in the query, which the hub never logs (only paths are logged); it is compared in
 * constant time, and an unknown business answers exactly like a wrong key.
 */
export function farcardsRouter(ictx: InboundContext<RkeeperConfig>, opts: { now?: () => Date } = {}): Router {
  const router = express.Router();
  const send = (res: Response, xml: string) => void res.status(200).type('application/xml; charset=utf-8').send(xml);

  const handle = async (req: Request, res: Response): Promise<void> => {
    const businessId = String(req.params.businessId ?? '');
    const named = functionFromPath(req.params.fn as string | undefined);
    let fn: FarCardsFunction | undefined = named ?? undefined;
    try {
      const body = rawBody(req);
      const text = body.length ? decodeXml(body) : '';
      fn ??= guessFunction(text);
      const deny = () => {
        ictx.log.warn({ businessId, fn }, 'rkeeper: FarCards request refused (wrong business or key)');
        send(res, refusalXml(fn, REFUSALS.access_denied.errorCode, REFUSALS.access_denied.text));
      };
      if (named === null || !BUSINESS_ID.test(businessId)) return deny();
      const key = typeof req.query.k === 'string' ? req.query.k : '';
      const ctx = await ictx.forBusiness(businessId);
      if (!ctx || !key || !sameSecret(key, ctx.config.farcardsKey)) return deny();
      const parsed = parseFarCardsRequest(text, named);
      if (!parsed.ok) {
        ctx.log.info({ fn: parsed.fn ?? fn, reason: parsed.reason.slice(0, 200) }, 'rkeeper: FarCards request not understood');
        return send(res, refusalXml(parsed.fn ?? fn, REFUSALS.bad_request.errorCode, REFUSALS.bad_request.text));
      }
      const xml = await answerFarCards({ hub: ctx.hub, store: ctx.store, config: ctx.config, log: ctx.log, now: opts.now }, parsed.request);
      send(res, xml);
    } catch (e) {
      ictx.log.error({ businessId, fn, err: (e as Error)?.message }, 'rkeeper: FarCards request failed');
      if (!res.headersSent) send(res, refusalXml(fn, REFUSALS.internal.errorCode, REFUSALS.internal.text));
    }
  };
  router.post('/:businessId/farcards', (req, res) => void handle(req, res));
  router.post('/:businessId/farcards/:fn', (req, res) => void handle(req, res));
  return router;
}
