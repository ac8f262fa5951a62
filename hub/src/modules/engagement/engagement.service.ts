import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { In, LessThan, type EntityManager } from 'typeorm';
import { Db, isUniqueViolation } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { systemActor } from '../../shared/context';
import { badRequest, conflict, notFound, Problem, tooMany, unprocessable } from '../../shared/errors';
import { inTx } from '../../shared/tx';
import type { AuditService } from '../audit/audit.service';
import type { Card } from '../cards/cards.entity';
import type { CardsService } from '../cards/cards.service';
import type { GuestsService } from '../guests/guests.service';
import type { LedgerService } from '../ledger/ledger.service';
import type { ProgramsService } from '../programs/programs.service';
import type { TenantsService } from '../tenants/tenants.service';
import type { WalletService } from '../wallet/wallet.service';
import { frontValues } from '../wallet/wallet.rules';
import { FormRegistration, RegistrationForm, SmsCode, SmsPolicy } from './engagement.entity';
import {
  budgetDecision,
  checkAgainstForm,
  checkCode,
  consentShown,
  consentVersion,
  expiringPoints,
  generateCode,
  levelProgress,
  homePrefixes,
  linkSentText,
  localDay,
  maskPhone,
  mayRequestCode,
  phoneAllowed,
  slidingCap,
  SMS_CODE_RETENTION_MS,
  SMS_LIMITS,
  SMS_POLICY_DEFAULTS,
  smsLinkText,
  smsText,
  type LevelProgress,
} from './engagement.rules';
import {
  defaultConsent,
  formBody,
  formFieldsSchema,
  formPatch,
  linkSentResult,
  PublicRegistration,
  smsPolicyPatch,
  smsPolicyView,
  engagementNotice,
} from './engagement.schemas';
import { ConsoleSmsProvider, NO_SMS_PROVIDER_TEXT, SmsError, type SmsProvider } from './engagement.sms';

export interface EngagementDeps {
  db: Db;
  audit: AuditService;
  tenants: TenantsService;
  programs: ProgramsService;
  guests: GuestsService;
  cards: CardsService;
  ledger: LedgerService<Card>;
  wallet: WalletService;
  sms: SmsProvider;
  hubSecret: string;
  publicUrl: string;
  log: Logger;
  kick: () => void;
}

/** What the card page shows as the guest's account (see `EngagementService.account`). */
export interface CardAccount {
  locale: string;
  currency: string;
  timeZone: string;
  progress: LevelProgress | null;
  /** The last operations: the entry's kind and, when the hub wrote it, its reason code (a person's own words are not shown). */
  history: { kind: string; reason: string | null; unit: 'points' | 'minor' | 'stamps'; amount: number; at: Date }[];
  expiring: { day: string; points: number }[];
}

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
  /** What the guest agreed to on the page (kept with the registration as evidence). */
  consent?: { text: string; version: string; marketingText: string | null };
}

/**
 * Guest registration through public pages: forms per business and program, SMS verification
 * (3 codes per phone per hour, 5 attempts per code), blacklist, UTM tags, referral codes, consent;
 * then the guest's card page.
 */
export class EngagementService {
  private readonly codeKey: Buffer;
  /** The time SMS limits and codes are judged by (tests move it instead of waiting a minute). */
  now: () => Date = () => new Date();

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
  async publicForm(slug: string): Promise<{
    form: RegistrationForm;
    ctx: Ctx;
    businessName: string;
    locale: string;
    programName: string;
    timezone: string;
    currency: string;
    privacyPolicyUrl: string | null;
  }> {
    const form = await this.d.db.manager.getRepository(RegistrationForm).findOneBy({ slug: slug.toLowerCase() });
    if (!form || !form.active) throw notFound('Registration page', 'form_not_found');
    const ctx: Ctx = { businessId: form.businessId, actor: { type: 'guest', id: 'public-form', label: `form ${form.slug}` } };
    const [business, program] = await Promise.all([this.d.tenants.getBusiness(ctx), this.d.programs.get(ctx, form.programId)]);
    return {
      form,
      ctx,
      businessName: business.name,
      locale: business.locale,
      programName: program.name,
      timezone: business.timezone,
      currency: business.currency,
      privacyPolicyUrl: typeof business.settings?.privacyPolicyUrl === 'string' ? (business.settings.privacyPolicyUrl as string) : null,
    };
  }

