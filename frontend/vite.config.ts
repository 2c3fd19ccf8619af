import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to a running rmdesk (default port 8080).
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": process.env.RMDESK_URL ?? "http://127.0.0.1:8080" },
  },
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
  },
});
