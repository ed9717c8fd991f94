import { defineConfig } from 'vite'

// `pnpm dev` serves this on :5173 with hot reload and forwards the API and sign-in to :3000.
export default defineConfig({
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false },
      '/auth': { target: 'http://127.0.0.1:3000', changeOrigin: false },
      '/config.json': { target: 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
})