  /** A form that exists but is switched off («акция завершена»), with its business's name and language; null otherwise. */
  async closedForm(slug: string): Promise<{ businessName: string; locale: string } | null> {
    const form = await this.d.db.manager.getRepository(RegistrationForm).findOneBy({ slug: slug.toLowerCase() });
    if (!form || form.active) return null;
    const b = await this.d.tenants.getBusiness({ businessId: form.businessId, actor: systemActor('engagement') });
    return { businessName: b.name, locale: b.locale };
  }

  /** The language of a business for its guest pages (null when there is no such business). */
  async businessLocale(businessId: string): Promise<string | null> {
    if (!/^[0-9a-f-]{36}$/i.test(businessId)) return null;
    return this.d.tenants
      .getBusiness({ businessId, actor: systemActor('engagement') })
      .then((b) => b.locale)
      .catch(() => null);
  }

  private hash(codeId: string, code: string): string {
    return createHmac('sha256', this.codeKey).update(`${codeId}:${code}`).digest('hex');
  }

  /**
   * Sends a verification code to the phone, within the business's SMS policy (allowed countries,
   * daily budget, codes per IP and per page per hour) and 3 codes per phone per hour. A blacklisted
   * phone gets the same answer as any other (nothing tells it apart), but no SMS: the stored code
   * can never match, and the refusal is audited. Only the code's hash is stored.
   */
  async requestCode(
    slug: string,
    phoneInput: string,
    meta: RequestMeta = {},
  ): Promise<{ requestId: string; expiresInSeconds: number; codeLength: number; resendAfterSeconds: number }> {
    const f = await this.publicForm(slug);
    if (!f.form.smsVerification) throw conflict('sms_not_required', 'This page registers without an SMS code');
    const phone = this.d.guests.phone(phoneInput);
    const code = generateCode();
    const { row, blacklisted } = await this.admitSms(f, phone, meta, code);
    if (!blacklisted) await this.send(row, phone, smsText(code, f.businessName, f.locale), meta);
    f.ctx.actor.ip = meta.ip;
    return {
      requestId: row.id,
      expiresInSeconds: SMS_LIMITS.ttlMinutes * 60,
      codeLength: SMS_LIMITS.codeLength,
      resendAfterSeconds: SMS_LIMITS.resendAfterSeconds,
    };
  }

  /** Sends one SMS for a stored row; a failed send removes the row (the phone may ask again). */
  private async send(row: SmsCode, phone: string, text: string, meta: RequestMeta): Promise<void> {
    try {
      await this.d.sms.send({ to: phone, text, ip: meta.ip });
    } catch (e) {
      await this.d.db.manager.getRepository(SmsCode).delete({ id: row.id });
      this.d.log.warn({ provider: this.d.sms.name, to: maskPhone(phone), err: e instanceof Error ? e.message : String(e) }, 'SMS failed');
      if (e instanceof SmsError && e.permanent) throw unprocessable('sms_rejected', 'An SMS cannot be sent to this number');
      throw new Problem(502, 'sms_failed', 'The SMS could not be sent; try again in a minute');
    }
  }

  /** The policy row of a business, created with the defaults on first use (a concurrent creation is fine). */
  private async ensurePolicy(businessId: string): Promise<void> {
    const repo = this.d.db.manager.getRepository(SmsPolicy);
    if (await repo.existsBy({ businessId })) return;
    try {
      await this.d.db.transaction((tx) =>
        tx
          .getRepository(SmsPolicy)
          .insert(
            tx.getRepository(SmsPolicy).create({ businessId, ...SMS_POLICY_DEFAULTS, allowedPrefixes: null, day: null, sentOnDay: 0, exhaustedAt: null }),
          ),
      );
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
    }
  }

  private prefixesOf(policy: Pick<SmsPolicy, 'allowedPrefixes'>, currency: string): string[] | null {
    return policy.allowedPrefixes ?? homePrefixes(currency);
  }

