import { App as AntApp, Flex, Spin } from 'antd';
import { I18nProvider } from '../app/i18n';
import { SessionProvider, useSession } from '../app/session';
import { ScannerLogin } from './ScannerLogin';
import { Till } from './Till';

function Gate() {
  const { state } = useSession();
  if (state.status === 'loading') {
    return (
      <Flex justify="center" align="center" style={{ minHeight: '100vh' }}>
        <Spin size="large" />
      </Flex>
    );
  }
  if (state.status === 'anonymous') return <ScannerLogin expired={state.expired} />;
  return <Till />;
}

/** The web scanner at /scanner: its own mobile layout, the console's session and language. */
export function ScannerApp() {
  return (
    <I18nProvider>
      <AntApp>
        <SessionProvider>
          <Gate />
        </SessionProvider>
      </AntApp>
    </I18nProvider>
  );
}
