// Bundles the renderer for both transports: Electron loads dist/renderer/index.html from its
// custom protocol and the browser console serves the same files from loopback, so every asset
// path is relative (base './') and nothing is fetched from anywhere else at run time.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Paths from this file's URL (which Vite keeps when it bundles the config), so the build works
// from any working folder. No node:url here: eslint keeps node:* out of renderer/. The drive
// letter fix-up makes '/C:/x/' a Windows path.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname).replace(
  /^\/([A-Za-z]:)/,
  '$1',
);

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: `${here}/../dist/renderer`,
    emptyOutDir: true,
    sourcemap: true,
    // The air-gapped workstation loads from disk: one predictable bundle, no inlined data: URLs
    // (the Content-Security-Policy refuses them).
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  server: { host: '127.0.0.1', strictPort: false },
});