  /**
   * Decides whether one more SMS may go out for the form, and records it. Everything is counted in
   * the database under the business's policy row lock (`FOR UPDATE` on MySQL/MariaDB; SQLite has a
   * single writer), so concurrent requests, on one hub or several, never overshoot a cap. The order
   * of the checks does not depend on who the phone belongs to; the blacklist is looked at last and
   * changes nothing in the answer. `code` null: a card-link SMS (nothing to verify).
   */
  private async admitSms(
    f: { form: RegistrationForm; timezone: string; currency: string },
    phone: string,
    meta: RequestMeta,
    code: string | null,
  ): Promise<{ row: SmsCode; blacklisted: boolean }> {
    const { form } = f;
    const businessId = form.businessId;
    await this.ensurePolicy(businessId);
    const now = this.now();
    const ip = meta.ip?.slice(0, 64) ?? null;
    const guestCtx: Ctx = { businessId, actor: { type: 'guest', id: 'anonymous', label: maskPhone(phone), ip: meta.ip } };
    type Decided =
      | { row: SmsCode; blacklisted: boolean; refused?: undefined }
      | { refused: 'country' }
      | { refused: 'budget' | 'phone' | 'cooldown'; retryAfterSeconds: number }
      | { refused: 'ip' | 'form'; retryAfterSeconds: number; cap: number };
    const decided = await this.d.db.transaction(async (tx): Promise<Decided> => {
      await tx.query(`SELECT id FROM engagement_sms_policies WHERE businessId = ?${this.d.db.forUpdate}`, [businessId]);
      const policies = tx.getRepository(SmsPolicy);
      const policy = (await policies.findOneBy({ businessId }))!;
      if (!phoneAllowed(phone, this.prefixesOf(policy, f.currency))) return { refused: 'country' };
      const budget = budgetDecision(policy, now, f.timezone);
      if (!budget.ok) {
        if (budget.firstRefusal) {
          await policies.update({ id: policy.id }, { day: localDay(now, f.timezone), sentOnDay: policy.dailyBudget, exhaustedAt: now });
          await this.d.audit.record({ businessId, actor: { type: 'system', id: 'engagement', label: 'SMS budget', ip: meta.ip } }, tx, {
            action: 'sms.daily_budget_reached',
            targetType: 'sms_policy',
            targetId: policy.id,
            after: { dailyBudget: policy.dailyBudget, day: localDay(now, f.timezone), formId: form.id },
          });
        }
        return { refused: 'budget' as const, retryAfterSeconds: budget.retryAfterSeconds };
      }
      const codes = tx.getRepository(SmsCode);
      const hourAgo = new Date(now.getTime() - 3600_000);
      const newest = async (where: string, params: Record<string, unknown>, cap: number) =>
        (
          await codes
            .createQueryBuilder('c')
            .select(['c.id', 'c.createdAt'])
            .where(`${where} AND c.createdAt > :since`, { ...params, since: hourAgo })
            .orderBy('c.createdAt', 'DESC')
            .limit(cap)
            .getMany()
        ).map((r) => r.createdAt);
      if (ip) {
        const byIp = slidingCap(
          await newest('c.businessId = :b AND c.ip = :ip', { b: businessId, ip }, policy.codesPerIpPerHour),
          policy.codesPerIpPerHour,
          now,
        );
        if (!byIp.ok) return { refused: 'ip' as const, retryAfterSeconds: byIp.retryAfterSeconds, cap: policy.codesPerIpPerHour };
      }
      const byForm = slidingCap(await newest('c.formId = :f', { f: form.id }, policy.codesPerFormPerHour), policy.codesPerFormPerHour, now);
      if (!byForm.ok) return { refused: 'form' as const, retryAfterSeconds: byForm.retryAfterSeconds, cap: policy.codesPerFormPerHour };
      const byPhone = mayRequestCode(await newest('c.businessId = :b AND c.phone = :p', { b: businessId, p: phone }, SMS_LIMITS.codesPerHour), now);
      // A second code within the resend cooldown is refused before the hourly cap, and records nothing.
      if (!byPhone.ok)
        return { refused: byPhone.reason === 'cooldown' ? ('cooldown' as const) : ('phone' as const), retryAfterSeconds: byPhone.retryAfterSeconds };
      const blacklisted = await this.d.guests.isBlacklisted(tx, businessId, phone);
      const row = codes.create({
        businessId,
        formId: form.id,
        phone,
        // '-' never equals a 64-hex HMAC: a code that was not sent (blacklisted phone) or a card link can never be entered.
        codeHash: '-',
        attempts: 0,
        expiresAt: new Date(now.getTime() + SMS_LIMITS.ttlMinutes * 60_000),
        verifiedAt: null,
        usedAt: code ? null : now,
        ip,
        createdAt: now,
        updatedAt: now,
      });
      if (code && !blacklisted) row.codeHash = this.hash(row.id, code);
      await codes.insert(row);
      await policies.update({ id: policy.id }, { day: localDay(now, f.timezone), sentOnDay: budget.sentToday + 1, exhaustedAt: null });
      if (blacklisted)
        await this.d.audit.record(guestCtx, tx, {
          action: 'sms.blacklisted_phone',
          targetType: 'form',
          targetId: form.id,
          after: { phone: maskPhone(phone), sent: false },
        });
      return { row, blacklisted };
    });
    if (!decided.refused) return decided;
    switch (decided.refused) {
      case 'country':
        throw new Problem(422, 'phone_country_not_allowed', 'This page accepts phone numbers of the countries the business serves', [
          { field: 'phone', message: 'Not a number of an allowed country' },
        ]);
      case 'budget':
        throw tooMany('sms_budget_exhausted', 'Registration by SMS is paused for today: the business reached its daily SMS limit. Try again tomorrow.', {
          retryAfterSeconds: decided.retryAfterSeconds,
        });
      case 'ip':
      case 'form':
        this.d.log.warn({ formId: form.id, ip, cap: decided.refused }, 'SMS cap reached');
        throw tooMany(
          decided.refused === 'ip' ? 'sms_ip_limit' : 'sms_form_limit',
          `Too many codes were requested ${decided.refused === 'ip' ? 'from this network' : 'on this page'} in the last hour; try again in ${Math.ceil(decided.retryAfterSeconds / 60)} min`,
          { retryAfterSeconds: decided.retryAfterSeconds },
        );
      case 'cooldown':
        throw tooMany('sms_cooldown', `A code was sent to this phone a moment ago; ask for another in ${decided.retryAfterSeconds} s`, {
          retryAfterSeconds: decided.retryAfterSeconds,
        });
      case 'phone':
        await this.d.audit.recordAlone(guestCtx, {
          action: 'sms.code_limit_reached',
          targetType: 'form',
          targetId: form.id,
          after: { phone: maskPhone(phone) },
        });
        throw tooMany(
          'sms_limit',
          `At most ${SMS_LIMITS.codesPerHour} codes per hour for one phone; try again in ${Math.ceil(decided.retryAfterSeconds / 60)} min`,
          {
            retryAfterSeconds: decided.retryAfterSeconds,
          },
        );
    }
  }

