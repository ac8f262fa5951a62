import { ledgerReason as ledgerReasonText, t as catalogText, type MessageKey as CatalogKey, type Values } from '../../../hub/src/shared/i18n';
import type { Lang } from './types';

export type { CatalogKey };

/**
 * A text from the project's one ICU catalog (hub/src/shared/i18n: FormatJS intl-messageformat with
 * CLDR plural rules), shared with the guest pages and the texts the hub generates. The console's
 * texts with a number in them come from here, so «Начислено 62 балла», never «62 баллов».
 */
export const catalog = (lang: Lang, key: CatalogKey, values?: Values): string => catalogText(lang, key, values);

/** A ledger entry's reason: the hub's codes in the reader's language, a person's own words as written. */
export const ledgerReason = (lang: Lang, reason: string): string => ledgerReasonText(lang, reason);
