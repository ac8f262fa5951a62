import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { Db, isUniqueViolation } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { systemActor } from '../../shared/context';
import { badRequest, conflict, notFound, Problem, tooMany, unprocessable } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import type { AuditService } from '../audit/audit.service';
import type { CardsService } from '../cards/cards.service';
import type { GuestsService } from '../guests/guests.service';
import type { ProgramsService } from '../programs/programs.service';
import type { TenantsService } from '../tenants/tenants.service';
import type { WalletService } from '../wallet/wallet.service';
import { frontValues } from '../wallet/wallet.rules';
import { FormRegistration, RegistrationForm, SmsCode } from './engagement.entity';
import { checkAgainstForm, checkCode, generateCode, mayRequestCode, maskPhone, SMS_LIMITS, smsText } from './engagement.rules';
import { defaultConsent, formBody, formFieldsSchema, formPatch, PublicRegistration } from './engagement.schemas';
import { SmsError, type SmsProvider } from './engagement.sms';

export interface EngagementDeps {
  db: Db;
  audit: AuditService;
  tenants: TenantsService;
  programs: ProgramsService;
  guests: GuestsService;
  cards: CardsService;
  wallet: WalletService;
  sms: SmsProvider;
  hubSecret: string;
  publicUrl: string;
  log: Logger;
  kick: () => void;
}

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

/**
 * Guest registration through public pages: forms per business and program, SMS verification
 * (3 codes per phone per hour, 5 attempts per code), blacklist, UTM tags, referral codes, consent;
 * then the guest's card page.
 */
export class EngagementService {
  private readonly codeKey: Buffer;

  constructor(readonly d: EngagementDeps) {
    this.codeKey = createHmac('sha256', 'loyalty-hub:sms-codes:v1').update(d.hubSecret).digest();
  }

