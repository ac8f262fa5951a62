import { useSearchParams } from 'react-router-dom';
import { Card } from 'antd';
import { useI18n } from '../app/i18n';
import { PageHeader } from '../app/ui';
import { OperationsTable } from './OperationsTable';

/** History › Operations: every sale with its discount, points and refunds. */
export function OperationsPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? undefined;
  return (
    <>
      <PageHeader title={t('sales.title')} intro={t('sales.intro')} />
      <Card>
        <OperationsTable
          status={status}
          guestId={params.get('guestId') ?? undefined}
          cardId={params.get('cardId') ?? undefined}
          onStatus={(s) => {
            const next = new URLSearchParams(params);
            if (s) next.set('status', s);
            else next.delete('status');
            setParams(next, { replace: true });
          }}
        />
      </Card>
    </>
  );
}
