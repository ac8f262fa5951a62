import { useState } from 'react';
import { App, Button, Card, Form, Input, Modal, Select, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import type { TableColumnsType } from 'antd';
import { EditOutlined, UserAddOutlined } from '@ant-design/icons';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { applyProblem, problemMessage } from '../app/problems';
import { ErrorState, PageHeader, ProblemAlert } from '../app/ui';
import { formatDateTime } from '../app/format';
import { Items, Role, ROLES, Staff } from '../app/types';
import type { MessageKey } from '../app/messages';

const ROLE_COLORS: Record<Role, string> = { owner: 'gold', admin: 'purple', marketer: 'blue', cashier: 'default' };

interface StaffForm {
  name: string;
  email: string;
  role: Role;
  password?: string;
  active: boolean;
}

function RoleSelect({ canGrantOwner, ...rest }: { canGrantOwner: boolean; value?: Role; onChange?: (r: Role) => void; disabled?: boolean }) {
  const { t } = useI18n();
  return (
    <Select<Role>
      {...rest}
      optionLabelProp="title"
      options={ROLES.map((r) => ({
        value: r,
        title: t(`role.${r}`),
        disabled: r === 'owner' && !canGrantOwner,
        label: (
          <div>
            <div>{t(`role.${r}`)}</div>
            <div className="muted" style={{ fontSize: 12 }}>
              {t(`staff.role.${r}.help` as MessageKey)}
            </div>
          </div>
        ),
      }))}
    />
  );
}

function StaffModal({
  editing,
  me,
  onClose,
  onSaved,
}: {
  editing: Staff | 'new';
  me: Staff;
  onClose: () => void;
  onSaved: (s: Staff, created: boolean) => void;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<StaffForm>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const isNew = editing === 'new';
  const isSelf = !isNew && editing.id === me.id;
  const canGrantOwner = me.role === 'owner';
  // An administrator cannot change an owner: the hub refuses, so the form does not offer it.
  const locked = !isNew && editing.role === 'owner' && !canGrantOwner;
  const initial: StaffForm = isNew
    ? { name: '', email: '', role: 'cashier', password: '', active: true }
    : { name: editing.name, email: editing.email, role: editing.role, password: '', active: editing.active };

  const submit = async (v: StaffForm) => {
    setBusy(true);
    setProblem(undefined);
    try {
      let saved: Staff;
      if (isNew) saved = await http.post<Staff>('/v1/admin/staff', { name: v.name, email: v.email.trim(), role: v.role, password: v.password });
      else {
        const patch: Partial<StaffForm> = {};
        if (v.name !== editing.name) patch.name = v.name;
        if (v.role !== editing.role) patch.role = v.role;
        if (v.active !== editing.active) patch.active = v.active;
        if (v.password) patch.password = v.password;
        saved = Object.keys(patch).length ? await http.patch<Staff>(`/v1/admin/staff/${editing.id}`, patch) : editing;
      }
      onSaved(saved, isNew);
    } catch (e) {
      setProblem(applyProblem(form, e, t));
      setBusy(false);
    }
  };

  const passwordRules = [{ min: 10, message: t('validation.password') }];

  // A member who lost the phone and the recovery codes: their second factor goes, their sessions end.
  const resetMfa = async () => {
    if (isNew) return;
    setBusy(true);
    setProblem(undefined);
    try {
      onSaved(await http.post<Staff>(`/v1/admin/staff/${editing.id}/mfa/reset`), false);
    } catch (e) {
      setProblem(problemMessage(e, t));
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={isNew ? t('staff.add') : t('staff.edit')}
      okText={isNew ? t('common.add') : t('common.save')}
      cancelText={t('common.cancel')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ disabled: locked }}
      width={520}
    >
      <ProblemAlert message={problem} />
      {locked ? <ProblemAlert message={t('error.forbidden')} /> : null}
      <Form<StaffForm>
        form={form}
        layout="vertical"
        initialValues={initial}
        onFinish={submit}
        requiredMark={false}
        disabled={locked}
        name="staff"
        autoComplete="off"
      >
        <Form.Item name="name" label={t('staff.name')} rules={[{ required: true, whitespace: true, message: t('validation.required') }]}>
          <Input maxLength={200} autoFocus />
        </Form.Item>
        <Form.Item
          name="email"
          label={t('staff.email')}
          rules={[
            { required: true, message: t('validation.required') },
            { type: 'email', message: t('validation.email') },
          ]}
        >
          <Input disabled={!isNew} autoComplete="off" />
        </Form.Item>
        <Form.Item name="role" label={t('staff.role')}>
          <RoleSelect canGrantOwner={canGrantOwner} />
        </Form.Item>
        {isNew ? (
          <Form.Item name="password" label={t('staff.password')} rules={[{ required: true, message: t('validation.required') }, ...passwordRules]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        ) : (
          <>
            <Form.Item name="password" label={t('staff.newPassword')} extra={t('staff.newPassword.help')} rules={passwordRules}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Form.Item name="active" label={t('staff.active')} valuePropName="checked" extra={isSelf ? t('staff.active.self') : undefined}>
              <Switch disabled={isSelf} />
            </Form.Item>
            {editing.mfaEnabled && !isSelf ? (
              <Form.Item label={t('security.mfa')} extra={t('staff.mfaReset.help')}>
                <Button danger onClick={resetMfa} disabled={busy || locked} data-testid="staff-mfa-reset">
                  {t('staff.mfaReset')}
                </Button>
              </Form.Item>
            ) : null}
          </>
        )}
      </Form>
    </Modal>
  );
}

/** Settings › Staff: who logs in to the console and with which role. */
export function StaffPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const { staff: me, business } = useMe();
  const [editing, setEditing] = useState<Staff | 'new'>();
  const { data, error, loading, reload, setData } = useLoad((signal) => http.get<Items<Staff>>('/v1/admin/staff', { signal }), []);

  const columns: TableColumnsType<Staff> = [
    {
      title: t('staff.name'),
      dataIndex: 'name',
      key: 'name',
      sorter: (a, b) => a.name.localeCompare(b.name),
      render: (v: string, s) => (
        <>
          <Typography.Text strong>{v}</Typography.Text>
          {s.id === me.id ? (
            <Tag bordered={false} style={{ marginLeft: 8 }}>
              {t('common.you')}
            </Tag>
          ) : null}
        </>
      ),
    },
    { title: t('staff.email'), dataIndex: 'email', key: 'email' },
    {
      title: t('staff.role'),
      dataIndex: 'role',
      key: 'role',
      filters: ROLES.map((r) => ({ text: t(`role.${r}`), value: r })),
      onFilter: (v, s) => s.role === v,
      render: (r: Role) => <Tag color={ROLE_COLORS[r]}>{t(`role.${r}`)}</Tag>,
    },
    {
      title: t('common.status'),
      dataIndex: 'active',
      key: 'active',
      render: (a: boolean) => (a ? <Tag color="green">{t('common.active')}</Tag> : <Tag>{t('staff.disabled')}</Tag>),
    },
    {
      title: t('staff.mfa'),
      dataIndex: 'mfaEnabled',
      key: 'mfa',
      render: (on: boolean) => (on ? <Tag color="green">{t('security.mfa.on')}</Tag> : <span className="muted">{t('security.mfa.off')}</span>),
    },
    {
      title: t('staff.lastLogin'),
      dataIndex: 'lastLoginAt',
      key: 'lastLogin',
      render: (v: string | null) => (v ? formatDateTime(v, lang, business.timezone) : <span className="muted">{t('common.never')}</span>),
    },
    {
      title: '',
      key: 'actions',
      align: 'right',
      width: 120,
      render: (_, s) => {
        const locked = s.role === 'owner' && me.role !== 'owner';
        const button = (
          <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(s)} disabled={locked} aria-label={`${t('common.edit')} ${s.name}`}>
            {t('common.edit')}
          </Button>
        );
        return locked ? <Tooltip title={t('error.forbidden')}>{button}</Tooltip> : button;
      },
    },
  ];

  return (
    <>
      <PageHeader
        title={t('staff.title')}
        intro={t('staff.intro')}
        extra={
          <Button type="primary" icon={<UserAddOutlined />} onClick={() => setEditing('new')}>
            {t('staff.add')}
          </Button>
        }
      />
      {error ? (
        <ErrorState error={error} onRetry={reload} />
      ) : (
        <Card>
          <Table<Staff>
            rowKey="id"
            columns={columns}
            dataSource={data?.items ?? []}
            loading={loading}
            pagination={{ defaultPageSize: 10, showSizeChanger: true }}
            locale={{ emptyText: t('staff.empty') }}
            data-testid="staff-table"
          />
        </Card>
      )}
      {editing ? (
        <StaffModal
          editing={editing}
          me={me}
          onClose={() => setEditing(undefined)}
          onSaved={(s, created) => {
            setEditing(undefined);
            setData((d) => ({ items: created ? [...(d?.items ?? []), s] : (d?.items ?? []).map((x) => (x.id === s.id ? s : x)) }));
            void message.success(t(created ? 'staff.created' : 'staff.updated', { name: s.name }));
          }}
        />
      ) : null}
    </>
  );
}
