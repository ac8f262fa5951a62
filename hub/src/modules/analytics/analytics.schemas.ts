import { z } from 'zod';
import { FIGURES, RFM_SEGMENTS } from './analytics.rules';

const day = z.iso.date();
const ids = z
  .union([z.string().max(2000), z.array(z.string().max(64)).max(50)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.uuid()).max(50))
  .optional();

export const MAX_RANGE_DAYS = 731;

export const dashboardQuery = z.strictObject({
  from: day.optional().describe('First day (business-local, inclusive); default: 29 days before `to`'),
  to: day.optional().describe('Last day (inclusive); default: today in the business time zone'),
  interval: z.enum(['day', 'week', 'month']).default('day').describe('Series step: day, week (Monday first) or month'),
  locationId: ids.describe('Only sales at these locations (comma-separated)'),
  programId: ids.describe('Only sales and cards of these programs (comma-separated)'),
});

export const periodQuery = z.strictObject({
  from: day.optional().describe('First registration day (inclusive); default: 29 days before `to`'),
  to: day.optional().describe('Last registration day (inclusive); default: today'),
});

const figures = z.object(Object.fromEntries(FIGURES.map((f) => [f, z.number().int()])) as Record<(typeof FIGURES)[number], z.ZodNumber>);

export const dashboardView = z.object({
  currency: z.string(),
  timezone: z.string(),
  from: z.string(),
  to: z.string(),
  interval: z.enum(['day', 'week', 'month']),
  totals: figures,
  kpis: z.object({
    averageCheckMinor: z.number().int(),
    ltvMinor: z.number().int(),
    frequencyX100: z.number().int(),
    liabilityPoints: z.number().int(),
    breakageBp: z.number().int(),
  }),
  series: z.array(figures.extend({ start: z.string(), averageCheckMinor: z.number().int() })),
});

export const funnelView = z.object({
  from: z.string(),
  to: z.string(),
  steps: z.array(
    z.object({ step: z.enum(['registered', 'wallet_installed', 'first_purchase', 'repeat_purchase']), guests: z.number().int(), rateBp: z.number().int() }),
  ),
});

const four = z.array(z.number().min(0).max(1e12)).length(4);

export const rfmSettingsBody = z.strictObject({
  mode: z.enum(['bounds', 'quintiles']).describe('bounds: the thresholds below; quintiles: each score holds a fifth of the buyers'),
  recencyDays: four.describe('Days since the last purchase that still score R 5, 4, 3, 2 (increasing)'),
  frequency: four.describe('Purchases needed for F 2, 3, 4, 5 (increasing)'),
  monetaryMinor: four.describe('Lifetime spend (minor units) needed for M 2, 3, 4, 5 (increasing)'),
});

const segment = z.enum(RFM_SEGMENTS);
export const rfmView = z.object({
  computedAt: z.string(),
  mode: z.enum(['bounds', 'quintiles']),
  thresholds: z.object({ recencyDays: z.array(z.number()), frequency: z.array(z.number()), monetaryMinor: z.array(z.number()) }),
  buyers: z.number().int(),
  segments: z.array(z.object({ segment, guests: z.number().int(), revenueMinor: z.number().int() })),
  grid: z.array(z.object({ r: z.number().int(), fm: z.number().int(), segment, guests: z.number().int(), revenueMinor: z.number().int() })),
});
