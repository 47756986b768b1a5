import { defineConfig } from "@playwright/test";

// Debian's Chromium (installed by scripts/test), driven by Playwright: no browser download.
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "tests",
  // Two files at a time: each test has its own server (data directory, free port) and browser
  // contexts, and one worker kept only about half of one core busy (it mostly waits, on the
  // browser and on the server). The tests of a file still run in order, in one worker.
  workers: 2,
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
    // On the retry only: recording every test to keep the failed ones' traces
    // (retain-on-failure) took 45% of the CPU time and 35% of the time of a 43-test sample.
    trace: "on-first-retry",
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
