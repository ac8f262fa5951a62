import { catalog } from '../app/catalog';
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  Alert,
  App,
  Avatar,
  Button,
  Card,
  Descriptions,
  Divider,
  Dropdown,
  Empty,
  Flex,
  Input,
  InputNumber,
  List,
  Modal,
  Result,
  Space,
  Spin,
  Statistic,
  Tag,
  Typography,
} from 'antd';
import {
  CameraOutlined,
  CheckCircleOutlined,
  EnvironmentOutlined,
  GiftOutlined,
  LeftOutlined,
  LogoutOutlined,
  MinusOutlined,
  PercentageOutlined,
  PlusOutlined,
  RiseOutlined,
  RollbackOutlined,
  SearchOutlined,
  StarOutlined,
  TagOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { http, isApiError, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe, useSession } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { problemMessage } from '../app/problems';
import { PageSpinner, useDocumentTitle } from '../app/ui';
import { formatDateTime, formatNumber } from '../app/format';
import { currencyDigits, currencySymbol, formatMoney, parseMoney } from '../app/money';
import { labelOf } from '../app/domain';
import { LanguageSwitch } from '../app/Shell';
import type { CardLookup, Checkout, Items, Location, Quote } from '../app/types';
import { Camera, cameraAvailable } from './Camera';
import { lookupKey, newRequestId } from './lookup';

const LOCATION_KEY = (businessId: string) => `loyalty.scanner.location.${businessId}`;

function useMoneyFmt() {
  const { lang } = useI18n();
  const { business } = useMe();
  return (n: number) => formatMoney(n, business.currency, lang);
}

// ---------------------------------------------------------------------------------------------
// Location

function LocationPicker({ locations, onPick }: { locations: Location[]; onPick: (l: Location) => void }) {
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

// ---------------------------------------------------------------------------------------------
// Find the guest

function FindStep({ onFound }: { onFound: (f: CardLookup) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [camera, setCamera] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();

  const find = useCallback(
    async (raw: string) => {
      const key = lookupKey(raw);
      if (!key) {
        setProblem(t('scanner.find.invalid'));
        return;
      }
      setBusy(true);
      setProblem(undefined);
      try {
        onFound(await http.get<CardLookup>(withQuery('/v1/scanner/cards/lookup', key)));
      } catch (e) {
        setProblem(problemMessage(e, t));
      } finally {
        setBusy(false);
      }
    },
    [onFound, t],
  );

  return (
    <Card>
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        {t('scanner.find.title')}
      </Typography.Title>
      {camera ? (
        <Camera
          onCode={(code) => {
            setCamera(false);
            setText(code);
            void find(code);
          }}
          onClose={() => setCamera(false)}
        />
      ) : (
        <Button
          type="primary"
          size="large"
          block
          icon={<CameraOutlined />}
          onClick={() => setCamera(true)}
          style={{ height: 64, fontSize: 18 }}
          disabled={!cameraAvailable()}
          data-testid="scan-camera"
        >
          {t('scanner.find.scan')}
        </Button>
      )}
      {!cameraAvailable() ? (
        <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
          {t('scanner.camera.unsupported')}
        </Typography.Paragraph>
      ) : null}
      <Divider plain>{t('scanner.find.or')}</Divider>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void find(text);
        }}
      >
        <Space.Compact style={{ width: '100%' }}>
          <Input
            size="large"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder={t('scanner.find.placeholder')}
            aria-label={t('scanner.find.placeholder')}
            autoComplete="off"
            autoFocus
            data-testid="scan-input"
          />
          <Button size="large" type="primary" htmlType="submit" icon={<SearchOutlined />} loading={busy} data-testid="scan-find">
            {t('scanner.find.submit')}
          </Button>
        </Space.Compact>
      </form>
      {problem ? <Alert type="error" showIcon message={problem} style={{ marginTop: 12 }} role="alert" data-testid="scan-problem" /> : null}
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// The guest's card, the amount and the operation

type Op = 'accrue' | 'redeem' | 'stamp' | 'gift' | 'purchase';

function GuestCard({ found }: { found: CardLookup }) {
  const { t, lang } = useI18n();
  const money = useMoneyFmt();
  const { card, guest } = found;
  return (
    <Card className="scanner-guest" data-testid="scanner-guest">
      <Flex justify="space-between" align="flex-start" gap={12}>
        <Flex gap={12} align="center">
          <Avatar size={44} icon={<UserOutlined />} style={{ background: 'rgba(255,255,255,0.2)' }} />
          <div>
            <Typography.Title level={4} style={{ margin: 0, color: '#fff' }}>
              {guest?.name || guest?.phone || t('scanner.bearer')}
            </Typography.Title>
            <Typography.Text style={{ opacity: 0.85 }}>
              {card.programName} · {card.number}
            </Typography.Text>
          </div>
        </Flex>
        {card.levelName ? <Tag color="gold">{card.levelName}</Tag> : null}
      </Flex>
      <Flex gap={24} wrap style={{ marginTop: 16 }}>
        {card.kind === 'bonus' ? (
          <Statistic title={t('card.points.available')} value={formatNumber(card.pointsAvailable, lang)} data-testid="scanner-points" />
        ) : null}
        {card.kind === 'bonus' && card.pointsPending ? <Statistic title={t('card.points.pending')} value={formatNumber(card.pointsPending, lang)} /> : null}
        {card.kind === 'gift' ? <Statistic title={t('card.gift.balance')} value={money(card.giftBalanceMinor)} /> : null}
        {card.kind === 'stamp' ? (
          <Statistic title={t('card.stamps')} value={`${card.stamps} / ${card.stampsGoal ?? '—'}`} data-testid="scanner-stamps" />
        ) : null}
        <Statistic title={t('guest.visits')} value={card.visits} />
      </Flex>
      {card.status !== 'active' ? <Alert type="error" showIcon message={labelOf('card.status', card.status, t)} style={{ marginTop: 12 }} /> : null}
    </Card>
  );
}

interface OpBody {
  card: { id: string };
  locationId: string;
  amountMinor: number;
  redeemPoints?: number | 'max';
  giftAmountMinor?: number | 'max';
  couponCode?: string;
  addStamps?: number;
  note?: string;
}

function QuoteLines({ quote }: { quote: Quote }) {
  const { t, lang } = useI18n();
  const money = useMoneyFmt();
  return (
    <Descriptions column={1} size="small" bordered styles={{ label: { width: '55%' } }} data-testid="scanner-quote">
      <Descriptions.Item label={t('scanner.q.total')}>{money(quote.totalMinor)}</Descriptions.Item>
      {quote.discountMinor ? <Descriptions.Item label={t('scanner.q.discount')}>−{money(quote.discountMinor)}</Descriptions.Item> : null}
      {quote.couponDiscountMinor ? <Descriptions.Item label={t('scanner.q.coupon')}>−{money(quote.couponDiscountMinor)}</Descriptions.Item> : null}
      {quote.pointsRedeemed ? (
        <Descriptions.Item label={t('scanner.q.redeemed', { n: formatNumber(quote.pointsRedeemed, lang) })}>−{money(quote.redeemValueMinor)}</Descriptions.Item>
      ) : null}
      {quote.giftSpentMinor ? <Descriptions.Item label={t('scanner.q.gift')}>−{money(quote.giftSpentMinor)}</Descriptions.Item> : null}
      <Descriptions.Item label={<strong>{t('scanner.q.pay')}</strong>}>
        <strong data-testid="scanner-pay">{money(quote.payableMinor)}</strong>
      </Descriptions.Item>
      {quote.pointsAccrued ? <Descriptions.Item label={t('scanner.q.accrued')}>+{formatNumber(quote.pointsAccrued, lang)}</Descriptions.Item> : null}
      {quote.stampsAdded ? <Descriptions.Item label={t('scanner.q.stamps')}>+{quote.stampsAdded}</Descriptions.Item> : null}
    </Descriptions>
  );
}

function CardStep({ found, locationId, onBack, onDone }: { found: CardLookup; locationId: string; onBack: () => void; onDone: (c: Checkout) => void }) {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const digits = currencyDigits(business.currency);
  const { card } = found;
  const [amountText, setAmountText] = useState('');
  const [op, setOp] = useState<Op>();
  const [points, setPoints] = useState<number | null>(null);
  const [stamps, setStamps] = useState(1);
  const [couponOn, setCouponOn] = useState(false);
  const [coupon, setCoupon] = useState('');
  const [note, setNote] = useState('');
  const [quote, setQuote] = useState<Quote>();
  const [quoting, setQuoting] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [sending, setSending] = useState(false);
  // One request id per confirmation: kept while the same operation is retried, new for another one.
  const pending = useRef<{ body: string; key: string }>();
  const inFlight = useRef(false);

  const amountMinor = parseMoney(amountText, digits);
  const amountOk = amountMinor !== null && amountMinor > 0;

  const bodyFor = (o: Op, pts: number | null): OpBody => ({
    card: { id: card.id },
    locationId,
    amountMinor: amountMinor ?? 0,
    ...(o === 'redeem' ? { redeemPoints: pts ?? 'max' } : {}),
    ...(o === 'gift' ? { giftAmountMinor: 'max' as const } : {}),
    ...(o === 'stamp' ? { addStamps: stamps } : {}),
    ...(couponOn && coupon.trim() ? { couponCode: coupon.trim() } : {}),
  });

  const runQuote = async (o: Op, pts: number | null) => {
    setQuoting(true);
    setProblem(undefined);
    try {
      const q = await http.post<Quote>('/v1/scanner/quote', bodyFor(o, pts));
      setQuote(q);
      if (o === 'redeem' && pts === null) setPoints(q.pointsRedeemed);
    } catch (e) {
      setQuote(undefined);
      setProblem(problemMessage(e, t));
    } finally {
      setQuoting(false);
    }
  };

  const choose = (o: Op) => {
    if (!amountOk) {
      setProblem(t('scanner.amount.invalid'));
      return;
    }
    setOp(o);
    setPoints(null);
    void runQuote(o, null);
  };

  const confirm = async () => {
    if (!op || inFlight.current) return; // a second tap while the first is on its way counts once
    const body: OpBody = { ...bodyFor(op, points), ...(note.trim() ? { note: note.trim() } : {}) };
    const text = JSON.stringify(body);
    if (pending.current?.body !== text) pending.current = { body: text, key: newRequestId() };
    inFlight.current = true;
    setSending(true);
    setProblem(undefined);
    try {
      const result = await http.post<Checkout>('/v1/scanner/operations', body, { headers: { 'Idempotency-Key': pending.current.key } });
      pending.current = undefined;
      onDone(result);
    } catch (e) {
      // Unanswered (network, 5xx): the same id is sent again on retry. A refusal ends this request.
      if (!isApiError(e) || (e.status !== 0 && e.status < 500)) pending.current = undefined;
      setProblem(problemMessage(e, t));
    } finally {
      inFlight.current = false;
      setSending(false);
    }
  };

  const actions: { op: Op; label: string; icon: JSX.Element; testId: string }[] =
    card.kind === 'bonus'
      ? [
          { op: 'accrue', label: t('scanner.op.accrue'), icon: <RiseOutlined />, testId: 'op-accrue' },
          { op: 'redeem', label: t('scanner.op.redeem'), icon: <GiftOutlined />, testId: 'op-redeem' },
        ]
      : card.kind === 'stamp'
        ? [{ op: 'stamp', label: t('scanner.op.stamp'), icon: <StarOutlined />, testId: 'op-stamp' }]
        : card.kind === 'gift'
          ? [{ op: 'gift', label: t('scanner.op.gift'), icon: <GiftOutlined />, testId: 'op-gift' }]
          : [
              {
                op: 'purchase',
                label: t(card.kind === 'discount' ? 'scanner.op.discount' : 'scanner.op.purchase'),
                icon: <PercentageOutlined />,
                testId: 'op-purchase',
              },
            ];

  const back = () => {
    setOp(undefined);
    setQuote(undefined);
    setProblem(undefined);
    pending.current = undefined;
  };
  // Keyboard-first (a USB scanner and a numpad): Enter in the amount runs the main action, Enter
  // again confirms the quote, Escape steps back (to the amount, then to the scan field).
  const keys = useRef({ enter: () => undefined as void, escape: () => undefined as void });
  keys.current = {
    enter: () => {
      if (op && quote && !quoting && !sending) void confirm();
    },
    escape: () => {
      if (sending) return;
      if (op) back();
      else onBack();
    },
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') return keys.current.escape();
      if (e.key !== 'Enter' || e.repeat) return;
      const el = e.target as HTMLElement | null;
      // A note, the points to use and a focused button handle their own Enter.
      if (el && (el.tagName === 'TEXTAREA' || el.tagName === 'BUTTON' || el.closest('[data-testid="scanner-redeem-points"]'))) return;
      keys.current.enter();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <Flex vertical gap={12}>
      <Button type="link" icon={<LeftOutlined />} onClick={onBack} style={{ alignSelf: 'flex-start', padding: 0 }}>
        {t('scanner.another')}
      </Button>
      <GuestCard found={found} />
      {!op ? (
        <Card>
          <Typography.Text strong>{t('scanner.amount')}</Typography.Text>
          <Input
            className="scanner-amount"
            size="large"
            inputMode="decimal"
            value={amountText}
            onChange={(e) => {
              setAmountText(e.target.value);
              setProblem(undefined);
            }}
            suffix={currencySymbol(business.currency, lang)}
            placeholder="0"
            status={amountText && !amountOk ? 'error' : undefined}
            style={{ marginTop: 6 }}
            aria-label={t('scanner.amount')}
            autoFocus
            onPressEnter={() => {
              if (card.status === 'active' && actions[0]) choose(actions[0].op);
            }}
            data-testid="scanner-amount"
          />
          {couponOn ? (
            <Input
              size="large"
              prefix={<TagOutlined className="muted" />}
              value={coupon}
              onChange={(e) => setCoupon(e.target.value.toUpperCase())}
              placeholder={t('scanner.coupon.placeholder')}
              style={{ marginTop: 12 }}
              aria-label={t('scanner.coupon.placeholder')}
              data-testid="scanner-coupon"
            />
          ) : (
            <Button type="link" icon={<TagOutlined />} onClick={() => setCouponOn(true)} style={{ padding: 0, marginTop: 8 }} data-testid="op-coupon">
              {t('scanner.op.coupon')}
            </Button>
          )}
          {card.kind === 'stamp' ? (
            <Flex align="center" gap={12} style={{ marginTop: 12 }}>
              <Typography.Text>{t('scanner.stamps.count')}</Typography.Text>
              <Button icon={<MinusOutlined />} onClick={() => setStamps((n) => Math.max(1, n - 1))} aria-label="−" />
              <Typography.Text strong style={{ fontSize: 18, minWidth: 24, textAlign: 'center' }}>
                {stamps}
              </Typography.Text>
              <Button icon={<PlusOutlined />} onClick={() => setStamps((n) => Math.min(100, n + 1))} aria-label="+" />
            </Flex>
          ) : null}
          {problem ? <Alert type="error" showIcon message={problem} style={{ marginTop: 12 }} role="alert" data-testid="scanner-problem" /> : null}
          <Flex vertical gap={10} className="scanner-actions" style={{ marginTop: 16 }}>
            {actions.map((a, i) => (
              <Button
                key={a.op}
                type={i === 0 ? 'primary' : 'default'}
                size="large"
                block
                icon={a.icon}
                disabled={card.status !== 'active'}
                onClick={() => choose(a.op)}
                data-testid={a.testId}
              >
                {a.label}
              </Button>
            ))}
          </Flex>
        </Card>
      ) : (
        <Card title={t('scanner.confirm.title', { op: actions.find((a) => a.op === op)?.label ?? '' })} data-testid="scanner-confirm">
          <Spin spinning={quoting}>
            {op === 'redeem' && quote ? (
              <Flex vertical gap={6} style={{ marginBottom: 12 }}>
                <Typography.Text>{catalog(lang, 'common.redeemUpTo', { n: quote.maxRedeemablePoints })}</Typography.Text>
                <InputNumber
                  size="large"
                  min={0}
                  max={quote.maxRedeemablePoints}
                  precision={0}
                  value={points}
                  onChange={(v) => setPoints(v === null ? 0 : Number(v))}
                  onBlur={() => void runQuote(op, points ?? 0)}
                  onPressEnter={() => void runQuote(op, points ?? 0)}
                  style={{ width: '100%' }}
                  addonAfter={t('common.points')}
                  aria-label={t('scanner.redeem.points')}
                  data-testid="scanner-redeem-points"
                />
              </Flex>
            ) : null}
            {quote ? <QuoteLines quote={quote} /> : null}
            <Input.TextArea
              value={note}
              onChange={(e) => setNote(e.target.value)}
              maxLength={200}
              autoSize={{ minRows: 1, maxRows: 3 }}
              placeholder={t('scanner.note')}
              style={{ marginTop: 12 }}
            />
          </Spin>
          {problem ? <Alert type="error" showIcon message={problem} style={{ marginTop: 12 }} role="alert" data-testid="scanner-problem" /> : null}
          <Flex vertical gap={10} className="scanner-actions" style={{ marginTop: 16 }}>
            <Button
              type="primary"
              size="large"
              block
              icon={<CheckCircleOutlined />}
              loading={sending}
              disabled={!quote || quoting}
              onClick={() => void confirm()}
              data-testid="scanner-confirm-button"
            >
              {t('scanner.confirm')}
            </Button>
            <Button size="large" block onClick={back} disabled={sending}>
              {t('common.back')}
            </Button>
          </Flex>
        </Card>
      )}
    </Flex>
  );
}

function DoneStep({ result, onNext }: { result: Checkout; onNext: () => void }) {
  const { t, lang } = useI18n();
  const money = useMoneyFmt();
  const lines = [
    result.pointsAccrued ? catalog(lang, 'common.pointsAccrued', { n: result.pointsAccrued }) : null,
    result.pointsRedeemed ? catalog(lang, 'common.pointsRedeemed', { n: result.pointsRedeemed }) : null,
    result.stampsAdded ? t('scanner.done.stamps', { n: result.stampsAdded }) : null,
    result.stampRewards ? t('scanner.done.reward') : null,
    result.giftSpentMinor ? t('scanner.done.gift', { amount: money(result.giftSpentMinor) }) : null,
  ].filter(Boolean);
  return (
    <Card data-testid="scanner-done">
      <Result
        status="success"
        title={t('scanner.done.title')}
        subTitle={
          <Flex vertical gap={4}>
            <Typography.Text style={{ fontSize: 18 }}>
              {t('scanner.q.pay')}: <strong data-testid="scanner-done-pay">{money(result.payableMinor)}</strong>
            </Typography.Text>
            {lines.map((l) => (
              <span key={l}>{l}</span>
            ))}
            {result.balanceAfter ? <span className="muted">{catalog(lang, 'common.balancePoints', { n: result.balanceAfter.points })}</span> : null}
          </Flex>
        }
        extra={
          <Button type="primary" size="large" onClick={onNext} autoFocus data-testid="scanner-next">
            {t('scanner.next')}
          </Button>
        }
      />
    </Card>
  );
}

// ---------------------------------------------------------------------------------------------
// Recent operations, reversal by a manager

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

function RecentOps({ locationId, version }: { locationId: string; version: number }) {
  const { t, lang } = useI18n();
  const { staff, business } = useMe();
  const { message } = App.useApp();
  const money = useMoneyFmt();
  const manager = allows(ROLE_SETS.admins, staff.role);
  const [reversing, setReversing] = useState<Checkout>();
  const { data, loading, error, reload } = useLoad(
    (signal) => http.get<Items<Checkout>>(withQuery('/v1/scanner/operations', { locationId, limit: 10 }), { signal }),
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

// ---------------------------------------------------------------------------------------------

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
