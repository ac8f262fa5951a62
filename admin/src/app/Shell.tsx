import { Suspense, useEffect, useMemo, useState } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { Avatar, Button, Dropdown, Flex, Layout, Menu, Segmented, Tooltip, Typography } from 'antd';
import type { MenuProps } from 'antd';
import { LogoutOutlined, MenuFoldOutlined, MenuUnfoldOutlined, UserOutlined } from '@ant-design/icons';
import { useI18n } from './i18n';
import { useMe, useSession } from './session';
import { allows } from './roles';
import { PageEntry, SECTIONS, SectionEntry } from './sections';
import { PageSpinner } from './ui';
import type { Lang, Role } from './types';

type MenuItem = Required<MenuProps>['items'][number];

const href = (path: string) => `/${path}`;

/** The menu for a role: sections it may use, planned ones disabled with a "coming soon" tooltip. */
function useMenu(role: Role): { items: MenuItem[]; keys: string[] } {
  const { t } = useI18n();
  return useMemo(() => {
    const keys: string[] = [];
    const leaf = (e: PageEntry, icon?: SectionEntry['icon']): MenuItem => {
      const key = e.path || 'home';
      if (!e.page) {
        return {
          key,
          icon,
          disabled: true,
          label: (
            <Tooltip title={t('common.comingSoon')} placement="right">
              <span className="menu-soon" data-testid={`menu-soon-${key}`}>
                <span>{t(e.title)}</span>
                <span className="soon-badge">{t('common.soon')}</span>
              </span>
            </Tooltip>
          ),
        };
      }
      keys.push(key);
      return { key, icon, label: <Link to={href(e.path)}>{t(e.title)}</Link> };
    };
    const items: MenuItem[] = [];
    for (const s of SECTIONS) {
      if (!allows(s.roles, role)) continue;
      if (!s.children) {
        items.push(leaf(s, s.icon));
        continue;
      }
      const children = s.children.filter((c) => allows(c.roles, role));
      if (!children.some((c) => c.page)) items.push(leaf({ ...s, page: undefined }, s.icon));
      else items.push({ key: s.path, icon: s.icon, label: t(s.title), children: children.map((c) => leaf(c)) });
    }
    return { items, keys };
  }, [role, t]);
}

/** The menu key of the current page: the longest registered path the URL starts with. */
function selectedKey(pathname: string, keys: string[]): string {
  const p = pathname.replace(/^\/+|\/+$/g, '');
  let best = 'home';
  for (const k of keys) if (k !== 'home' && (p === k || p.startsWith(`${k}/`)) && k.length > best.length) best = k;
  return p === '' ? 'home' : best;
}

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <Segmented<Lang>
      size="small"
      value={lang}
      onChange={setLang}
      aria-label={t('lang.switch')}
      options={[
        { value: 'ru', label: <span title={t('lang.ru')}>RU</span> },
        { value: 'en', label: <span title={t('lang.en')}>EN</span> },
      ]}
      data-testid="lang-switch"
    />
  );
}

/** Left navigation, a header with the business, the language and the user; pages render inside. */
export function Shell() {
  const { t, adoptDefault } = useI18n();
  const { staff, business } = useMe();
  const { logout } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const [collapsed, setCollapsed] = useState(false);
  const { items, keys } = useMenu(staff.role);
  const selected = selectedKey(location.pathname, keys);
  const section = selected.includes('/') ? selected.split('/')[0]! : undefined;
  const [openKeys, setOpenKeys] = useState<string[]>(section ? [section] : []);

  useEffect(() => adoptDefault(business.locale), [business.locale, adoptDefault]);
  useEffect(() => {
    if (section) setOpenKeys((o) => (o.includes(section) ? o : [...o, section]));
  }, [section]);

  const userMenu: MenuProps['items'] = [
    { key: 'who', label: t('shell.profile', { email: staff.email }), disabled: true },
    { type: 'divider' },
    { key: 'logout', icon: <LogoutOutlined />, label: t('shell.logout'), danger: true },
  ];

  return (
    <Layout className="shell">
      <Layout.Sider
        width={240}
        collapsedWidth={64}
        collapsed={collapsed}
        breakpoint="lg"
        onBreakpoint={setCollapsed}
        trigger={null}
        className="shell-sider"
        theme="light"
      >
        <Link to="/" className="brand" aria-label={t('app.title')}>
          <span className="brand-mark">L</span>
          {!collapsed && (
            <span className="brand-text">
              <span className="brand-product">{t('app.product')}</span>
              <span className="brand-business">{business.name}</span>
            </span>
          )}
        </Link>
        <Menu
          mode="inline"
          items={items}
          selectedKeys={[selected]}
          openKeys={collapsed ? undefined : openKeys}
          // a collapsed menu opens sections as pop-ups: it must not forget what was open inline
          onOpenChange={(k) => !collapsed && setOpenKeys(k as string[])}
          className="shell-menu"
          data-testid="nav"
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header className="shell-header">
          <Flex align="center" gap={12} style={{ minWidth: 0 }}>
            <Button
              type="text"
              aria-label={t('shell.collapse')}
              icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
              onClick={() => setCollapsed((c) => !c)}
            />
            <Typography.Text strong ellipsis data-testid="header-business">
              {business.name}
            </Typography.Text>
          </Flex>
          <Flex align="center" gap={16}>
            <LanguageSwitch />
            <Dropdown
              trigger={['click']}
              menu={{
                items: userMenu,
                onClick: ({ key }) => {
                  if (key === 'logout') void logout().then(() => navigate('/login', { replace: true }));
                },
              }}
            >
              <Button type="text" className="user-button" data-testid="user-menu">
                <Avatar size={28} icon={<UserOutlined />} style={{ background: '#ece9fc', color: '#5b47e0' }} />
                <span className="user-text">
                  <span className="user-name">{staff.name}</span>
                  <span className="user-role">{t(`role.${staff.role}`)}</span>
                </span>
              </Button>
            </Dropdown>
          </Flex>
        </Layout.Header>
        <Layout.Content className="shell-content">
          <div className="page">
            <Suspense fallback={<PageSpinner />}>
              <Outlet />
            </Suspense>
          </div>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
