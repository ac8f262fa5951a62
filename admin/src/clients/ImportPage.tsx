import { useEffect, useState } from 'react';
import { App, Alert, Button, Card, Col, Descriptions, Flex, Progress, Row, Select, Space, Statistic, Table, Tag, Typography, Upload } from 'antd';
import type { TableColumnsType } from 'antd';
import { CheckCircleOutlined, FileTextOutlined, InboxOutlined, PlayCircleOutlined, ReloadOutlined, StopOutlined } from '@ant-design/icons';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { problemMessage } from '../app/problems';
import { ErrorState, PageHeader } from '../app/ui';
import { formatDateTime, formatNumber } from '../app/format';
import { usePrograms } from '../app/domain';
import type { GuestImport, Items } from '../app/types';

const FINISHED = ['done', 'failed', 'canceled'];
const STATE_COLOR: Record<string, string> = { queued: 'default', running: 'processing', done: 'success', failed: 'error', canceled: 'warning' };

function StateTag({ imp }: { imp: GuestImport }) {
  const { t } = useI18n();
  return <Tag color={STATE_COLOR[imp.state]}>{t(`import.state.${imp.state}`)}</Tag>;
}

/** Counts, progress and the first row errors of one import (a dry run says what would happen). */
function Report({ imp }: { imp: GuestImport }) {
  const { t, lang } = useI18n();
  const pct = Math.round(imp.progress * 100);
  const n = (v: number) => formatNumber(v, lang);
  return (
    <Flex vertical gap={16} data-testid="import-report">
      <Flex justify="space-between" align="center" wrap gap={8}>
        <Space>
          <FileTextOutlined />
          <Typography.Text strong>{imp.fileName ?? t('import.noName')}</Typography.Text>
          <Tag color={imp.dryRun ? 'blue' : 'purple'}>{t(imp.dryRun ? 'import.mode.dry' : 'import.mode.real')}</Tag>
          <StateTag imp={imp} />
        </Space>
        <Typography.Text type="secondary">{t('import.rowsOf', { done: n(imp.processedRows), total: imp.totalRows })}</Typography.Text>
      </Flex>
      <Progress
        percent={pct}
        status={imp.state === 'failed' ? 'exception' : imp.state === 'done' ? 'success' : imp.state === 'canceled' ? 'normal' : 'active'}
        data-testid="import-progress"
      />
      <Row gutter={[16, 16]}>
        <Col xs={12} md={6}>
          <Statistic title={t(imp.dryRun ? 'import.wouldCreate' : 'import.created')} value={imp.created} data-testid="import-created" />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t(imp.dryRun ? 'import.wouldUpdate' : 'import.updated')} value={imp.updated} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('import.skipped')} value={imp.skipped} />
        </Col>
        <Col xs={12} md={6}>
          <Statistic title={t('import.failed')} value={imp.failed} valueStyle={imp.failed ? { color: '#cf1322' } : undefined} data-testid="import-failed" />
        </Col>
      </Row>
      {imp.columns.length ? (
        <Descriptions size="small" column={1}>
          <Descriptions.Item label={t('import.columns')}>
            <Space size={[4, 4]} wrap>
              {imp.columns.map((c) => (
                <Tag key={c}>{c}</Tag>
              ))}
            </Space>
          </Descriptions.Item>
        </Descriptions>
      ) : null}
      {imp.lastError ? <Alert type="error" showIcon message={imp.lastError} /> : null}
      {imp.errors.length ? (
        <Table
          size="small"
          rowKey={(e) => `${e.row}:${e.field}:${e.message}`}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          dataSource={imp.errors}
          data-testid="import-errors"
          columns={[
            { title: t('import.row'), dataIndex: 'row', key: 'row', width: 90 },
            { title: t('import.field'), dataIndex: 'field', key: 'field', width: 160, render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
            { title: t('import.message'), dataIndex: 'message', key: 'message' },
          ]}
        />
      ) : null}
    </Flex>
  );
}

