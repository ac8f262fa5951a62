import { Transform, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { In, type EntityManager } from 'typeorm';
import { Db } from '../../db/db';
import type { Ctx } from '../../shared/context';
import { badRequest, conflict, notFound, Problem } from '../../shared/errors';
import { AuditService } from '../audit/audit.service';
import type { Card } from '../cards/cards.entity';
import { makeCardNumber } from '../cards/cards.rules';
import type { CardsService } from '../cards/cards.service';
import type { LedgerEntry } from '../ledger/ledger.entity';
import type { OpeningBalancesService } from '../ledger/opening.service';
import { normalizePhone } from '../../shared/phone';
import type { ProgramsService } from '../programs/programs.service';
import { BlacklistEntry, Guest } from './guests.entity';
import { emitMany, type OutboxEvent } from '../../bus/outbox';
import { GuestImport, GuestImportChunk } from './import.entity';
import { newReferralCode } from './guests.service';
import { birthdayMonthDay } from './guests.segments';
import { acquireLease, releaseLease } from '../../jobs/lease';

export const CHUNK_ROWS = 5000;
const BATCH_ROWS = 500;
const MAX_ROWS = 2_000_000;
/** Largest CSV accepted (bytes): checked against Content-Length first, then counted while streaming. */
export const MAX_IMPORT_BYTES = 100 * 1024 * 1024;
const MAX_ERRORS = 200;
const DAY = 86_400_000;

/** Columns the import understands; any other column is kept as a guest variable (attributes). */
export const KNOWN_COLUMNS = ['phone', 'name', 'email', 'birthday', 'gender', 'consent', 'card_number', 'points', 'gift_balance', 'stamps', 'level'] as const;

class DryRunRollback extends Error {}

interface RowError {
  row: number;
  field: string;
  message: string;
}

const truthy = (v: string) => /^(1|true|yes|y|да|д)$/i.test(v.trim());
const intOf = (v: string) => (/^-?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN);

/**
 * CSV import of an existing guest base: upload (streamed, stored in chunks), dry run, progress,
 * and resume after an interruption — rows are applied in batches, each batch in one transaction
 * together with the import's progress counters, so a restart continues exactly where it stopped.
 */
export class GuestImportService {
  private readonly running = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly programs: ProgramsService,
    /** The cards and ledger modules write the imported cards and their opening balances (they own those tables). */
    private readonly cards: Pick<CardsService, 'holdersOf' | 'numbersTaken' | 'newImported' | 'insertImported'>,
    private readonly opening: OpeningBalancesService,
  ) {}

  /** Reads the CSV stream into chunks; the header row must name a `phone` column. */
  async upload(ctx: Ctx, input: Readable, opts: { programId?: string; dryRun: boolean; fileName?: string; maxBytes?: number }): Promise<GuestImport> {
    const maxBytes = opts.maxBytes ?? MAX_IMPORT_BYTES;
    const tooLarge = () => new Problem(413, 'file_too_large', `The file is larger than ${maxBytes >= 1 << 20 ? `${Math.round(maxBytes / (1 << 20))} MB` : `${Math.ceil(maxBytes / 1024)} KB`}; split it into several imports`, [{ field: 'body', message: 'File too large' }]);
    const declared = Number((input as { headers?: Record<string, unknown> }).headers?.['content-length'] ?? 0);
    if (declared > maxBytes) throw tooLarge();
    if (opts.programId) await this.programs.get(ctx, opts.programId);
    const repo = this.db.manager.getRepository(GuestImport);
    const imp = repo.create({
      businessId: ctx.businessId,
      programId: opts.programId ?? null,
      dryRun: opts.dryRun,
      state: 'queued',
      fileName: opts.fileName ?? null,
      columns: [],
      totalRows: 0,
      processedRows: 0,
      created: 0,
      updated: 0,
      skipped: 0,
      failed: 0,
      errors: [],
      createdBy: ctx.actor.id,
      startedAt: null,
      finishedAt: null,
      lastError: null,
    });
    let seen = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        cb(seen > maxBytes ? Object.assign(new Error('too large'), { code: 'IMPORT_TOO_LARGE' }) : null, chunk);
      },
    });
    input.on('error', (e) => counter.destroy(e));
    const parser = input.pipe(counter).pipe(parse({ bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, delimiter: [',', ';', '\t'], max_record_size: 64 * 1024 }));
    // pipe() does not carry errors forward: a refusal by the counter must end the parser's iteration.
    counter.on('error', (e) => parser.destroy(e));
    let header: string[] | null = null;
    let buf: string[][] = [];
    let seq = 0;
    let total = 0;
    const chunks = this.db.manager.getRepository(GuestImportChunk);
    const flush = async () => {
      if (!buf.length) return;
      await chunks.insert(chunks.create({ businessId: ctx.businessId, importId: imp.id, seq: seq++, firstRow: total - buf.length, rowCount: buf.length, rows: JSON.stringify(buf) }));
      buf = [];
    };
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (!header) {
          header = record.map((h) => h.trim().toLowerCase().replace(/\s+/g, '_'));
          if (!header.includes('phone')) throw badRequest('missing_phone_column', 'The first row must name the columns and include "phone"', [{ field: 'phone', message: 'Missing column' }]);
          imp.columns = header;
          await repo.insert(imp);
          continue;
        }
        total++;
        if (total > MAX_ROWS) throw badRequest('too_many_rows', `At most ${MAX_ROWS} rows per import`);
        buf.push(record);
        if (buf.length >= CHUNK_ROWS) await flush();
      }
    } catch (e) {
      if (header) await this.discard(imp.id);
      if (seen > maxBytes) throw tooLarge();
      if ((e as { code?: string }).code?.startsWith?.('CSV_')) throw badRequest('malformed_csv', `The file is not valid CSV: ${(e as Error).message}`, [{ field: 'body', message: 'Malformed CSV' }]);
      throw e;
    }
    if (!header) throw badRequest('empty_file', 'The file is empty', [{ field: 'body', message: 'No header row' }]);
    await flush();
    imp.totalRows = total;
    await repo.update({ id: imp.id }, { totalRows: total, columns: header });
    await this.audit.recordAlone(ctx, { action: opts.dryRun ? 'import.dry_run_started' : 'import.started', targetType: 'import', targetId: imp.id, after: { rows: total, columns: header, programId: imp.programId } });
    return imp;
  }

  private async discard(importId: string): Promise<void> {
    await this.db.manager.getRepository(GuestImportChunk).delete({ importId });
    await this.db.manager.getRepository(GuestImport).delete({ id: importId });
  }

  async get(ctx: Ctx, id: string): Promise<GuestImport> {
    const imp = await this.db.manager.getRepository(GuestImport).findOneBy({ id, businessId: ctx.businessId });
    if (!imp) throw notFound('Import');
    return imp;
  }

  async list(ctx: Ctx): Promise<GuestImport[]> {
    return this.db.manager.getRepository(GuestImport).find({ where: { businessId: ctx.businessId }, order: { id: 'DESC' }, take: 50 });
  }

  async cancel(ctx: Ctx, id: string): Promise<GuestImport> {
    const imp = await this.get(ctx, id);
    if (imp.state === 'done' || imp.state === 'canceled') return imp;
    await this.db.manager.getRepository(GuestImport).update({ id }, { state: 'canceled', finishedAt: new Date() });
    await this.audit.recordAlone(ctx, { action: 'import.canceled', targetType: 'import', targetId: id, after: { processedRows: imp.processedRows } });
    return { ...imp, state: 'canceled' } as GuestImport;
  }

  /** Re-queues a failed or interrupted import; it continues from the last committed row. */
  async resume(ctx: Ctx, id: string): Promise<GuestImport> {
    const imp = await this.get(ctx, id);
    if (imp.state === 'done') throw conflict('import_done', 'This import is finished');
    if (imp.state === 'canceled') throw conflict('import_canceled', 'This import was canceled');
    await this.db.manager.getRepository(GuestImport).update({ id }, { state: 'queued', lastError: null });
    return { ...imp, state: 'queued' } as GuestImport;
  }

  /** Job: works on pending imports for up to `budgetMs`. Returns rows processed. */
  async work(budgetMs = 2000, only?: string): Promise<number> {
    const until = Date.now() + budgetMs;
    const pending = await this.db.manager.getRepository(GuestImport).find({ where: { state: In(['queued', 'running']), ...(only ? { id: only } : {}) }, order: { id: 'ASC' }, take: 5 });
    let done = 0;
    for (const imp of pending) {
      if (imp.totalRows === 0 && imp.processedRows === 0 && imp.columns.length === 0) continue; // still uploading
      done += await this.runImport(imp, until);
      if (Date.now() >= until) break;
    }
    return done;
  }

  private async runImport(imp: GuestImport, until: number): Promise<number> {
    // One worker per import: a set in this process, a lease row across instances (renewed per batch).
    if (this.running.has(imp.id)) return 0;
    this.running.add(imp.id);
    const lease = `import:${imp.id}`;
    try {
      if (!(await acquireLease(this.db, lease, 30_000))) return 0;
      try {
        return await this.runLeased(imp, until, lease);
      } finally {
        await releaseLease(this.db, lease);
      }
    } finally {
      this.running.delete(imp.id);
    }
  }

  private async runLeased(imp: GuestImport, until: number, lease: string): Promise<number> {
    const repo = this.db.manager.getRepository(GuestImport);
    if (imp.state === 'queued') await repo.update({ id: imp.id }, { state: 'running', startedAt: imp.startedAt ?? new Date() });
    let processed = 0;
    try {
      // At least one batch per pass, then as many as fit in the time budget.
      while (imp.processedRows < imp.totalRows && (processed === 0 || Date.now() < until)) {
        if (!(await acquireLease(this.db, lease, 30_000))) return processed;
        const fresh = await repo.findOneBy({ id: imp.id });
        if (!fresh || fresh.state === 'canceled') return processed;
        Object.assign(imp, fresh);
        const chunk = await this.db.manager
          .getRepository(GuestImportChunk)
          .createQueryBuilder('c')
          .where('c.importId = :id AND c.firstRow <= :row AND c.firstRow + c.rowCount > :row', { id: imp.id, row: imp.processedRows })
          .getOne();
        if (!chunk) throw new Error(`Import data missing at row ${imp.processedRows}`);
        const rows = JSON.parse(chunk.rows) as string[][];
        const offset = imp.processedRows - chunk.firstRow;
        const batch = rows.slice(offset, offset + BATCH_ROWS);
        await this.applyBatch(imp, batch, imp.processedRows);
        processed += batch.length;
      }
      if (imp.processedRows >= imp.totalRows) {
        await repo.update({ id: imp.id }, { state: 'done', finishedAt: new Date() });
        await this.db.manager.getRepository(GuestImportChunk).delete({ importId: imp.id });
        await this.audit.recordAlone({ businessId: imp.businessId, actor: { type: 'system', id: 'import', label: 'guest import' } }, {
          action: imp.dryRun ? 'import.dry_run_finished' : 'import.finished',
          targetType: 'import',
          targetId: imp.id,
          after: { rows: imp.totalRows, created: imp.created, updated: imp.updated, skipped: imp.skipped, failed: imp.failed },
        });
      }
    } catch (e) {
      await repo.update({ id: imp.id }, { state: 'failed', lastError: String((e as Error).message ?? e).slice(0, 500) });
    }
    return processed;
  }

  /**
   * Applies one batch in one transaction, with the import's counters: rows are checked in memory
   * against a handful of bulk lookups, then guests, cards, ledger entries and point lots are written
   * with multi-row inserts (imports do not emit per-guest events). A dry run does the same work and
   * rolls it back, so it reports exactly what the real run would do.
   */
  private async applyBatch(imp: GuestImport, rows: string[][], firstRow: number): Promise<void> {
    const counts = { created: 0, updated: 0, skipped: 0, failed: 0 };
    const errors: RowError[] = [];
    const work = async (tx: EntityManager) => {
      const ctx: Ctx = { businessId: imp.businessId, actor: { type: 'system', id: `import:${imp.id}`, label: 'guest import' }, tx };
      const col = (r: string[], name: string) => {
        const i = imp.columns.indexOf(name);
        return i >= 0 ? (r[i] ?? '').trim() : '';
      };
      const parsed = rows.map((r, i) => ({ r, rowNo: firstRow + i + 2, phone: normalizePhone(col(r, 'phone')) }));
      const phones = [...new Set(parsed.map((p) => p.phone).filter((p): p is string => !!p))];
      const existing = new Map((phones.length ? await tx.getRepository(Guest).findBy({ businessId: imp.businessId, phone: In(phones) }) : []).map((g) => [g.phone!, g]));
      const banned = new Set((phones.length ? await tx.getRepository(BlacklistEntry).findBy({ businessId: imp.businessId, phone: In(phones) }) : []).map((b) => b.phone));
      const program = imp.programId ? await this.programs.get(ctx, imp.programId, tx) : null;
      const levels = new Set(((program?.levels ?? []) as { code: string }[]).map((l) => l.code));
      const existingIds = [...existing.values()].map((g) => g.id);
      const carded = new Set(
        program && existingIds.length ? await this.cards.holdersOf(tx, imp.businessId, program.id, existingIds) : [],
      );
      const wantedNumbers = parsed.map((p) => col(p.r, 'card_number').replace(/[\s-]/g, '')).filter((n) => /^\d{6,20}$/.test(n));
      const takenNumbers = new Set(wantedNumbers.length ? await this.cards.numbersTaken(tx, imp.businessId, wantedNumbers) : []);
      const seen = new Set<string>();
      const extra = imp.columns.filter((c) => !(KNOWN_COLUMNS as readonly string[]).includes(c) && c);
      const newGuests: Guest[] = [];
      const updatedGuests: { guest: Guest; changed: string[] }[] = [];
      const newCards: Card[] = [];
      const opening = this.opening.batch(tx, imp.businessId, `import:${imp.id}`);
      const now = new Date();
      const guestRepo = tx.getRepository(Guest);
      const baseLevel = program && (program.levels as { code: string; threshold: number }[]).length ? [...(program.levels as { code: string; threshold: number }[])].sort((a, b) => a.threshold - b.threshold)[0]!.code : null;
      const entry = (card: Card, kind: LedgerEntry['kind'], unit: LedgerEntry['unit'], amount: number, lot?: { availableAt: Date; expiresAt: Date | null }) =>
        opening.add({ cardId: card.id, kind, unit, amount }, lot);
      for (const { r, rowNo, phone } of parsed) {
        const fail = (field: string, message: string) => {
          counts.failed++;
          errors.push({ row: rowNo, field, message });
        };
        if (!phone) {
          fail('phone', `Not a valid phone: "${col(r, 'phone').slice(0, 40)}"`);
          continue;
        }
        if (seen.has(phone)) {
          counts.skipped++;
          errors.push({ row: rowNo, field: 'phone', message: 'Duplicate phone in the file (first occurrence kept)' });
          continue;
        }
        if (banned.has(phone)) {
          seen.add(phone);
          counts.skipped++;
          errors.push({ row: rowNo, field: 'phone', message: 'Blacklisted phone skipped' });
          continue;
        }
        const email = col(r, 'email').toLowerCase();
        if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
          fail('email', `Not a valid e-mail: "${email.slice(0, 60)}"`);
          continue;
        }
        const birthday = col(r, 'birthday');
        const bday = birthday ? (/^\d{4}-\d{2}-\d{2}$/.test(birthday) ? birthday : /^(\d{2})\.(\d{2})\.(\d{4})$/.test(birthday) ? birthday.replace(/^(\d{2})\.(\d{2})\.(\d{4})$/, '$3-$2-$1') : null) : null;
        if (birthday && (!bday || Number.isNaN(Date.parse(bday)))) {
          fail('birthday', `Not a date (YYYY-MM-DD or DD.MM.YYYY): "${birthday}"`);
          continue;
        }
        const numbers: Record<string, number> = {};
        let bad = false;
        for (const f of ['points', 'gift_balance', 'stamps'] as const) {
          const v = col(r, f);
          if (!v) continue;
          const n = intOf(v);
          if (!Number.isSafeInteger(n) || n < 0) {
            fail(f, `Must be a whole number ≥ 0: "${v.slice(0, 20)}"`);
            bad = true;
            break;
          }
          numbers[f] = n;
        }
        if (bad) continue;
        const level = col(r, 'level');
        if (level && !levels.has(level)) {
          fail('level', `Unknown level "${level.slice(0, 32)}"`);
          continue;
        }
        const cardNumber = col(r, 'card_number').replace(/[\s-]/g, '');
        if (cardNumber && !/^\d{6,20}$/.test(cardNumber)) {
          fail('card_number', 'A card number is 6 to 20 digits');
          continue;
        }
        const needsCard = !!program && !(existing.get(phone) && carded.has(existing.get(phone)!.id));
        if (needsCard && cardNumber && takenNumbers.has(cardNumber)) {
          fail('card_number', `Card number ${cardNumber} is already in use`);
          continue;
        }
        seen.add(phone);
        const genderRaw = col(r, 'gender').toLowerCase();
        const gender = /^(m|male|м|муж)/.test(genderRaw) ? 'male' : /^(f|female|ж|жен)/.test(genderRaw) ? 'female' : null;
        const attributes = extra.length ? Object.fromEntries(extra.map((c) => [c, col(r, c)]).filter(([, v]) => v)) : {};
        let guest = existing.get(phone);
        if (guest) {
          const patch: Partial<Guest> = {};
          if (!guest.name && col(r, 'name')) patch.name = col(r, 'name').slice(0, 200);
          if (!guest.email && email) patch.email = email;
          if (!guest.birthday && bday) Object.assign(patch, { birthday: bday, birthdayMd: birthdayMonthDay(bday) });
          if (!guest.gender && gender) patch.gender = gender;
          if (Object.keys(patch).length) {
            await guestRepo.update({ id: guest.id }, patch);
            updatedGuests.push({ guest: Object.assign(guest, patch), changed: Object.keys(patch).filter((k) => k !== 'birthdayMd') });
          }
          counts.updated++;
        } else {
          const consent = truthy(col(r, 'consent'));
          guest = guestRepo.create({
            businessId: imp.businessId,
            phone,
            name: col(r, 'name').slice(0, 200) || null,
            birthday: bday,
            birthdayMd: birthdayMonthDay(bday),
            email: email || null,
            gender,
            marketingConsent: consent,
            consentAt: consent ? now : null,
            source: 'import',
            utm: null,
            attributes: Object.keys(attributes).length ? attributes : null,
            referralCode: newReferralCode(),
            referrerGuestId: null,
            referralRewarded: false,
            status: 'active',
            erasedAt: null,
            visits: 0,
            spendMinor: 0,
            firstPurchaseAt: null,
            lastPurchaseAt: null,
          });
          newGuests.push(guest);
          counts.created++;
        }
        if (!program || !needsCard) continue;
        const number = cardNumber || makeCardNumber(program.cardPrefix);
        takenNumbers.add(number);
        const card = this.cards.newImported(tx, {
          businessId: imp.businessId,
          programId: program.id,
          guestId: guest.id,
          number,
          levelCode: level || baseLevel,
          giftExpiresAt: program.kind === 'gift' && program.rules.expiryDays ? new Date(now.getTime() + program.rules.expiryDays * DAY) : null,
        });
        newCards.push(card);
        if (numbers.points && program.kind === 'bonus') {
          const expiryDays: number | null = program.rules.expiryDays ?? null;
          entry(card, 'adjust', 'points', numbers.points, { availableAt: now, expiresAt: expiryDays ? new Date(now.getTime() + expiryDays * DAY) : null });
          card.pointsBalance = numbers.points;
        }
        if (numbers.gift_balance && program.kind === 'gift') {
          entry(card, 'issue', 'minor', numbers.gift_balance);
          card.giftBalanceMinor = numbers.gift_balance;
        }
        if (numbers.stamps && program.kind === 'stamp') {
          entry(card, 'adjust', 'stamps', numbers.stamps);
          card.stamps = numbers.stamps;
        }
      }
      // Guests, then their cards, then the cards' entries and lots: each table by its owner, 250 rows a statement.
      for (let i = 0; i < newGuests.length; i += 250) await guestRepo.insert(newGuests.slice(i, i + 250));
      await this.cards.insertImported(tx, newCards);
      await opening.insert();
      if (imp.dryRun) throw new DryRunRollback();
      // The same events as one-by-one registration, through the outbox in this batch's transaction.
      await emitMany(tx, imp.businessId, importEvents(newGuests, updatedGuests, newCards, opening.entries, program));
    };
    try {
      await this.db.transaction(async (tx) => {
        await work(tx);
        await this.bump(tx, imp, rows.length, counts, errors);
      });
    } catch (e) {
      if (!(e instanceof DryRunRollback)) throw e;
      await this.db.transaction((tx) => this.bump(tx, imp, rows.length, counts, errors));
    }
  }

  private async bump(tx: EntityManager, imp: GuestImport, n: number, c: { created: number; updated: number; skipped: number; failed: number }, errors: RowError[]): Promise<void> {
    imp.processedRows += n;
    imp.created += c.created;
    imp.updated += c.updated;
    imp.skipped += c.skipped;
    imp.failed += c.failed;
    imp.errors = [...imp.errors, ...errors].slice(0, MAX_ERRORS);
    await tx.getRepository(GuestImport).update(
      { id: imp.id },
      { processedRows: imp.processedRows, created: imp.created, updated: imp.updated, skipped: imp.skipped, failed: imp.failed, errors: imp.errors },
    );
  }
}

