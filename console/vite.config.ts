/**
 * The staff console's build (`npm run build:console` → console/dist), served by the gateway under
 * /console/. `npx vite console` serves it with hot reload, calling a gateway on :8080.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080', '/console/session': 'http://127.0.0.1:8080', '/console/config.json': 'http://127.0.0.1:8080' } },
});
