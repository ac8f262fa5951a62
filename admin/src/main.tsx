import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { ScannerPlaceholder } from './scanner/ScannerPlaceholder';
import './app/styles.css';

const root = createRoot(document.getElementById('root')!);
// The hub serves this same index.html at /scanner; the web scanner is its own, later issue.
root.render(<StrictMode>{window.location.pathname.startsWith('/scanner') ? <ScannerPlaceholder /> : <App />}</StrictMode>);
