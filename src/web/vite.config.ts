// Builds the web app (src/web) into dist/web, which `tandem serve` serves at `/`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    // The server's content security policy allows no inline script; keep the module preload
    // polyfill (an inline script) out.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
    // Two pages: the workspace (index.html) and the customer's chat widget (chat.html, /demo/chat).
    rollupOptions: { input: { main: fileURLToPath(new URL('./index.html', import.meta.url)), chat: fileURLToPath(new URL('./chat.html', import.meta.url)) } },
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
