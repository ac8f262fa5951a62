// The hub's module boundaries (README, "Architecture"), checked by eslint-plugin-boundaries.
// hub/src/architecture.spec.ts lints fixture snippets with this config and expects each rule to fire.
import boundaries from 'eslint-plugin-boundaries';

/**
 * The module layers of hub/src/modules, bottom first. A module imports only modules before it;
 * a lower module that needs an upper one defines a port (an interface of its own) that hub.ts
 * wires. A strict order means the modules cannot form an import cycle.
 */
export const MODULE_LAYERS = ['audit', 'tenants', 'integrations', 'programs', 'ledger', 'cards', 'guests', 'checkout', 'wallet', 'engagement', 'reviews', 'analytics', 'utm', 'home', 'commands'];

/**
 * A module's public surface: what another module may import from it. Everything else (routes,
 * jobs, workers, adapters, repositories) is the module's own. Entities may be imported for their
 * type only (services return them); reading or writing their table goes through the owner's service.
 */
export const PUBLIC_FILES = ['*.service.ts', '*.schemas.ts', '*.api-schemas.ts', '*.rules.ts', '*.ports.ts', '*.segments.ts', '*.pages.ts', '*.entity.ts'];

const module = (captured) => ({ element: { type: 'module', captured } });
const otherModule = (extra = {}) => ({ element: { type: 'module', captured: { name: '!{{from.captured.name}}' }, ...extra } });

/** The policies of `boundaries/dependencies`; `withEntities: false` only for the files listed in KNOWN_DEBTS. */
export function modulePolicies({ withEntities = true } = {}) {
  const layers = MODULE_LAYERS.map((name, i) => ({
    from: module({ name }),
    disallow: { to: module({ name: MODULE_LAYERS.slice(i + 1) }) },
    message:
      'Module "{{from.captured.name}}" sits below "{{to.captured.name}}" in the module layers (README, Architecture): move what both need to hub/src/shared/, or give "{{from.captured.name}}" a port that hub.ts wires.',
  }));
  return [
    ...layers,
    {
      from: { element: { type: 'module' } },
      disallow: { to: otherModule({ fileInternalPath: `!{${PUBLIC_FILES.join(',')}}` }) },
      message: '"{{to.fileInternalPath}}" is internal to module "{{to.captured.name}}": use its service, schemas, rules or ports.',
    },
    ...(withEntities
      ? [
          {
            from: { element: { type: 'module' } },
            disallow: { to: otherModule({ fileInternalPath: '*.entity.ts' }), dependency: { kind: 'value' } },
            message:
              'Module "{{from.captured.name}}" imports the entities of "{{to.captured.name}}" as values: a module owns its tables, so read and write them through "{{to.captured.name}}"\'s service (`import type` for the shape only).',
          },
        ]
      : []),
  ];
}

/**
 * Files that still reach another module's table through its entity, each to be moved onto the
 * owner's service (issue 14, "one owner per table"). Layers and internals are still checked there.
 */
export const KNOWN_DEBTS = [
  'hub/src/modules/checkout/checkout.service.ts', // Card, Guest, LedgerEntry, Coupon, Program repositories
  'hub/src/modules/ledger/ledger.service.ts', // Card rows (lockCard/saveCard)
  'hub/src/modules/cards/cards.service.ts', // LedgerEntry: the adjustments-per-staff count
  'hub/src/modules/guests/guests.service.ts', // Card: search by number, list, erase, blacklist
];

const settings = {
  'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.mjs'] } },
  'boundaries/elements': [{ type: 'module', pattern: 'hub/src/modules/*', capture: ['name'] }],
};

/** Flat-config blocks for eslint.config.mjs. */
export function boundariesConfig() {
  return [
    {
      files: ['hub/src/**/*.ts'],
      plugins: { boundaries },
      settings,
      rules: { 'boundaries/dependencies': ['error', { default: 'allow', policies: modulePolicies() }] },
    },
    {
      files: KNOWN_DEBTS,
      rules: { 'boundaries/dependencies': ['error', { default: 'allow', policies: modulePolicies({ withEntities: false }) }] },
    },
  ];
}
