import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The hub serves dist/ at /admin (index.html for every client route) under `script-src 'self'`:
// no inline scripts, no CDNs. During `npm run dev -w @loyalty/admin` the API is proxied to a running hub.
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // React apart from the app code (cached across releases); antd parts follow the pages that use them.
    chunkSizeWarningLimit: 800,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [{ name: 'react', test: /[\\/]node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom|cookie|set-cookie-parser)[\\/]/ }],
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/v1': process.env.HUB_URL ?? 'http://localhost:8080' },
  },
});