/** What one import batch tells consumers: guests registered or updated, cards issued, opening balances. */
function importEvents(
  created: Guest[],
  updated: { guest: Guest; changed: string[] }[],
  cards: Card[],
  entries: LedgerEntry[],
  program: { id: string; kind: string } | null,
): OutboxEvent[] {
  const events: OutboxEvent[] = created.map((g) => ({ type: 'guest.registered', data: { guestId: g.id, phone: g.phone, name: g.name, source: g.source, referrerGuestId: null } }));
  for (const { guest: g, changed } of updated) {
    events.push({ type: 'guest.updated', data: { guestId: g.id, changed, phone: g.phone, name: g.name, email: g.email, birthday: g.birthday, marketingConsent: g.marketingConsent } });
  }
  for (const c of cards) events.push({ type: 'card.issued', data: { cardId: c.id, guestId: c.guestId, programId: c.programId, programKind: program?.kind ?? '', number: c.number } });
  const guestOf = new Map(cards.map((c) => [c.id, c.guestId]));
  for (const e of entries) {
    events.push({ type: 'card.balance_changed', data: { cardId: e.cardId, guestId: guestOf.get(e.cardId) ?? null, balance: e.amount, delta: e.amount, unit: e.unit, reason: 'import' } });
  }
  return events;
}
