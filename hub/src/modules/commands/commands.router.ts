import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import { CommandError, commandSchemas, envelopeSchema, isCommandType, type CommandInput, type CommandType, type Envelope } from '@loyalty/sdk';
import type { Ctx } from '../../shared/context';
import { notFound, Problem } from '../../shared/errors';
import { isDbUnavailable } from '../../db/db';
import type { CardsService } from '../cards/cards.service';
import { checkoutOut, commitBody, quoteBody, refundBody, refundOut } from '../checkout/checkout.api-schemas';
import type { CheckoutService } from '../checkout/checkout.service';
import { guestOut, type GuestsService } from '../guests/guests.service';
import type { TenantsService } from '../tenants/tenants.service';

/** What the router needs to know about installations (the integrations module answers). */
export interface InstallationGate {
  /** The decrypted config of an installed and enabled connector, or undefined. */
  activeConfig(businessId: string, connectorId: string): Promise<Record<string, unknown> | undefined>;
  /** Display name of a connector of the catalog. */
  connectorName(connectorId: string): string | undefined;
}

export interface CommandRouterDeps {
  checkout: CheckoutService;
  cards: CardsService;
  guests: GuestsService;
  tenants: TenantsService;
  installations: InstallationGate;
  log: Logger;
}

type CommandHandler<K extends CommandType> = (ctx: Ctx, data: CommandInput<K>) => Promise<unknown>;
type HandlerTable = { [K in CommandType]: CommandHandler<K> };

/**
 * Parses with one of the hub's own HTTP schemas, so a command is refused exactly where the HTTP API
 * would refuse the same request (e.g. a basket whose total is not the sum of its lines).
 */
function asHttp<T>(schema: ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw invalid(r.error.issues);
}

function invalid(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Problem {
  const errors = issues.map((i) => ({ field: i.path.map(String).join('.') || 'data', message: i.message }));
  return new Problem(400, 'validation_failed', `The request is not valid: ${errors.map((e) => e.field).join(', ')}`, errors);
}

/**
 * Serves connector commands from the bus (DESIGN §6): validates the envelope and the request
 * against the SDK contract, refuses a sender that is not installed and enabled for the business,
 * and runs the command as actor `{ type: 'connector', id }` through the same service methods as the
 * HTTP POS API. Refusals travel back as `CommandError(code, message, status, details)` with the
 * HTTP API's codes; an unexpected error is logged and answered as a bare 500.
 */
export class CommandRouter {
  private readonly handlers: HandlerTable;

  constructor(private readonly d: CommandRouterDeps) {
    const { checkout, cards, guests, tenants } = d;
    const currency = (ctx: Ctx) => tenants.currency(ctx);
    this.handlers = {
      'card.lookup': async (ctx, q) => {
        const r = await cards.lookupView(ctx, q);
        // The point's value also rides on the card, where a till's translator reads the balance.
        return { ...r, card: { ...r.card, pointValueMinor: r.pointValueMinor, maxRedeemValueMinor: r.maxRedeemValueMinor } };
      },
      'checkout.quote': async (ctx, q) => {
        const { locationId: _location, ...body } = q;
        return checkout.quote(ctx, asHttp(quoteBody, body));
      },
      'checkout.commit': async (ctx, q) => {
        const { idempotencyKey, ...body } = q;
        const { checkout: c, replayed } = await checkout.commit(ctx, idempotencyKey, asHttp(commitBody, body));
        return checkoutOut(c, await currency(ctx), replayed);
      },
      'checkout.get': async (ctx, q) => checkoutOut(await checkout.get(ctx, q.checkoutId), await currency(ctx)),
      'checkout.capture': async (ctx, q) => checkoutOut(await checkout.capture(ctx, q.checkoutId), await currency(ctx)),
      'checkout.cancel': async (ctx, q) => checkoutOut(await checkout.cancel(ctx, q.checkoutId, q.reason), await currency(ctx)),
      'checkout.refund': async (ctx, q) => {
        const { checkoutId, idempotencyKey, ...body } = q;
        const { refund, replayed } = await checkout.refund(ctx, checkoutId, idempotencyKey, asHttp(refundBody, body));
        return refundOut(refund, replayed);
      },
      'checkout.refund_void': async (ctx, q) => {
        const { refund, replayed } = await checkout.voidRefund(ctx, q.checkoutId, q.refundId, q.idempotencyKey);
        return refundOut(refund, replayed);
      },
      'guest.get': async (ctx, q) => {
        const g = q.guestId ? await guests.get(ctx, q.guestId) : await guests.findByPhone(ctx, q.phone!);
        if (!g) throw notFound('Guest', 'guest_not_found');
        return guestOut(g);
      },
      'guest.upsert': async (ctx, q) => {
        const { programId, ...input } = q;
        const { guest, created } = await guests.upsertByPhone(ctx, input);
        let cardId: string | null = null;
        if (programId) {
          const existing = (await cards.listForGuest(ctx, guest.id)).find((c) => c.programId === programId && c.status === 'active');
          cardId = existing?.id ?? (await cards.issue(ctx, programId, guest.id)).id;
        }
        return { guest: guestOut(guest), created, cardId };
      },
      'guests.page': async (ctx, q) => {
        const r = await guests.page(ctx, { cursor: q.cursor, limit: q.limit, updatedSince: q.updatedSince ? new Date(q.updatedSince) : undefined });
        return { items: r.items.map(guestOut), nextCursor: r.nextCursor };
      },
    };
  }

  /** The bus's command handler: returns the reply, or throws a CommandError. */
  readonly handle = async (msg: Envelope): Promise<unknown> => {
    try {
      return await this.serve(msg);
    } catch (e) {
      throw this.toCommandError(e, msg);
    }
  };

  private async serve(msg: Envelope): Promise<unknown> {
    const env = envelopeSchema.safeParse(msg);
    if (!env.success) throw invalid(env.error.issues);
    if (!isCommandType(msg.type)) throw new Problem(400, 'unknown_command', `Unknown command ${msg.type}`);
    const sender = msg.sender;
    if (!sender) throw new Problem(401, 'unauthorized', 'The command does not name the connector that sends it');
    if (!(await this.d.installations.activeConfig(msg.businessId, sender))) {
      throw new Problem(403, 'connector_not_installed', `The connector ${sender} is not installed and enabled for this business`);
    }
    const parsed = commandSchemas[msg.type].request.safeParse(msg.data);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const ctx: Ctx = {
      businessId: msg.businessId,
      actor: { type: 'connector', id: sender, label: this.d.installations.connectorName(sender) ?? sender },
      requestId: msg.id,
    };
    const handler = this.handlers[msg.type] as CommandHandler<CommandType>;
    return handler(ctx, parsed.data as never);
  }

  private toCommandError(e: unknown, msg: Envelope): CommandError {
    if (e instanceof CommandError) return e;
    if (e instanceof Problem) {
      const details = { ...(e.extra ?? {}), ...(e.errors ? { errors: e.errors } : {}) };
      return new CommandError(e.code, e.message, e.status, Object.keys(details).length ? details : undefined);
    }
    // The database being unreachable is a 503 on the HTTP API too: the caller retries later.
    if (isDbUnavailable(e)) return new CommandError('database_unavailable', 'The service is temporarily unavailable; retry shortly', 503);
    this.d.log.error({ err: e, command: msg.type, businessId: msg.businessId, sender: msg.sender }, 'command failed');
    return new CommandError('internal_error', 'The command failed unexpectedly', 500);
  }
}