/** Clients › Import: a CSV of an existing guest base, checked by a dry run, then imported with a progress bar. */
export function ImportPage() {
  const { t, lang } = useI18n();
  const { business } = useMe();
  const { message } = App.useApp();
  const programs = usePrograms();
  const [file, setFile] = useState<File>();
  const [programId, setProgramId] = useState<string>();
  const [current, setCurrent] = useState<GuestImport>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const history = useLoad((signal) => http.get<Items<GuestImport>>('/v1/admin/imports', { signal }), []);

  const reloadHistory = history.reload;
  const watching = current && !FINISHED.includes(current.state) ? current.id : undefined;
  useEffect(() => {
    if (!watching) return;
    let live = true;
    const timer = setInterval(() => {
      http
        .get<GuestImport>(`/v1/admin/imports/${watching}`)
        .then((imp) => {
          if (!live) return;
          setCurrent(imp);
          if (FINISHED.includes(imp.state)) reloadHistory();
        })
        .catch(() => undefined);
    }, 600);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [watching, reloadHistory]);

  const start = async (dryRun: boolean) => {
    if (!file) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const imp = await http.upload<GuestImport>(
        withQuery('/v1/admin/imports', { programId, dryRun: String(dryRun), fileName: file.name.slice(0, 200) }),
        file,
        'text/csv',
      );
      setCurrent(imp);
      history.reload();
    } catch (e) {
      setProblem(problemMessage(e, t));
    } finally {
      setBusy(false);
    }
  };

  const act = async (imp: GuestImport, what: 'resume' | 'cancel') => {
    try {
      const next = await http.post<GuestImport>(`/v1/admin/imports/${imp.id}/${what}`, {});
      setCurrent(next);
      history.reload();
      void message.success(t(what === 'resume' ? 'import.resumed' : 'import.canceled'));
    } catch (e) {
      void message.error(problemMessage(e, t));
    }
  };

  const dryDone = current?.dryRun && current.state === 'done';
  const columns: TableColumnsType<GuestImport> = [
    { title: t('common.when'), dataIndex: 'createdAt', key: 'when', render: (v: string) => formatDateTime(v, lang, business.timezone) },
    { title: t('import.file'), dataIndex: 'fileName', key: 'file', render: (v: string | null) => v ?? <span className="muted">{t('import.noName')}</span> },
    {
      title: t('import.mode'),
      key: 'mode',
      render: (_, i) => <Tag color={i.dryRun ? 'blue' : 'purple'}>{t(i.dryRun ? 'import.mode.dry' : 'import.mode.real')}</Tag>,
    },
    { title: t('common.status'), key: 'state', render: (_, i) => <StateTag imp={i} /> },
    {
      title: t('import.progress'),
      key: 'progress',
      width: 160,
      render: (_, i) => <Progress percent={Math.round(i.progress * 100)} size="small" status={i.state === 'failed' ? 'exception' : undefined} />,
    },
    {
      title: t('import.result'),
      key: 'result',
      render: (_, i) =>
        t('import.resultShort', { created: formatNumber(i.created, lang), updated: formatNumber(i.updated, lang), failed: formatNumber(i.failed, lang) }),
    },
    {
      title: '',
      key: 'actions',
      align: 'right',
      render: (_, i) => (
        <Space>
          <Button size="small" onClick={() => setCurrent(i)}>
            {t('common.details')}
          </Button>
          {i.state === 'failed' ? (
            <Button size="small" type="primary" icon={<PlayCircleOutlined />} onClick={() => void act(i, 'resume')} data-testid="import-resume">
              {t('import.resume')}
            </Button>
          ) : null}
        </Space>
      ),
    },
  ];

  return (
    <>
      <PageHeader title={t('import.title')} intro={t('import.intro')} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          <Card title={t('import.step.file')}>
            <Upload.Dragger
              accept=".csv,.txt,text/csv"
              multiple={false}
              maxCount={1}
              beforeUpload={(f) => {
                setFile(f);
                setCurrent(undefined);
                return false;
              }}
              onRemove={() => setFile(undefined)}
              fileList={file ? [{ uid: 'file', name: file.name, size: file.size, status: 'done' }] : []}
              data-testid="import-file"
            >
              <p className="ant-upload-drag-icon">
                <InboxOutlined />
              </p>
              <p className="ant-upload-text">{t('import.drop')}</p>
              <p className="ant-upload-hint">{t('import.hint')}</p>
            </Upload.Dragger>
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, fontSize: 13 }}>
              {/* Column names are CSV headers, not words: shown as code. */}
              {t('import.columnsHelp')
                .split(/\b(phone|name|email|birthday|gender|consent|card_number|points|gift_balance|stamps|level)\b/)
                .map((part, i) => (i % 2 ? <code key={i}>{part}</code> : part))}
            </Typography.Paragraph>
            <Typography.Text strong>{t('import.program')}</Typography.Text>
            <Select
              allowClear
              style={{ width: '100%', margin: '6px 0 16px' }}
              placeholder={t('import.program.none')}
              loading={programs.loading}
              value={programId}
              onChange={setProgramId}
              options={(programs.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
              data-testid="import-program"
            />
            {problem ? <Alert type="error" showIcon message={problem} style={{ marginBottom: 12 }} role="alert" /> : null}
            <Space wrap>
              <Button
                icon={<CheckCircleOutlined />}
                disabled={!file || !!watching}
                loading={busy && !dryDone}
                onClick={() => void start(true)}
                data-testid="import-dry"
              >
                {t('import.dryRun')}
              </Button>
              <Button
                type="primary"
                icon={<PlayCircleOutlined />}
                disabled={!file || !dryDone}
                loading={busy && !!dryDone}
                onClick={() => void start(false)}
                data-testid="import-run"
              >
                {t('import.run')}
              </Button>
            </Space>
            {!dryDone && file && !(current && !current.dryRun) ? (
              <Typography.Paragraph type="secondary" style={{ marginTop: 8, fontSize: 13 }}>
                {t('import.dryFirst')}
              </Typography.Paragraph>
            ) : null}
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card
            title={t('import.step.report')}
            extra={
              watching && current ? (
                <Button size="small" danger icon={<StopOutlined />} onClick={() => void act(current, 'cancel')}>
                  {t('import.cancel')}
                </Button>
              ) : current?.state === 'failed' ? (
                <Button size="small" type="primary" icon={<PlayCircleOutlined />} onClick={() => void act(current, 'resume')}>
                  {t('import.resume')}
                </Button>
              ) : null
            }
          >
            {current ? <Report imp={current} /> : <Typography.Text type="secondary">{t('import.noReport')}</Typography.Text>}
          </Card>
        </Col>
        <Col span={24}>
          <Card title={t('import.history')} extra={<Button icon={<ReloadOutlined />} size="small" onClick={history.reload} aria-label={t('common.refresh')} />}>
            {history.error ? (
              <ErrorState error={history.error} onRetry={history.reload} />
            ) : (
              <Table<GuestImport>
                rowKey="id"
                columns={columns}
                dataSource={history.data?.items ?? []}
                loading={history.loading && !history.data}
                pagination={{ pageSize: 10, hideOnSinglePage: true }}
                locale={{ emptyText: t('import.history.empty') }}
                data-testid="imports-table"
                scroll={{ x: 900 }}
              />
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
