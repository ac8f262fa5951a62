import { z } from 'zod';
import { secret } from '@loyalty/sdk';

/** A whole number as r_keeper numbers things (restaurant codes, cash desks); the console may send it as a number or a string. */
const rkNumber = z
  .union([
    z.number().int().min(0).max(2_147_483_647),
    z
      .string()
      .trim()
      .regex(/^\d{1,10}$/, 'digits only'),
  ])
  .transform((v) => String(Number(v)));

/**
 * One r_keeper till as the hub knows it. FARCARDS names the till by restaurant code and cash desk
 * (`Restaurant` + `UnitNo` in GetCardInfoEx, `Restaurant` + `RKUni` in TransactionsEx) and the
 * CHECK names the station (`stationcode`). The most specific matching row wins: restaurant + unit +
 * station, then restaurant + unit, then restaurant alone.
 *
 * `till` goes into the receipt fingerprint (business, location, till, check number, date): give the
 * same till id that any other path reporting this till's sales uses (the desktop agent, an import),
 * and a sale counts once whichever path brings it.
 */
export const tillSchema = z.strictObject({
  restaurant: rkNumber,
  unit: rkNumber.optional(),
  station: z.string().trim().min(1).max(64).optional(),
  /** Hub location (Settings → Locations) the sales of this till belong to. */
  locationId: z.string().trim().min(1).max(64),
  /** Till id in receipts, e.g. `rk-1-3`. */
  till: z.string().trim().min(1).max(64),
});
export type TillConfig = z.output<typeof tillSchema>;

const rkInt = z.number().int().min(0).max(2_147_483_647);

export const configSchema = z.object({
  /**
   * The key FARCARDS sends in the URL (`…/farcards?k=<key>`): 24–128 letters, digits, `-` or `_`.
   * Generate one with `openssl rand -hex 24`.
   */
  farcardsKey: secret(z.string().regex(/^[A-Za-z0-9_-]{24,128}$/, '24 to 128 letters, digits, - or _')),
  /** r_keeper tills mapped to hub locations and till ids (see {@link tillSchema}). */
  tills: z.array(tillSchema).max(1000).default([]),
  /** r_keeper discount number (from r_keeper's editor) returned for every card; 0 = none. */
  discountNumber: rkInt.default(0),
  /** Per guest level code, a different r_keeper discount number (overrides `discountNumber`). */
  discountByLevel: z.record(z.string().trim().min(1).max(64), rkInt).default({}),
  /** r_keeper bonus number returned for cards of bonus programs; 0 = none. */
  bonusNumber: rkInt.default(0),
  /** `DiscLimit` returned with every card, in kopecks (how r_keeper caps the discount it computes). */
  discLimitMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  /**
   * How money is written in the CHECK XML that FARCARDS passes in InpBuf: `rub` (decimal roubles,
   * `150.00`) or `kop` (integer kopecks). FarCards' own amounts (`Summa`) are always kopecks.
   */
  checkMoney: z.enum(['rub', 'kop']).default('rub'),
  /** Also print the balance on the slip (`PrnMessage`). */
  printBalance: z.boolean().default(false),
  /** r_keeper XML interface, for reading orders and "Test connection": `https://host:port/rk7api/v0/xmlinterface.xml`. */
  xmlUrl: z
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'an http(s) URL')
    .optional(),
  /** r_keeper user for the XML interface (HTTP Basic). */
  xmlUser: z.string().trim().min(1).max(100).optional(),
  xmlPassword: secret(z.string().min(1).max(200)).optional(),
  /**
   * SHA-256 fingerprint of the cash server's certificate (`AA:BB:…`, 32 bytes). r_keeper servers
   * use self-signed certificates, so the chain is not checked; with a fingerprint the connection is
   * refused unless the server presents exactly that certificate.
   */
  xmlCertSha256: z
    .string()
    .trim()
    .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, '32 hex bytes, e.g. AB:CD:…')
    .optional(),
});
export type RkeeperConfig = z.output<typeof configSchema>;
