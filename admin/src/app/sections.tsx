import { ComponentType, lazy, LazyExoticComponent, ReactNode } from 'react';
import {
  ApiOutlined,
  BarChartOutlined,
  CreditCardOutlined,
  FormOutlined,
  GiftOutlined,
  HistoryOutlined,
  HomeOutlined,
  LinkOutlined,
  NotificationOutlined,
  SettingOutlined,
  StarOutlined,
  StopOutlined,
  TeamOutlined,
} from '@ant-design/icons';
import type { MessageKey } from './messages';
import { ROLE_SETS } from './roles';
import type { Role } from './types';

type Page = LazyExoticComponent<ComponentType>;

/** A page loaded on first visit (its own chunk); pages use named exports. */
function page<M>(load: () => Promise<M>, pick: (m: M) => ComponentType): Page {
  return lazy(() => load().then((m) => ({ default: pick(m) })));
}

export interface PageEntry {
  /** Menu key and path below /admin, e.g. `settings/locations`. */
  path: string;
  title: MessageKey;
  /** Who may open it: the same role sets as the hub's routes behind it. */
  roles: readonly Role[];
  /** Absent while the hub has no API for it: shown disabled with "coming soon", never faked. */
  page?: Page;
  /** Pages below this one that have no menu entry of their own (a guest's card: `clients/guests/:id`). */
  subpages?: { path: string; page: Page }[];
}

export interface SectionEntry extends PageEntry {
  icon: ReactNode;
  children?: PageEntry[];
}

/**
 * The console's sections, in menu order. The menu and the routes are both built from this list:
 * adding a section is one page file under `src/<section>/` and one `page:` here.
 */
