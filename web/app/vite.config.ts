import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

// Where `vite` (dev) and `vite preview` send /v1: a magpie server. MAGPIE_DEV_PROXY overrides
// the default, e.g. MAGPIE_DEV_PROXY=http://127.0.0.1:18080 npx vite.
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const proxy = { "/v1": { target: env.MAGPIE_DEV_PROXY ?? "http://127.0.0.1:8080", ws: true } };

// The built app goes to crates/magpie-web/dist, which is committed and compiled into the magpie
// binary (see crates/magpie-web/src/lib.rs); `scripts/web-build --check` proves it is current.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "../../crates/magpie-web/dist",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy },
  preview: { proxy },
  test: { environment: "jsdom", setupFiles: ["test/setup.ts"] },
});
