// Builds the single-page app into dist/ (served by `custos serve --web-dir web/dist` at /).
// During `npm run dev`, API calls are proxied to a running server: set CUSTOS_URL
// (default http://127.0.0.1:8080) so the session cookie stays same-origin.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const apiTarget = process.env.CUSTOS_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/healthz': { target: apiTarget },
    },
  },
});
