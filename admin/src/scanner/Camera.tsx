import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Flex, Typography } from 'antd';
import { CameraOutlined, CloseOutlined } from '@ant-design/icons';
import type { IScannerControls } from '@zxing/browser';
import { useI18n } from '../app/i18n';
import type { MessageKey } from '../app/messages';

/** Why the camera cannot be used, in words; the cashier types the code instead. */
function cameraProblem(e: unknown): MessageKey {
  const name = (e as { name?: string } | null)?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'scanner.camera.denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'scanner.camera.none';
  if (name === 'NotReadableError') return 'scanner.camera.busy';
  return 'scanner.camera.failed';
}

/** The device has a camera API at all (https or localhost, a browser that has getUserMedia). */
export const cameraAvailable = () => typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && window.isSecureContext !== false;

/**
 * The phone's or tablet's camera reading QR codes (ZXing in the browser). It starts on the
 * cashier's tap (so the permission prompt follows a gesture) and fails over to typing.
 */
export function Camera({ onCode, onClose }: { onCode: (text: string) => void; onClose: () => void }) {
  const { t } = useI18n();
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<MessageKey>();
  const [starting, setStarting] = useState(true);
  const done = useRef(false);
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;

  useEffect(() => {
    if (!cameraAvailable()) {
      setProblem('scanner.camera.unsupported');
      setStarting(false);
      return;
    }
    let controls: IScannerControls | undefined;
    let cancelled = false;
    void (async () => {
      try {
        const { BrowserQRCodeReader } = await import('@zxing/browser');
        const reader = new BrowserQRCodeReader(undefined, { delayBetweenScanAttempts: 150 });
        const c = await reader.decodeFromConstraints({ video: { facingMode: { ideal: 'environment' } }, audio: false }, video.current!, (result) => {
          if (result && !done.current) {
            done.current = true;
            navigator.vibrate?.(60);
            onCodeRef.current(result.getText());
          }
        });
        if (cancelled) c.stop();
        else controls = c;
      } catch (e) {
        if (!cancelled) setProblem(cameraProblem(e));
      } finally {
        if (!cancelled) setStarting(false);
      }
    })();
    return () => {
      cancelled = true;
      controls?.stop();
    };
  }, []);

  return (
    <Flex vertical gap={12} data-testid="camera">
      {problem ? (
        <Alert type="warning" showIcon message={t(problem)} description={t('scanner.camera.typeInstead')} data-testid="camera-problem" />
      ) : (
        <>
          <video ref={video} className="scanner-video" muted playsInline aria-label={t('scanner.camera')} />
          <Typography.Text type="secondary" style={{ textAlign: 'center' }}>
            <CameraOutlined /> {starting ? t('scanner.camera.starting') : t('scanner.camera.point')}
          </Typography.Text>
        </>
      )}
      <Button icon={<CloseOutlined />} onClick={onClose} block>
        {t('scanner.camera.close')}
      </Button>
    </Flex>
  );
}
