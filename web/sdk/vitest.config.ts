import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Node 20 has a global WebSocket only behind this flag; the SDK uses globalThis.WebSocket,
    // as in browsers. Worker threads cannot take the flag, forked processes can.
    pool: "forks",
    poolOptions: { forks: { execArgv: ["--experimental-websocket"] } },
    // Each wait in the tests has its own, shorter bound; this only catches a stuck test.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
