import { defineConfig } from 'vite'

// `pnpm dev` serves this with hot reload (on :5173 when the API is on :3000) and forwards the API
// and sign-in to the API's port; api/src/cli/dev.ts passes both ports.
const apiPort = process.env.VOTELAB_API_PORT ?? '3000'
const api = `http://127.0.0.1:${apiPort}`

export default defineConfig({
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  server: {
    port: Number(process.env.VOTELAB_WEB_PORT ?? 5173),
    strictPort: true,
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/auth': { target: api, changeOrigin: false },
      '/config.json': { target: api, changeOrigin: false },
    },
  },
})
