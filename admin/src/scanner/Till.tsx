import { useEffect, useState } from 'react';
import { Alert, Button, Dropdown, Flex, Typography } from 'antd';
import { EnvironmentOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe, useSession } from '../app/session';
import { useLoad } from '../app/useLoad';
import { problemMessage } from '../app/problems';
import { PageSpinner, useDocumentTitle } from '../app/ui';
import { LanguageSwitch } from '../app/Shell';
import type { CardLookup, Checkout, Items, Location } from '../app/types';
import { LOCATION_KEY } from './shared';
import { LocationPicker } from './LocationPicker';
import { FindStep } from './FindStep';
import { CardStep } from './CardStep';
import { DoneStep } from './DoneStep';
import { RecentOps } from './RecentOps';

/*
 * The web scanner, one file per responsibility: LocationPicker (which shop this till is in),
 * FindStep (scan or type the card), CardStep (the guest, the amount, the operation and its
 * confirmation), DoneStep (the receipt and «Следующий гость»), RecentOps (the last operations and
 * their reversal). This file holds the frame and the steps' order.
 */

type Stage = { step: 'find' } | { step: 'card'; found: CardLookup } | { step: 'done'; result: Checkout };

/** The web scanner: location, find the guest, amount, operation, confirm; recent operations below. */
export function Till() {
  const { t } = useI18n();
  const { staff, business } = useMe();
  const { logout } = useSession();
  useDocumentTitle(t('scanner.title'));
  const locations = useLoad((signal) => http.get<Items<Location>>('/v1/admin/locations', { signal }), []);
  const [locationId, setLocationId] = useState<string | null>(() => {
    try {
      return window.localStorage.getItem(LOCATION_KEY(business.id));
    } catch {
      return null;
    }
  });
  const [stage, setStage] = useState<Stage>({ step: 'find' });
  const [version, setVersion] = useState(0);
  const location = locations.data?.items.find((l) => l.id === locationId && l.active);

  useEffect(() => {
    if (locations.data && locationId && !location) setLocationId(null);
  }, [locations.data, locationId, location]);

  const pick = (l: Location) => {
    try {
      window.localStorage.setItem(LOCATION_KEY(business.id), l.id);
    } catch {
      // private mode: remembered for this page only
    }
    setLocationId(l.id);
  };

  return (
    <div className="scanner">
      <div className="scanner-bar">
        <Flex align="center" gap={10} style={{ minWidth: 0 }}>
          <span className="brand-mark">L</span>
          <Flex vertical style={{ minWidth: 0, lineHeight: 1.2 }}>
            <Typography.Text strong ellipsis>
              {business.name}
            </Typography.Text>
            {location ? (
              <a onClick={() => setLocationId(null)} style={{ fontSize: 12 }} data-testid="scanner-location">
                <EnvironmentOutlined /> {location.name}
              </a>
            ) : null}
          </Flex>
        </Flex>
        <Flex align="center" gap={8}>
          <LanguageSwitch />
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'who', label: `${staff.name} · ${t(`role.${staff.role}`)}`, disabled: true },
                { key: 'console', label: <a href="/admin">{t('scanner.console')}</a> },
                { type: 'divider' },
                { key: 'logout', icon: <LogoutOutlined />, danger: true, label: t('shell.logout') },
              ],
              onClick: ({ key }) => {
                if (key === 'logout') void logout();
              },
            }}
          >
            <Button type="text" shape="circle" icon={<UserOutlined />} aria-label={staff.name} data-testid="scanner-user" />
          </Dropdown>
        </Flex>
      </div>
      <div className="scanner-body">
        {locations.error ? (
          <Alert type="error" showIcon message={problemMessage(locations.error, t)} action={<Button onClick={locations.reload}>{t('common.retry')}</Button>} />
        ) : !locations.data ? (
          <PageSpinner />
        ) : !location ? (
          <LocationPicker locations={locations.data.items} onPick={pick} />
        ) : (
          <Flex vertical gap={16}>
            {stage.step === 'find' ? <FindStep onFound={(found) => setStage({ step: 'card', found })} /> : null}
            {stage.step === 'card' ? (
              <CardStep
                found={stage.found}
                locationId={location.id}
                onBack={() => setStage({ step: 'find' })}
                onDone={(result) => {
                  setStage({ step: 'done', result });
                  setVersion((v) => v + 1);
                }}
              />
            ) : null}
            {stage.step === 'done' ? <DoneStep result={stage.result} onNext={() => setStage({ step: 'find' })} /> : null}
            <RecentOps locationId={location.id} version={version} />
          </Flex>
        )}
      </div>
    </div>
  );
}