  /** Checks the code: wrong attempts are counted (and committed) even though the call fails. */
  private async verifyCode(form: RegistrationForm, phone: string, requestId: string | undefined, code: string | undefined): Promise<string> {
    if (!requestId || !code) {
      throw badRequest('code_required', 'Enter the code from the SMS', [
        { field: requestId ? 'code' : 'requestId', message: 'Required: request a code first' },
      ]);
    }
    const now = this.now();
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
   * CardsService emit guest.registered and card.issued).
   *
   * With SMS verification, the code proves the phone: a phone registered already gets its card
   * back; a blacklisted phone never gets a code that matches, so it fails like any wrong code.
   *
   * Without SMS verification nobody has proved the phone, so the answer is the same for every
   * phone (`link_sent`): the card link goes by SMS to the phone, never to whoever filled the form.
   * A new phone is registered; a registered one keeps its profile untouched and is texted its card;
   * a blacklisted one gets nothing (audited). So the form tells no one whether a phone is known and
   * hands nobody another person's card.
   */
  async register(
    slug: string,
    body: PublicRegistration,
    meta: RequestMeta = {},
  ): Promise<{ guestId: string; cardId: string; cardUrl: string; existing: boolean; referralIgnored?: boolean } | z.infer<typeof linkSentResult>> {
    const f = await this.publicForm(slug);
    const { form, ctx } = f;
    ctx.actor.ip = meta.ip;
    const { problems, attributes } = checkAgainstForm(form, body);
    if (problems.length) throw badRequest('validation_failed', `The request is not valid: ${problems.map((p) => p.field).join(', ')}`, problems);
    const consentText = consentShown(form, f.businessName, f.locale);
    meta = {
      ...meta,
      consent: {
        text: consentText,
        version: consentVersion(consentText),
        marketingText: form.marketingConsentText && body.marketingConsent ? form.marketingConsentText : null,
      },
    };
    const phone = this.d.guests.phone(body.phone);
    if (!form.smsVerification) return this.registerByLink(f, body, phone, attributes, meta);
    const codeId = await this.verifyCode(form, phone, body.requestId, body.code);
    // Only someone who holds the phone gets here: telling them it is blacklisted reveals nothing new.
    if (await this.d.guests.isBlacklisted(this.d.db.manager, form.businessId, phone))
      throw new Problem(403, 'phone_blacklisted', 'This phone number cannot register');
    const consentAt = new Date();
    const utm = body.utm && Object.keys(body.utm).length ? (body.utm as Record<string, string>) : null;

    const existingGuest = await this.d.guests.findByPhone(ctx, phone);
    let guestId: string;
    let cardId: string;
    let existing = false;
    let referralIgnored = false;
    if (existingGuest && existingGuest.status === 'active') {
      existing = true;
      guestId = existingGuest.id;
      cardId = await this.cardFor(ctx, form.programId, guestId);
      await this.d.db.transaction(async (tx) => {
        await tx.getRepository(SmsCode).update({ id: codeId }, { usedAt: new Date() });
        await this.recordRegistration(tx, form, { guestId, cardId, existingGuest: true, utm, referralCode: null, consentAt, meta });
      });
    } else {
      try {
        ({ guestId, cardId } = await this.createGuest(ctx, form, body, phone, attributes, utm, consentAt, meta, codeId));
      } catch (e) {
        // A link's unknown or own invite code never blocks a registration: the card is issued without it.
        if (!(e instanceof Problem && body.referralCode && (e.code === 'unknown_referral_code' || e.code === 'self_referral'))) throw e;
        ({ guestId, cardId } = await this.createGuest(ctx, form, { ...body, referralCode: undefined }, phone, attributes, utm, consentAt, meta, codeId));
        referralIgnored = true;
      }
    }
    this.d.kick();
    return { guestId, cardId, cardUrl: this.d.wallet.cardPageUrl(form.businessId, cardId), existing, ...(referralIgnored ? { referralIgnored } : {}) };
  }

