import { z } from 'zod';

/** The review list's filter (the admin list and the CSV export): ratings as `1,5` or repeated. */
const ratings = z
  .union([z.string().max(20), z.array(z.string()).max(5)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['1', '2', '3', '4', '5'])).transform((xs) => xs.map(Number)))
  .optional();

export const reviewListQuery = z.strictObject({ rating: ratings.describe('Only these ratings, comma-separated (1–5)') });