  formOut(f: RegistrationForm) {
    return {
      id: f.id,
      programId: f.programId,
      slug: f.slug,
      url: `${this.d.publicUrl}/join/${f.slug}`,
      title: f.title,
      description: f.description,
      fields: f.fields,
      variables: f.variables,
      consentText: f.consentText,
      marketingConsentText: f.marketingConsentText,
      smsVerification: f.smsVerification,
      active: f.active,
      createdAt: f.createdAt,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Forms (console)
  // -------------------------------------------------------------------------------------------

  async listForms(ctx: Ctx): Promise<RegistrationForm[]> {
    return this.d.db.manager.getRepository(RegistrationForm).find({ where: { businessId: ctx.businessId }, order: { id: 'ASC' } });
  }

  async getForm(ctx: Ctx, id: string): Promise<RegistrationForm> {
    const f = await this.d.db.manager.getRepository(RegistrationForm).findOneBy({ id, businessId: ctx.businessId });
    if (!f) throw notFound('Form');
    return f;
  }

  async createForm(ctx: Ctx, body: z.infer<typeof formBody>): Promise<RegistrationForm> {
    const program = await this.d.programs.get(ctx, body.programId);
    const { locale } = await this.d.tenants.getBusiness(ctx);
    if (!program.active) throw conflict('program_inactive', 'This program is not active');
    try {
      return await inTx(this.d.db, ctx, async (tx) => {
        const repo = tx.getRepository(RegistrationForm);
        const f = repo.create({
          businessId: ctx.businessId,
          programId: body.programId,
          slug: body.slug,
          title: body.title,
          description: body.description ?? null,
          fields: body.fields,
          variables: body.variables,
          consentText: body.consentText ?? defaultConsent(locale),
          marketingConsentText: body.marketingConsentText ?? null,
          smsVerification: body.smsVerification,
          active: body.active,
        });
        await repo.insert(f);
        await this.d.audit.record(ctx, tx, { action: 'engagement.form_created', targetType: 'form', targetId: f.id, after: this.formOut(f) });
        return f;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('slug_taken', 'This page address is taken; choose another slug');
      throw e;
    }
  }

  async updateForm(ctx: Ctx, id: string, patch: z.infer<typeof formPatch>): Promise<RegistrationForm> {
    try {
      return await inTx(this.d.db, ctx, async (tx) => {
        const f = await tx.getRepository(RegistrationForm).findOneBy({ id, businessId: ctx.businessId });
        if (!f) throw notFound('Form');
        const before = this.formOut(f);
        const next: Partial<RegistrationForm> = {
          ...(patch.slug !== undefined ? { slug: patch.slug } : {}),
          ...(patch.title !== undefined ? { title: patch.title } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.fields !== undefined ? { fields: formFieldsSchema.parse({ ...f.fields, ...patch.fields }) } : {}),
          ...(patch.variables !== undefined ? { variables: patch.variables } : {}),
          ...(patch.consentText !== undefined ? { consentText: patch.consentText } : {}),
          ...(patch.marketingConsentText !== undefined ? { marketingConsentText: patch.marketingConsentText } : {}),
          ...(patch.smsVerification !== undefined ? { smsVerification: patch.smsVerification } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
        };
        Object.assign(f, next);
        await tx.getRepository(RegistrationForm).update({ id }, next);
        await this.d.audit.record(ctx, tx, { action: 'engagement.form_updated', targetType: 'form', targetId: id, before, after: this.formOut(f) });
        return f;
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict('slug_taken', 'This page address is taken; choose another slug');
      throw e;
    }
  }

  async registrations(ctx: Ctx, formId: string, q: { limit: number; cursor?: string }) {
    await this.getForm(ctx, formId);
    const qb = this.d.db.manager
      .getRepository(FormRegistration)
      .createQueryBuilder('r')
      .where('r.businessId = :b AND r.formId = :f', { b: ctx.businessId, f: formId })
      .orderBy('r.id', 'DESC')
      .limit(q.limit + 1);
    if (q.cursor) qb.andWhere('r.id < :cur', { cur: q.cursor });
    const rows = await qb.getMany();
    const items = rows.slice(0, q.limit);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  // -------------------------------------------------------------------------------------------
  // Public registration
  // -------------------------------------------------------------------------------------------

  /** An active form by its page slug, with the context of its business. */
  async publicForm(slug: string): Promise<{ form: RegistrationForm; ctx: Ctx; businessName: string; locale: string; programName: string }> {
    const form = await this.d.db.manager.getRepository(RegistrationForm).findOneBy({ slug: slug.toLowerCase() });
    if (!form || !form.active) throw notFound('Registration page', 'form_not_found');
    const ctx: Ctx = { businessId: form.businessId, actor: { type: 'guest', id: 'public-form', label: `form ${form.slug}` } };
    const [business, program] = await Promise.all([this.d.tenants.getBusiness(ctx), this.d.programs.get(ctx, form.programId)]);
    return { form, ctx, businessName: business.name, locale: business.locale, programName: program.name };
  }

  private hash(codeId: string, code: string): string {
    return createHmac('sha256', this.codeKey).update(`${codeId}:${code}`).digest('hex');
  }

  /**
   * Sends a verification code to the phone: refused for blacklisted phones (403) and past 3 codes
   * per hour per phone (429 with the wait). Only the code's hash is stored.
   */
  async requestCode(slug: string, phoneInput: string, meta: RequestMeta = {}): Promise<{ requestId: string; expiresInSeconds: number; codeLength: number }> {
    const { form, ctx, businessName, locale } = await this.publicForm(slug);
    if (!form.smsVerification) throw conflict('sms_not_required', 'This page registers without an SMS code');
    const phone = this.d.guests.phone(phoneInput);
    const now = new Date();
    const code = generateCode();
    const decided = await this.d.db.transaction(async (tx) => {
      // One code request per form at a time: the count and the insert cannot interleave.
      await tx.query(`SELECT id FROM engagement_forms WHERE id = ?${this.d.db.forUpdate}`, [form.id]);
      if (await this.d.guests.isBlacklisted(tx, form.businessId, phone)) return { blacklisted: true as const };
      const recent = await tx
        .getRepository(SmsCode)
        .createQueryBuilder('c')
        .select(['c.id', 'c.createdAt'])
        .where('c.businessId = :b AND c.phone = :p AND c.createdAt > :since', { b: form.businessId, p: phone, since: new Date(now.getTime() - 3600_000) })
        .getMany();
      const may = mayRequestCode(
        recent.map((r) => r.createdAt),
        now,
      );
      if (!may.ok) return { limited: may.retryAfterSeconds };
      const repo = tx.getRepository(SmsCode);
      const row = repo.create({
        businessId: form.businessId,
        formId: form.id,
        phone,
        codeHash: '',
        attempts: 0,
        expiresAt: new Date(now.getTime() + SMS_LIMITS.ttlMinutes * 60_000),
        verifiedAt: null,
        usedAt: null,
        ip: meta.ip?.slice(0, 64) ?? null,
      });
      row.codeHash = this.hash(row.id, code);
      await repo.insert(row);
      return { row };
    });
    if ('blacklisted' in decided) throw new Problem(403, 'phone_blacklisted', 'This phone number cannot register');
    if ('limited' in decided) {
      await this.d.audit.recordAlone(
        { businessId: form.businessId, actor: { type: 'guest', id: 'anonymous', label: maskPhone(phone), ip: meta.ip } },
        { action: 'sms.code_limit_reached', targetType: 'form', targetId: form.id, after: { phone: maskPhone(phone) } },
      );
      throw tooMany('sms_limit', `At most ${SMS_LIMITS.codesPerHour} codes per hour for one phone; try again in ${Math.ceil(decided.limited! / 60)} min`, {
        retryAfterSeconds: decided.limited,
      });
    }
    const row = decided.row;
    try {
      await this.d.sms.send({ to: phone, text: smsText(code, businessName, locale), ip: meta.ip });
    } catch (e) {
      await this.d.db.manager.getRepository(SmsCode).delete({ id: row.id });
      this.d.log.warn({ provider: this.d.sms.name, to: maskPhone(phone), err: e instanceof Error ? e.message : String(e) }, 'verification SMS failed');
      if (e instanceof SmsError && e.permanent) throw unprocessable('sms_rejected', 'An SMS cannot be sent to this number');
      throw new Problem(502, 'sms_failed', 'The SMS could not be sent; try again in a minute');
    }
    ctx.actor.ip = meta.ip;
    return { requestId: row.id, expiresInSeconds: SMS_LIMITS.ttlMinutes * 60, codeLength: SMS_LIMITS.codeLength };
  }

  /** Checks the code: wrong attempts are counted (and committed) even though the call fails. */
  private async verifyCode(form: RegistrationForm, phone: string, requestId: string | undefined, code: string | undefined): Promise<string> {
    if (!requestId || !code) {
      throw badRequest('code_required', 'Enter the code from the SMS', [
        { field: requestId ? 'code' : 'requestId', message: 'Required: request a code first' },
      ]);
    }
    const now = new Date();
    const verdict = await this.d.db.transaction(async (tx) => {
      const rows = await tx.query(`SELECT id FROM engagement_sms_codes WHERE id = ? AND formId = ? AND phone = ?${this.d.db.forUpdate}`, [
        requestId,
        form.id,
        phone,
      ]);
      if (!rows.length) return null;
      const repo = tx.getRepository(SmsCode);
      const c = (await repo.findOneBy({ id: requestId }))!;
      const v = checkCode(c, this.hash(c.id, code) === c.codeHash, now);
      if (v.ok) await repo.update({ id: c.id }, { verifiedAt: now });
      else if (v.code === 'wrong_code' || (v.code === 'too_many_attempts' && c.attempts < SMS_LIMITS.attemptsPerCode))
        await repo.update({ id: c.id }, { attempts: c.attempts + 1 });
      return v;
    });
    if (!verdict)
      throw badRequest('unknown_code_request', 'No code was sent to this phone for this request: request a new code', [
        { field: 'requestId', message: 'Unknown' },
      ]);
    if (verdict.ok) return requestId;
    switch (verdict.code) {
      case 'wrong_code':
        throw unprocessable('wrong_code', `The code is wrong; ${verdict.attemptsLeft} attempt(s) left`, { attemptsLeft: verdict.attemptsLeft });
      case 'too_many_attempts':
        await this.d.audit.recordAlone(
          { businessId: form.businessId, actor: { type: 'guest', id: 'anonymous', label: maskPhone(phone) } },
          { action: 'sms.code_attempts_exceeded', targetType: 'form', targetId: form.id, after: { phone: maskPhone(phone), requestId } },
        );
        throw tooMany('too_many_attempts', 'Too many wrong codes: request a new code', { attemptsLeft: 0 });
      case 'code_expired':
        throw new Problem(410, 'code_expired', 'The code has expired: request a new one');
      case 'code_used':
        throw conflict('code_used', 'This code was used already: request a new one');
    }
  }

  /**
   * Registers a guest from a public form and issues the program's card (GuestsService and
   * CardsService emit guest.registered and card.issued). A phone already registered gets its card
   * back once the SMS code proved it; without SMS verification that is refused (409).
   */
  async register(
    slug: string,
    body: PublicRegistration,
    meta: RequestMeta = {},
  ): Promise<{ guestId: string; cardId: string; cardUrl: string; existing: boolean }> {
    const { form, ctx } = await this.publicForm(slug);
    ctx.actor.ip = meta.ip;
    const { problems, attributes } = checkAgainstForm(form, body);
    if (problems.length) throw badRequest('validation_failed', `The request is not valid: ${problems.map((p) => p.field).join(', ')}`, problems);
    const phone = this.d.guests.phone(body.phone);
    if (await this.d.guests.isBlacklisted(this.d.db.manager, form.businessId, phone))
      throw new Problem(403, 'phone_blacklisted', 'This phone number cannot register');
    const codeId = form.smsVerification ? await this.verifyCode(form, phone, body.requestId, body.code) : null;
    const consentAt = new Date();
    const utm = body.utm && Object.keys(body.utm).length ? (body.utm as Record<string, string>) : null;

    const existingGuest = await this.d.guests.findByPhone(ctx, phone);
    let guestId: string;
    let cardId: string;
    let existing = false;
    if (existingGuest && existingGuest.status === 'active') {
      if (!codeId) throw conflict('guest_exists', 'This phone is registered already');
      existing = true;
      guestId = existingGuest.id;
      const cards = await this.d.cards.listForGuest(ctx, guestId);
      const mine = cards.find((c) => c.programId === form.programId && c.status === 'active');
      cardId = mine ? mine.id : (await this.d.cards.issue(ctx, form.programId, guestId)).id;
      await this.d.db.transaction(async (tx) => {
        if (codeId) await tx.getRepository(SmsCode).update({ id: codeId }, { usedAt: new Date() });
        await this.recordRegistration(tx, form, { guestId, cardId, existingGuest: true, utm, referralCode: null, consentAt, meta });
      });
    } else {
      const out = await this.d.db.transaction(async (tx) => {
        const r = await this.d.guests.register(
          { ...ctx, tx },
          {
            phone,
            name: body.name ?? null,
            birthday: body.birthday ?? null,
            email: body.email ?? null,
            gender: body.gender ?? null,
            marketingConsent: form.marketingConsentText ? (body.marketingConsent ?? false) : false,
            attributes: Object.keys(attributes).length ? attributes : undefined,
            source: 'form',
            utm: utm ?? undefined,
            referralCode: body.referralCode || undefined,
            programId: form.programId,
          },
        );
        if (!r.card) throw new Error('registration issued no card');
        if (codeId) await tx.getRepository(SmsCode).update({ id: codeId }, { usedAt: new Date() });
        await this.recordRegistration(tx, form, {
          guestId: r.guest.id,
          cardId: r.card.id,
          existingGuest: false,
          utm,
          referralCode: body.referralCode?.toUpperCase() || null,
          consentAt,
          meta,
        });
        return { guestId: r.guest.id, cardId: r.card.id };
      });
      ({ guestId, cardId } = out);
    }
    this.d.kick();
    return { guestId, cardId, cardUrl: this.d.wallet.cardPageUrl(form.businessId, cardId), existing };
  }

  private async recordRegistration(
    tx: import('typeorm').EntityManager,
    form: RegistrationForm,
    r: {
      guestId: string;
      cardId: string;
      existingGuest: boolean;
      utm: Record<string, string> | null;
      referralCode: string | null;
      consentAt: Date;
      meta: RequestMeta;
    },
  ): Promise<void> {
    const repo = tx.getRepository(FormRegistration);
    await repo.insert(
      repo.create({
        businessId: form.businessId,
        formId: form.id,
        guestId: r.guestId,
        cardId: r.cardId,
        existingGuest: r.existingGuest,
        utm: r.utm,
        referralCode: r.referralCode,
        consentAt: r.consentAt,
        ip: r.meta.ip?.slice(0, 64) ?? null,
        userAgent: r.meta.userAgent?.slice(0, 300) ?? null,
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Card page
  // -------------------------------------------------------------------------------------------

  /** What the guest's card page shows; the link's token is the capability (else 404). */
  async cardPage(businessId: string, cardId: string, token: string | undefined) {
    const { ctx, card } = await this.d.wallet.cardByAccess(businessId, cardId, token);
    const [content, availability, links] = await Promise.all([
      this.d.wallet.content(ctx, card),
      this.d.wallet.availability(ctx),
      this.d.wallet.cardLinks(ctx, cardId),
    ]);
    return { content, values: frontValues(content), availability, links };
  }

  /** For tests and tools: a context of a business acting as the system. */
  static systemCtx(businessId: string): Ctx {
    return { businessId, actor: systemActor('engagement') };
  }
}
