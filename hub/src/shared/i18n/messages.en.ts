/**
 * The English catalog: ICU MessageFormat strings (plurals, selects, numbers) keyed by
 * `area.name`. It defines the keys: every other locale must have exactly these (checked by the type
 * of `messages.ru.ts` and by a test). Areas: `common` (shared words), `plural` (counted nouns),
 * `guest` (the /join and /card pages), `sms` (texts the hub sends), `console` (reserved for the
 * console, issue 18), `scanner`.
 */
export const en = {
  // ---- counted nouns: use these instead of concatenating numbers and words ----
  'plural.points': '{n, plural, one {# point} other {# points}}',
  'plural.stamps': '{n, plural, one {# stamp} other {# stamps}}',
  'plural.attempts': '{n, plural, one {# attempt} other {# attempts}}',
  'plural.minutes': '{n, plural, one {# minute} other {# minutes}}',
  'plural.guests': '{n, plural, one {# guest} other {# guests}}',
  'common.pointsAccrued': '{n, plural, one {# point added} other {# points added}}',
  'common.pointsRedeemed': '{n, plural, one {# point used} other {# points used}}',
  'common.balancePoints': 'Balance: {n, plural, one {# point} other {# points}}',
  'common.redeemUpTo': 'Up to {n, plural, one {# point} other {# points}} can be used for this purchase',

  // ---- SMS the hub sends (keep them short: one SMS segment) ----
  'sms.code': '{code} is your {business} registration code',
  'sms.cardLink': 'Your {business} card: {url}',

  // ---- guest pages: registration ----
  'guest.phone': 'Phone',
  'guest.code': 'Code from the SMS',
  'guest.getCode': 'Get a code',
  'guest.codeSent': 'Code sent to {phone}',
  'guest.change': 'change',
  'guest.resendIn': 'Send again in {time}',
  'guest.resend': 'Send the code again',
  'guest.linkBySms': 'The link to your card will come by SMS to this phone.',
  'guest.linkSent': 'Check your phone: the link to your card is sent by SMS.',
  'guest.register': 'Get my card',
  'guest.more': 'Tell us about yourself',
  'guest.name': 'Name',
  'guest.birthday': 'Birthday',
  'guest.email': 'E-mail',
  'guest.gender': 'Gender',
  'guest.male': 'Male',
  'guest.female': 'Female',
  'guest.any': '—',
  'guest.referral': 'Invite code (if a friend invited you)',
  'guest.optional': 'optional',
  'guest.haveCard': 'Already have a card?',
  'guest.recoverTitle': 'Find my card',
  'guest.recoverText': 'Enter the phone you registered with: we will send a code and open your card.',
  'guest.recover': 'Open my card',
  'guest.backToJoin': 'Get a new card instead',
  'guest.refIgnored': 'The invite code was not found, so the card was issued without it.',
  'guest.consentPd':
    'I agree that {operator} (the operator) processes my personal data — phone, and name, birthday, e-mail and gender if I give them — to run my loyalty card: points, discounts and messages about the card. The data is kept while the card exists and for 3 years after it is deleted; I can withdraw my consent at any time.',
  'guest.privacyPolicy': 'Privacy policy',
  'guest.consentMarketing': 'I agree to receive offers and news from {business} by SMS and other channels (optional).',
  'guest.sending': 'Sending…',

  // ---- guest pages: field errors (shown on the field, all at once) ----
  'guest.err.phone': 'Enter the whole phone number, e.g. +7 916 123-45-66',
  'guest.err.phoneCountry': 'This page accepts phone numbers of the countries the business serves',
  'guest.err.code': 'Enter the 6 digits from the SMS',
  'guest.err.wrongCode': 'The code is wrong: {n, plural, one {# attempt} other {# attempts}} left',
  'guest.err.required': 'Fill in this field',
  'guest.err.email': 'Check the address, e.g. name@example.com',
  'guest.err.date': 'Enter a real date',
  'guest.err.number': 'Enter a number',
  'guest.err.consent': 'We cannot issue a card without this consent',
  'guest.err.invalid': 'Check this field',

  // ---- guest pages: refusals the server gives (by problem code) ----
  'guest.problem.sms_cooldown': 'The code has just been sent. You can ask for another in {time}.',
  'guest.problem.sms_limit': 'Several codes were sent to this phone. You can ask for a new one in {time}.',
  'guest.problem.sms_ip_limit': 'Too many codes were asked for from this network. Try again in {time}.',
  'guest.problem.sms_form_limit': 'Too many codes were asked for on this page. Try again in {time}.',
  'guest.problem.sms_budget_exhausted': 'Registration by SMS is paused for today. Please try again tomorrow or ask the staff.',
  'guest.problem.too_many_attempts': 'Too many wrong codes. Ask for a new code.',
  'guest.problem.code_expired': 'The code has expired. Ask for a new code.',
  'guest.problem.code_used': 'This code has been used. Ask for a new code.',
  'guest.problem.unknown_code_request': 'Ask for a new code.',
  'guest.problem.phone_blacklisted': 'This phone number cannot register. Please ask the staff.',
  'guest.problem.sms_failed': 'The SMS could not be sent. Try again in a minute.',
  'guest.problem.sms_rejected': 'An SMS cannot be sent to this number.',
  'guest.problem.form_not_found': 'This registration is closed.',
  'guest.problem.no_card': 'There is no card for this phone yet. Get a new card below.',
  'guest.problem.network': 'No connection. Check the internet and try again.',
  'guest.problem.generic': 'Something went wrong. Please try again.',

  // ---- guest pages: other pages ----
  'guest.notFound.title': 'Page not found',
  'guest.notFound.text': 'There is no such page. Check the link or scan the QR code again.',
  'guest.closed.title': 'This offer has ended',
  'guest.closed.text': 'Registration on this page is closed. Your card, if you have one, still works.',
  'guest.error.title': 'Something went wrong',
  'guest.error.text': 'We could not open this page just now. Please try again in a moment.',
  'guest.error.retry': 'Try again',

  // ---- guest pages: the card ----
  'guest.card': 'Card',
  'guest.ready': 'Your card is ready',
  'guest.readyPoints': 'Your card is ready, +{n, plural, one {# point} other {# points}}',
  'guest.walletNudge': 'Add it to Wallet: the card will always be at hand, even offline.',
  'guest.addApple': 'Add to Apple Wallet',
  'guest.saveGoogle': 'Save to Google Wallet',
  /** The words on Google's official button artwork (its image's alt text). */
  'guest.addGoogleBadge': 'Add to Google Wallet',
  'guest.scan': 'Scan with your phone to add the card to its wallet',
  'guest.showAtTill': 'Show this code at the till',
  'guest.qrAlt': 'QR code of card {number}',
  'guest.pageQrAlt': 'QR code of this page',
  'guest.noWallet': 'Wallet cards are not available yet: show this page at the till.',
  'guest.blocked': 'This card is blocked. Points cannot be earned or spent with it. Please ask the staff.',
  'guest.deleted': 'This card has been deleted and no longer works.',
  'guest.nextLevel': '{amount} more to {level}',
  'guest.history': 'History',
  'guest.expiring': '{points} will expire on {date}',
  'guest.expiringTitle': 'Points that expire',
  'guest.purchases': '{n, plural, one {# purchase} other {# purchases}}',
  'guest.progressLabel': 'Progress to {level}',
  'guest.historyEmpty': 'No operations yet',
  'guest.op':
    '{kind, select, accrue {Points for a purchase} redeem {Points used} expire {Points expired} adjust {Correction} refund {Purchase returned} reward {Bonus} release {Returned} issue {Card issued} spend {Paid with the card} stamp {Stamps} void {Sale cancelled} other {Operation}}',
  'guest.copied': 'Copied: send it to a friend',
  'guest.shareText': 'Join the {business} loyalty programme with my invite code {code}',
  'guest.rules': 'Rules',
  'guest.contacts': 'Contacts',
  'guest.review': 'Leave a review',
  'guest.invite': 'Invite a friend',
  'guest.inviteText': 'Your invite code: {code}',
  'guest.share': 'Share',
  'guest.offline': 'You are offline: this is the card as it was last loaded.',
  'guest.passUnavailable': 'The card cannot be added to Wallet',

  // ---- ledger reasons the hub writes (stored as codes, read in the reader's language) ----
  'ledger.reason.welcome_bonus': 'Welcome bonus',
  'ledger.reason.gift_nominal': 'Certificate face value',
  'ledger.reason.points_expired': 'Points expired',
  'ledger.reason.gift_forfeited': 'Single-use certificate: the rest is forfeited',
  'ledger.reason.stamp_rewards': 'Stamp card completed: reward',
  'ledger.reason.stamp_card_completed': 'Stamp card completed',
  'ledger.reason.referral_invited': 'Referral: invited by a friend',
  'ledger.reason.referral_inviter': 'Referral: invited a friend',
  'ledger.reason.refund_voided': 'Refund voided',
  'ledger.reason.import_opening_balance': 'Import: opening balance',
} as const;

/** A message key of the catalog. */
export type MessageKey = keyof typeof en;
