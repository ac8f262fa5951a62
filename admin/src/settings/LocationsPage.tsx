import { useMemo, useState } from 'react';
import { App, Button, Card, Col, Form, Input, Modal, Row, Space, Switch, Table, Tag, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { EditOutlined, PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { applyProblem } from '../app/problems';
import { ErrorState, PageHeader, ProblemAlert } from '../app/ui';
import type { Items, Location } from '../app/types';
import { DecimalInput } from '../app/DecimalInput';

interface LocationForm {
  name: string;
  address?: string | null;
  latitude?: number | null;
  longitude?: number | null;
  active: boolean;
}

function LocationModal({ editing, onClose, onSaved }: { editing: Location | 'new'; onClose: () => void; onSaved: (l: Location, created: boolean) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<LocationForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const isNew = editing === 'new';
  const initial: LocationForm = isNew
    ? { name: '', address: '', latitude: null, longitude: null, active: true }
    : { name: editing.name, address: editing.address ?? '', latitude: editing.latitude, longitude: editing.longitude, active: editing.active };

  const submit = async (v: LocationForm) => {
    setBusy(true);
    setProblem(undefined);
    const body = {
      name: v.name,
      address: v.address?.trim() ? v.address : null,
      latitude: v.latitude ?? null,
      longitude: v.longitude ?? null,
      active: v.active,
    };
    try {
      const saved = isNew ? await http.post<Location>('/v1/admin/locations', body) : await http.patch<Location>(`/v1/admin/locations/${editing.id}`, body);
      onSaved(saved, isNew);
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={isNew ? t('locations.add') : t('locations.edit')}
      okText={isNew ? t('common.create') : t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      width={560}
    >
      <ProblemAlert message={problem} />
      <Form<LocationForm> form={form} layout="vertical" initialValues={initial} onFinish={submit} requiredMark={false} name="location">
        <Form.Item name="name" label={t('locations.name')} rules={[{ required: true, message: t('validation.required') }]}>
          <Input maxLength={200} autoFocus />
        </Form.Item>
        <Form.Item name="address" label={t('locations.address')}>
          <Input.TextArea maxLength={500} autoSize={{ minRows: 1, maxRows: 3 }} />
        </Form.Item>
        <Row gutter={16}>
          <Col span={12}>
            <Form.Item name="latitude" label={t('locations.latitude')}>
              <DecimalInput min={-90} max={90} step={0.000001} style={{ width: '100%' }} placeholder={t('locations.latitude.example')} />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="longitude" label={t('locations.longitude')}>
              <DecimalInput min={-180} max={180} step={0.000001} style={{ width: '100%' }} placeholder={t('locations.longitude.example')} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="active" label={t('locations.active')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** Settings › Locations: the places where guests use their cards. */
export function LocationsPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { staff } = useMe();
  const canEdit = allows(ROLE_SETS.admins, staff.role);
  const [editing, setEditing] = useState<Location | 'new'>();
  const [query, setQuery] = useState('');
  const { data, error, loading, reload, setData } = useLoad((signal) => http.get<Items<Location>>('/v1/admin/locations', { signal }), []);

  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = data?.items ?? [];
    return q ? all.filter((l) => l.name.toLowerCase().includes(q) || (l.address ?? '').toLowerCase().includes(q)) : all;
  }, [data, query]);

  const columns: TableColumnsType<Location> = [
    {
      title: t('locations.name'),
      dataIndex: 'name',
      key: 'name',
      sorter: (a, b) => a.name.localeCompare(b.name),
      render: (v: string) => <Typography.Text strong>{v}</Typography.Text>,
    },
    { title: t('locations.address'), dataIndex: 'address', key: 'address', render: (v: string | null) => v || <span className="muted">—</span> },
    {
      title: t('locations.coordinates'),
      key: 'coords',
      render: (_, l) =>
        l.latitude !== null && l.longitude !== null ? (
          <span className="diff-value">{`${l.latitude.toFixed(6)}, ${l.longitude.toFixed(6)}`}</span>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      title: t('common.status'),
      dataIndex: 'active',
      key: 'active',
      width: 130,
      filters: [
        { text: t('common.active'), value: true },
        { text: t('common.inactive'), value: false },
      ],
      onFilter: (v, l) => l.active === v,
      render: (a: boolean) => (a ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('common.inactive')}</Tag>),
    },
    ...(canEdit
      ? [
          {
            title: '',
            key: 'actions',
            width: 120,
            align: 'right' as const,
            render: (_: unknown, l: Location) => (
              <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(l)} aria-label={`${t('common.edit')} ${l.name}`}>
                {t('common.edit')}
              </Button>
            ),
          },
        ]
      : []),
  ];

  return (
    <>
      <PageHeader
        title={t('locations.title')}
        intro={canEdit ? undefined : t('common.readOnly')}
        extra={
          canEdit ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
              {t('locations.add')}
            </Button>
          ) : undefined
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Card>
          <Space className="toolbar">
            <Input
              allowClear
              prefix={<SearchOutlined className="muted" />}
              placeholder={t('locations.search')}
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              style={{ width: 320 }}
            />
          </Space>
          <Table<Location>
            rowKey="id"
            columns={columns}
            dataSource={rows}
            loading={loading}
            pagination={{ defaultPageSize: 10, showSizeChanger: true, hideOnSinglePage: false }}
            locale={{ emptyText: t('locations.empty') }}
            data-testid="locations-table"
          />
        </Card>
      )}
      {editing ? (
        <LocationModal
          editing={editing}
          onClose={() => setEditing(undefined)}
          onSaved={(l, created) => {
            setEditing(undefined);
            setData((d) => ({ items: created ? [...(d?.items ?? []), l] : (d?.items ?? []).map((x) => (x.id === l.id ? l : x)) }));
            void message.success(t(created ? 'locations.created' : 'locations.updated', { name: l.name }));
          }}
        />
      ) : null}
    </>
  );
}