  /**
   * «Уже есть карта?»: the card link of a phone's guest. With SMS verification the code proves the
   * phone, so the answer may say there is no card (404 no_card). Without it the answer is the same
   * for every phone (`link_sent`): a member's link goes to the phone by SMS, nobody else learns a thing.
   */
  async recoverCard(
    slug: string,
    body: { phone: string; requestId?: string; code?: string },
    meta: RequestMeta = {},
  ): Promise<{ cardUrl: string } | z.infer<typeof linkSentResult>> {
    const f = await this.publicForm(slug);
    const { form, ctx } = f;
    ctx.actor.ip = meta.ip;
    const phone = this.d.guests.phone(body.phone);
    if (!form.smsVerification) {
      const answer = { status: 'link_sent' as const, detail: linkSentText(f.locale) };
      const { row, blacklisted } = await this.admitSms(f, phone, meta, null);
      const known = blacklisted ? null : await this.d.guests.findByPhone(ctx, phone);
      const mine =
        known && known.status === 'active'
          ? (await this.d.cards.listForGuest(ctx, known.id)).find((c) => c.programId === form.programId && c.status !== 'deleted')
          : undefined;
      // The SMS slot stays counted either way, so caps and budget behave the same for every phone.
      if (!mine) return answer;
      await this.send(row, phone, smsLinkText(this.d.wallet.cardPageUrl(form.businessId, mine.id), f.businessName, f.locale), meta);
      return answer;
    }
    const codeId = await this.verifyCode(form, phone, body.requestId, body.code);
    const known = await this.d.guests.findByPhone(ctx, phone);
    const mine =
      known && known.status === 'active'
        ? (await this.d.cards.listForGuest(ctx, known.id)).find((c) => c.programId === form.programId && c.status !== 'deleted')
        : undefined;
    await this.d.db.manager.getRepository(SmsCode).update({ id: codeId }, { usedAt: new Date() });
    if (!mine) throw new Problem(404, 'no_card', 'There is no card for this phone: register to get one');
    return { cardUrl: this.d.wallet.cardPageUrl(form.businessId, mine.id) };
  }

  /** The guest's active card of the program, issued when they have none. */
  private async cardFor(ctx: Ctx, programId: string, guestId: string): Promise<string> {
    const cards = await this.d.cards.listForGuest(ctx, guestId);
    const mine = cards.find((c) => c.programId === programId && c.status === 'active');
    return mine ? mine.id : (await this.d.cards.issue(ctx, programId, guestId)).id;
  }

