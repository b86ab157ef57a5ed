import { defineConfig } from 'vite';
import { precompressPlugin } from './build/precompress.js';

// `npm run dev -w packages/dashboard` serves the pages with hot reload and forwards the API to a
// `herald serve` on port 8080 (or HERALD_URL), so the session cookie stays same-origin.
const herald = process.env.HERALD_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0 },
  plugins: [precompressPlugin()],
  server: { proxy: { '/v1': herald, '/portal': herald } },
});