export const SECTIONS: SectionEntry[] = [
  {
    path: '',
    title: 'section.home',
    icon: <HomeOutlined />,
    roles: ROLE_SETS.staff,
    page: page(
      () => import('../home/HomePage'),
      (m) => m.HomePage,
    ),
  },
  {
    path: 'analytics',
    title: 'section.analytics',
    icon: <BarChartOutlined />,
    roles: ROLE_SETS.marketing,
    page: page(
      () => import('../analytics/AnalyticsPage'),
      (m) => m.AnalyticsPage,
    ),
  },
  {
    path: 'clients',
    title: 'section.clients',
    icon: <TeamOutlined />,
    roles: ROLE_SETS.staff,
    children: [
      {
        path: 'clients/guests',
        title: 'section.clients.guests',
        // Cashiers get an exact look-up instead of the list (the hub refuses them the list).
        roles: ROLE_SETS.staff,
        page: page(
          () => import('../clients/GuestLookupPage'),
          (m) => m.GuestsOrLookupPage,
        ),
        subpages: [
          {
            path: 'clients/guests/:id',
            page: page(
              () => import('../clients/GuestPage'),
              (m) => m.GuestPage,
            ),
          },
        ],
      },
      {
        path: 'clients/import',
        title: 'section.clients.import',
        roles: ROLE_SETS.admins,
        page: page(
          () => import('../clients/ImportPage'),
          (m) => m.ImportPage,
        ),
      },
    ],
  },
  {
    path: 'blacklist',
    title: 'section.blacklist',
    icon: <StopOutlined />,
    roles: ROLE_SETS.marketing,
    page: page(
      () => import('../blacklist/BlacklistPage'),
      (m) => m.BlacklistPage,
    ),
  },
  {
    path: 'history',
    title: 'section.history',
    icon: <HistoryOutlined />,
    roles: ROLE_SETS.marketing,
    children: [
      {
        path: 'history/operations',
        title: 'section.history.operations',
        roles: ROLE_SETS.marketing,
        page: page(
          () => import('../history/OperationsPage'),
          (m) => m.OperationsPage,
        ),
      },
      {
        path: 'history/admin',
        title: 'section.history.admin',
        roles: ROLE_SETS.admins,
        page: page(
          () => import('../history/AdminHistoryPage'),
          (m) => m.AdminHistoryPage,
        ),
      },
      {
        path: 'history/deleted',
        title: 'section.history.deleted',
        roles: ROLE_SETS.marketing,
        page: page(
          () => import('../history/DeletedCardsPage'),
          (m) => m.DeletedCardsPage,
        ),
      },
    ],
  },
  { path: 'marketing', title: 'section.marketing', icon: <NotificationOutlined />, roles: ROLE_SETS.marketing },
  {
    path: 'utm',
    title: 'section.utm',
    icon: <LinkOutlined />,
    roles: ROLE_SETS.marketing,
    page: page(
      () => import('../utm/UtmPage'),
      (m) => m.UtmPage,
    ),
  },
  {
    path: 'cards',
    title: 'section.cards',
    icon: <CreditCardOutlined />,
    roles: ROLE_SETS.marketing,
    children: [
      {
        path: 'cards/list',
        title: 'section.cards.list',
        roles: ROLE_SETS.marketing,
        page: page(
          () => import('../cards/CardsPage'),
          (m) => m.CardsPage,
        ),
      },
      {
        path: 'cards/design',
        title: 'section.cards.design',
        roles: ROLE_SETS.marketing,
        page: page(
          () => import('../cards/DesignPage'),
          (m) => m.DesignPage,
        ),
      },
    ],
  },
  {
    path: 'forms',
    title: 'section.forms',
    icon: <FormOutlined />,
    roles: ROLE_SETS.marketing,
    page: page(
      () => import('../forms/FormsPage'),
      (m) => m.FormsPage,
    ),
  },
  {
    path: 'reviews',
    title: 'section.reviews',
    icon: <StarOutlined />,
    roles: ROLE_SETS.marketing,
    page: page(
      () => import('../reviews/ReviewsPage'),
      (m) => m.ReviewsPage,
    ),
  },
  {
    path: 'mechanics',
    title: 'section.mechanics',
    icon: <GiftOutlined />,
    roles: ROLE_SETS.marketing,
    page: page(
      () => import('../mechanics/ProgramsPage'),
      (m) => m.ProgramsPage,
    ),
    subpages: [
      {
        path: 'mechanics/new/:kind',
        page: page(
          () => import('../mechanics/ProgramPage'),
          (m) => m.ProgramPage,
        ),
      },
      {
        path: 'mechanics/:id',
        page: page(
          () => import('../mechanics/ProgramPage'),
          (m) => m.ProgramPage,
        ),
      },
    ],
  },
  {
    path: 'integrations',
    title: 'section.integrations',
    icon: <ApiOutlined />,
    roles: ROLE_SETS.admins,
    page: page(
      () => import('../integrations/IntegrationsPage'),
      (m) => m.IntegrationsPage,
    ),
  },
  {
    path: 'settings',
    title: 'section.settings',
    icon: <SettingOutlined />,
    roles: ROLE_SETS.staff,
    children: [
      {
        path: 'settings/business',
        title: 'section.settings.business',
        roles: ROLE_SETS.staff,
        page: page(
          () => import('../settings/BusinessPage'),
          (m) => m.BusinessPage,
        ),
      },
      {
        path: 'settings/locations',
        title: 'section.settings.locations',
        roles: ROLE_SETS.staff,
        page: page(
          () => import('../settings/LocationsPage'),
          (m) => m.LocationsPage,
        ),
      },
      {
        path: 'settings/terminals',
        title: 'section.settings.terminals',
        roles: ROLE_SETS.admins,
        page: page(
          () => import('../settings/TerminalsPage'),
          (m) => m.TerminalsPage,
        ),
      },
      {
        path: 'settings/apple-wallet',
        title: 'section.settings.appleWallet',
        roles: ROLE_SETS.admins,
        page: page(
          () => import('../settings/WalletPages'),
          (m) => m.AppleWalletPage,
        ),
      },
      {
        path: 'settings/google-wallet',
        title: 'section.settings.googleWallet',
        roles: ROLE_SETS.admins,
        page: page(
          () => import('../settings/WalletPages'),
          (m) => m.GoogleWalletPage,
        ),
      },
      {
        path: 'settings/staff',
        title: 'section.settings.staff',
        roles: ROLE_SETS.admins,
        page: page(
          () => import('../settings/StaffPage'),
          (m) => m.StaffPage,
        ),
      },
      {
        path: 'settings/security',
        title: 'section.settings.security',
        roles: ROLE_SETS.staff,
        page: page(
          () => import('../settings/SecurityPage'),
          (m) => m.SecurityPage,
        ),
      },
    ],
  },
];

/** A section or page is reachable when the role passes and it (or one child) has a page. */
export const isBuilt = (e: SectionEntry | PageEntry): boolean => !!e.page || !!('children' in e && e.children?.some((c) => c.page));
