import { defineConfig } from "@playwright/test";

// Debian's Chromium (installed by scripts/test), driven by Playwright: no browser download.
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "tests",
  // Each test starts its own server; on two cores, one test at a time keeps timings sane.
  workers: 1,
  fullyParallel: false,
  // One retry, reported as "flaky" in the list: a browser test that fails once in a
  // hundred runs on a loaded two-core machine should not sink the whole run, and still shows.
  retries: 1,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    headless: true,
    locale: "en-US",
    viewport: { width: 1280, height: 800 },
    actionTimeout: 15_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // The suite serves the tree's built client through Playwright's routing (fixtures.ts),
        // which Chromium counts as a public page; it then refuses the page's WebSocket to the
        // test server on loopback under its local network access rules.
        "--disable-features=LocalNetworkAccessChecks",
      ],
    },
  },
});