  private async createGuest(
    ctx: Ctx,
    form: RegistrationForm,
    body: PublicRegistration,
    phone: string,
    attributes: Record<string, string | number | boolean | null>,
    utm: Record<string, string> | null,
    consentAt: Date,
    meta: RequestMeta,
    codeId: string | null,
  ): Promise<{ guestId: string; cardId: string }> {
    return this.d.db.transaction(async (tx) => {
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
  }

  /** Registration on a page without SMS verification: see `register`. */
  private async registerByLink(
    f: Awaited<ReturnType<EngagementService['publicForm']>>,
    body: PublicRegistration,
    phone: string,
    attributes: Record<string, string | number | boolean | null>,
    meta: RequestMeta,
  ): Promise<z.infer<typeof linkSentResult>> {
    const { form } = f;
    const answer = { status: 'link_sent' as const, detail: linkSentText(f.locale) };
    // The same caps and budget as codes, checked before anything depends on the phone's state.
    const { row, blacklisted } = await this.admitSms(f, phone, meta, null);
    if (blacklisted) return answer;
    const consentAt = new Date();
    const utm = body.utm && Object.keys(body.utm).length ? (body.utm as Record<string, string>) : null;
    let cardId: string;
    try {
      cardId = await this.linkCard(f, body, phone, attributes, utm, consentAt, meta);
    } catch (e) {
      // Whatever refuses it (a referral code, a card state) must not tell the sender about the phone.
      if (!(e instanceof Problem)) throw e;
      this.d.log.warn({ formId: form.id, to: maskPhone(phone), code: e.code }, 'registration by link refused; nothing sent');
      return answer;
    }
    this.d.kick();
    await this.send(row, phone, smsLinkText(this.d.wallet.cardPageUrl(form.businessId, cardId), f.businessName, f.locale), meta);
    return answer;
  }

  /** The card a link registration texts: the known guest's (profile untouched) or a new guest's. */
  private async linkCard(
    f: Awaited<ReturnType<EngagementService['publicForm']>>,
    body: PublicRegistration,
    phone: string,
    attributes: Record<string, string | number | boolean | null>,
    utm: Record<string, string> | null,
    consentAt: Date,
    meta: RequestMeta,
  ): Promise<string> {
    const { form, ctx } = f;
    const known = await this.d.guests.findByPhone(ctx, phone);
    if (known && known.status === 'active') {
      const cardId = await this.cardFor(ctx, form.programId, known.id);
      await this.d.db.transaction((tx) =>
        this.recordRegistration(tx, form, { guestId: known.id, cardId, existingGuest: true, utm, referralCode: null, consentAt, meta }),
      );
      return cardId;
    }
    try {
      return (await this.createGuest(ctx, form, body, phone, attributes, utm, consentAt, meta, null)).cardId;
    } catch (e) {
      if (!(e instanceof Problem)) throw e;
      // A referral code that is unknown (or the phone's own) would answer differently for a new phone: register without it.
      if (body.referralCode && (e.code === 'unknown_referral_code' || e.code === 'self_referral'))
        return (await this.createGuest(ctx, form, { ...body, referralCode: undefined }, phone, attributes, utm, consentAt, meta, null)).cardId;
      // Registered a moment ago by a concurrent request: text that guest's card like any known phone.
      if (e.code !== 'guest_exists') throw e;
      const again = await this.d.guests.findByPhone(ctx, phone);
      if (!again) throw e;
      return this.cardFor(ctx, form.programId, again.id);
    }
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
        consentText: r.meta.consent?.text ?? null,
        consentVersion: r.meta.consent?.version ?? null,
        marketingConsentText: r.meta.consent?.marketingText ?? null,
        ip: r.meta.ip?.slice(0, 64) ?? null,
        userAgent: r.meta.userAgent?.slice(0, 300) ?? null,
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // SMS policy, console notices, privacy
  // -------------------------------------------------------------------------------------------

  private policyOut(
    p: Pick<SmsPolicy, 'dailyBudget' | 'codesPerIpPerHour' | 'codesPerFormPerHour' | 'allowedPrefixes' | 'day' | 'sentOnDay' | 'exhaustedAt'>,
    b: { timezone: string; currency: string },
  ) {
    const today = localDay(new Date(), b.timezone);
    const current = p.day === today;
    return {
      dailyBudget: p.dailyBudget,
      codesPerIpPerHour: p.codesPerIpPerHour,
      codesPerFormPerHour: p.codesPerFormPerHour,
      allowedPrefixes: p.allowedPrefixes,
      effectivePrefixes: this.prefixesOf(p, b.currency),
      today: { day: today, sent: current ? p.sentOnDay : 0, exhaustedAt: current ? p.exhaustedAt : null },
    } satisfies z.infer<typeof smsPolicyView>;
  }

  /** The business's SMS policy and today's spending (defaults until it is first changed or used). */
  async smsPolicy(ctx: Ctx): Promise<z.infer<typeof smsPolicyView>> {
    const b = await this.d.tenants.getBusiness(ctx);
    const row = await this.d.db.manager.getRepository(SmsPolicy).findOneBy({ businessId: ctx.businessId });
    return this.policyOut(row ?? { ...SMS_POLICY_DEFAULTS, allowedPrefixes: null, day: null, sentOnDay: 0, exhaustedAt: null }, b);
  }

  /** Changes the SMS policy. Raising the budget after it ran out reopens registration at once. */
  async updateSmsPolicy(ctx: Ctx, patch: z.infer<typeof smsPolicyPatch>): Promise<z.infer<typeof smsPolicyView>> {
    await this.ensurePolicy(ctx.businessId);
    const b = await this.d.tenants.getBusiness(ctx);
    return inTx(this.d.db, ctx, async (tx) => {
      await tx.query(`SELECT id FROM engagement_sms_policies WHERE businessId = ?${this.d.db.forUpdate}`, [ctx.businessId]);
      const repo = tx.getRepository(SmsPolicy);
      const p = (await repo.findOneBy({ businessId: ctx.businessId }))!;
      const before = this.policyOut(p, b);
      const next: Partial<SmsPolicy> = {
        ...(patch.dailyBudget !== undefined ? { dailyBudget: patch.dailyBudget } : {}),
        ...(patch.codesPerIpPerHour !== undefined ? { codesPerIpPerHour: patch.codesPerIpPerHour } : {}),
        ...(patch.codesPerFormPerHour !== undefined ? { codesPerFormPerHour: patch.codesPerFormPerHour } : {}),
        ...(patch.allowedPrefixes !== undefined ? { allowedPrefixes: patch.allowedPrefixes } : {}),
      };
      if (patch.dailyBudget !== undefined && patch.dailyBudget > p.sentOnDay) next.exhaustedAt = null;
      Object.assign(p, next);
      if (Object.keys(next).length) await repo.update({ id: p.id }, next);
      const after = this.policyOut(p, b);
      await this.d.audit.record(ctx, tx, { action: 'engagement.sms_policy_updated', targetType: 'sms_policy', targetId: p.id, before, after });
      return after;
    });
  }

  /**
   * What the console should warn about: today's SMS budget ran out (registration by SMS is paused),
   * and active pages that register without SMS verification.
   */
  async notices(ctx: Ctx): Promise<z.infer<typeof engagementNotice>[]> {
    const out: z.infer<typeof engagementNotice>[] = [];
    const policy = await this.smsPolicy(ctx);
    if (policy.today.exhaustedAt)
      out.push({
        code: 'sms_budget_exhausted',
        severity: 'error',
        detail: `Today's SMS budget (${policy.dailyBudget}) is spent: guests cannot get codes until midnight. Raise the budget if this is real demand; a sudden spike is usually SMS pumping.`,
      });
    const forms = await this.listForms(ctx);
    if (this.d.sms.name === 'console' && forms.some((f) => f.active && f.smsVerification)) {
      out.push({
        code: 'sms_provider_missing',
        severity: 'error',
        detail: NO_SMS_PROVIDER_TEXT,
      });
      // Development only (one developer, one hub: the outbox is the whole hub's): the owner sees the codes it would have sent.
      const outbox = this.d.sms instanceof ConsoleSmsProvider && this.d.sms.development ? this.d.sms.outbox : [];
      if (outbox.length)
        out.push({
          code: 'sms_dev_outbox',
          severity: 'warning',
          detail: `Development outbox (not sent): ${outbox
            .slice(0, 5)
            .map((m) => `${m.to}: ${m.text}`)
            .join(' · ')}`,
        });
    }
    for (const f of forms) {
      if (f.active && !f.smsVerification)
        out.push({
          code: 'sms_verification_off',
          severity: 'warning',
          formId: f.id,
          slug: f.slug,
          detail: `The page /join/${f.slug} registers without SMS verification: anyone can enrol a phone that is not theirs (the card link still goes only to the phone by SMS).`,
        });
    }
    return out;
  }

  /**
   * Erasure of a guest (called by the guests module inside its erase transaction): the SMS codes
   * sent to the phone (with the requesting IPs) are deleted, and the IP and browser kept with the
   * guest's registrations as consent evidence are cleared.
   */
  async redactGuest(ctx: Ctx, tx: EntityManager, guest: { guestId: string; phone: string | null }): Promise<void> {
    if (guest.phone) await tx.getRepository(SmsCode).delete({ businessId: ctx.businessId, phone: guest.phone });
    await tx.getRepository(FormRegistration).update({ businessId: ctx.businessId, guestId: guest.guestId }, { ip: null, userAgent: null });
  }

  /**
   * Retention: SMS codes (phone, IP) are deleted a day after they were sent. The caps count only
   * the last hour; the day leaves support time to look into a complaint. Returns how many.
   */
  async purgeExpiredCodes(now = new Date()): Promise<number> {
    const before = new Date(now.getTime() - SMS_CODE_RETENTION_MS);
    let total = 0;
    for (;;) {
      const ids = (await this.d.db.manager.getRepository(SmsCode).find({ select: { id: true }, where: { createdAt: LessThan(before) }, take: 1000 })).map(
        (r) => r.id,
      );
      if (!ids.length) return total;
      await this.d.db.transaction((tx) => tx.getRepository(SmsCode).delete({ id: In(ids) }));
      total += ids.length;
      if (ids.length < 1000) return total;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Card page
  // -------------------------------------------------------------------------------------------

  /** What the guest's card page shows; the link's token is the capability (else 404). */
  async cardPage(businessId: string, cardId: string, token: string | undefined) {
    const { ctx, card } = await this.d.wallet.cardByAccess(businessId, cardId, token);
    const [content, availability, links, images] = await Promise.all([
      this.d.wallet.content(ctx, card),
      this.d.wallet.availability(ctx),
      this.d.wallet.cardLinks(ctx, cardId),
      this.d.wallet.images(ctx, card.programId),
    ]);
    // The uploaded logo, the same file the pass shows (the web card and the pass agree).
    const logo = images.find((i) => i.slot === 'logo');
    const logoUrl = logo ? this.d.wallet.imageUrl(businessId, card.programId, 'logo', logo.sha1) : null;
    // The guest's own invite code (only on an active card of an active guest).
    const guest = card.guestId && card.status === 'active' ? await this.d.guests.get(ctx, card.guestId).catch(() => null) : null;
    const inviteCode = guest && guest.status === 'active' ? guest.referralCode : null;
    const form = inviteCode
      ? await this.d.db.manager
          .getRepository(RegistrationForm)
          .findOne({ where: { businessId, programId: card.programId, active: true }, order: { createdAt: 'ASC' } })
      : null;
    const joinUrl = form ? `${this.d.publicUrl}/join/${form.slug}` : null;
    const account = card.status === 'active' ? await this.account(ctx, card, content.card) : null;
    return { content, values: frontValues(content), availability, links, logoUrl, inviteCode, joinUrl, account };
  }

  /**
   * The card page as the guest's account (an active card): progress to the next level, the last
   * operations (kinds as codes, put in words by the page in the business's language) and the points
   * that expire, from the programs and ledger modules' services.
   */
  private async account(
    ctx: Ctx,
    card: Parameters<LedgerService<Card>['openLots']>[1],
    view: { kind: string; levelCode: string | null; spendMinor: number; visits: number },
  ): Promise<CardAccount> {
    const now = new Date();
    const [business, program, entries, lots] = await Promise.all([
      this.d.tenants.getBusiness(ctx),
      this.d.programs.get(ctx, card.programId),
      this.d.ledger.entries(ctx, card.id, 5),
      view.kind === 'bonus' ? this.d.ledger.openLots(this.d.db.manager, card) : Promise.resolve([]),
    ]);
    const levels = (program.levels ?? []) as { code: string; name: string; threshold: number }[];
    return {
      locale: business.locale,
      currency: business.currency,
      timeZone: business.timezone,
      progress: levelProgress(levels, program.levelPolicy ?? null, view),
      history: entries.items
        .filter((e) => e.amount !== 0)
        .map((e) => ({ kind: e.kind, reason: e.reason ?? null, unit: e.unit, amount: e.amount, at: e.createdAt })),
      expiring: expiringPoints(lots, now, business.timezone),
    };
  }

  /** For tests and tools: a context of a business acting as the system. */
  static systemCtx(businessId: string): Ctx {
    return { businessId, actor: systemActor('engagement') };
  }
}
