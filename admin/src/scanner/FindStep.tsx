import { useCallback, useState } from 'react';
import { Alert, Button, Card, Divider, Input, Space, Typography } from 'antd';
import { CameraOutlined, SearchOutlined } from '@ant-design/icons';
import { http, withQuery } from '../app/api';
import { useI18n } from '../app/i18n';
import { problemMessage } from '../app/problems';
import type { CardLookup } from '../app/types';
import { Camera, cameraAvailable } from './Camera';
import { lookupKey } from './lookup';

/** Step 1: find the guest by the card's QR or barcode, its number or the phone. */
export function FindStep({ onFound }: { onFound: (f: CardLookup) => void }) {
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
