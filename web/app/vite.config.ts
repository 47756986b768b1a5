import { defineConfig } from "vitest/config";
import preact from "@preact/preset-vite";

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
  server: {
    proxy: { "/v1": { target: "http://127.0.0.1:8080", ws: true } },
  },
  test: { environment: "jsdom" },
});
