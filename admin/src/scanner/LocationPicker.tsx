import { Button, Card, Empty, Flex, List, Typography } from 'antd';
import { EnvironmentOutlined } from '@ant-design/icons';
import { useI18n } from '../app/i18n';
import type { Location } from '../app/types';

/** Step 0: the location this till works at (remembered on the device). */
export function LocationPicker({ locations, onPick }: { locations: Location[]; onPick: (l: Location) => void }) {
  const { t } = useI18n();
  const active = locations.filter((l) => l.active);
  return (
    <Card title={t('scanner.location.pick')}>
      {active.length === 0 ? (
        <Empty description={t('scanner.location.none')} />
      ) : (
        <List
          dataSource={active}
          renderItem={(l) => (
            <List.Item>
              <Button
                block
                size="large"
                icon={<EnvironmentOutlined />}
                onClick={() => onPick(l)}
                style={{ textAlign: 'left', height: 'auto', padding: '12px 16px' }}
              >
                <Flex vertical align="flex-start">
                  <span>{l.name}</span>
                  {l.address ? (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {l.address}
                    </Typography.Text>
                  ) : null}
                </Flex>
              </Button>
            </List.Item>
          )}
        />
      )}
    </Card>
  );
}
