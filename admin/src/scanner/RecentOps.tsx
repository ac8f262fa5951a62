import { useState } from 'react';
import { Alert, App, Button, Card, Input, List, Modal, Space, Tag } from 'antd';
import { RollbackOutlined } from '@ant-design/icons';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { problemMessage } from '../app/problems';
import { formatDateTime } from '../app/format';
import type { Checkout, Items } from '../app/types';
import { useMoneyFmt } from './shared';

/** A recent operation with who it was for (name, the phone's last 4 digits). */
type RecentOp = Checkout & { guest: { name: string | null; phoneLast4: string | null } | null };

function ReverseModal({ op, onClose, onDone }: { op: Checkout; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const money = useMoneyFmt();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  return (
    <Modal
      open
      title={t('scanner.reverse.title')}
      okText={t('scanner.reverse')}
      okButtonProps={{ danger: true, disabled: reason.trim().length < 3 }}
      cancelText={t('common.cancel')}
      confirmLoading={busy}
      onCancel={onClose}
      onOk={async () => {
        setBusy(true);
        setProblem(undefined);
        try {
          await http.post(`/v1/scanner/operations/${op.id}/reverse`, { reason: reason.trim() });
          onDone();
        } catch (e) {
          setProblem(problemMessage(e, t));
          setBusy(false);
        }
      }}
    >
      <p>{t('scanner.reverse.text', { amount: money(op.totalMinor) })}</p>
      {problem ? <Alert type="error" showIcon message={problem} style={{ marginBottom: 12 }} /> : null}
      <Input.TextArea
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        maxLength={500}
        autoSize={{ minRows: 2, maxRows: 4 }}
        placeholder={t('scanner.reverse.reason')}
        data-testid="reverse-reason"
      />
    </Modal>
  );
}

/** The last operations at this location, each with the guest, and a manager's reversal. */
export function RecentOps({ locationId, version }: { locationId: string; version: number }) {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const money = useMoneyFmt();
  const manager = allows(ROLE_SETS.admins, staff.role);
  const [reversing, setReversing] = useState<RecentOp>();
  const { data, loading, error, reload } = useLoad(
    (signal) => http.get<Items<RecentOp>>(withQuery('/v1/scanner/operations', { locationId, limit: 10 }), { signal }),
    [locationId, version],
  );
  return (
    <Card
      title={t('scanner.recent')}
      size="small"
      extra={
        <Button size="small" type="text" onClick={reload}>
          {t('common.refresh')}
        </Button>
      }
      data-testid="scanner-recent"
    >
      {error ? (
        <Alert type="warning" showIcon message={problemMessage(error, t)} />
      ) : (
        <List
          loading={loading && !data}
          dataSource={data?.items ?? []}
          locale={{ emptyText: t('scanner.recent.empty') }}
          renderItem={(c) => {
            const reversed = c.refunded.amountMinor > 0;
            return (
              <List.Item
                actions={
                  manager && c.status === 'committed' && !reversed
                    ? [
                        <Button key="rev" size="small" danger icon={<RollbackOutlined />} onClick={() => setReversing(c)} aria-label={t('scanner.reverse')}>
                          {t('scanner.reverse')}
                        </Button>,
                      ]
                    : undefined
                }
              >
                <List.Item.Meta
                  title={
                    <Space size={6} wrap>
                      {c.guest ? (
                        <strong data-testid="recent-guest">
                          {[c.guest.name, c.guest.phoneLast4 ? `…${c.guest.phoneLast4}` : null].filter(Boolean).join(' · ')}
                        </strong>
                      ) : null}
                      <span>{money(c.totalMinor)}</span>
                      {c.pointsAccrued ? <Tag color="green">+{c.pointsAccrued}</Tag> : null}
                      {c.pointsRedeemed ? <Tag color="volcano">−{c.pointsRedeemed}</Tag> : null}
                      {c.stampsAdded ? <Tag color="orange">★ {c.stampsAdded}</Tag> : null}
                      {reversed ? <Tag color="red">{t('scanner.reversed')}</Tag> : null}
                    </Space>
                  }
                  description={formatDateTime(c.createdAt, lang, business.timezone)}
                />
              </List.Item>
            );
          }}
        />
      )}
      {reversing ? (
        <ReverseModal
          op={reversing}
          onClose={() => setReversing(undefined)}
          onDone={() => {
            setReversing(undefined);
            reload();
            void message.success(t('scanner.reverse.done'));
          }}
        />
      ) : null}
    </Card>
  );
}
