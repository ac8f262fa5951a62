import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import './app/styles.css';

// The hub serves this same index.html at /scanner: the cashier's web scanner, with its own layout.
const ScannerApp = lazy(() => import('./scanner/ScannerApp').then((m) => ({ default: m.ScannerApp })));

const root = createRoot(document.getElementById('root')!);
root.render(
  <StrictMode>
    {window.location.pathname.startsWith('/scanner') ? (
      <Suspense fallback={null}>
        <ScannerApp />
      </Suspense>
    ) : (
      <App />
    )}
  </StrictMode>,
);
