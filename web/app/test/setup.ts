// Run before every test file of the app (vite.config.ts, `test.setupFiles`).
import { options } from "preact";

// preact/hooks runs effects after the next paint: requestAnimationFrame, raced by a 100 ms
// timeout that then calls cancelAnimationFrame. A file's last render can leave that timeout
// waiting after jsdom, and its cancelAnimationFrame, are gone (vitest reports it as an unhandled
// error). In tests, effects run on the next macrotask instead, which needs nothing of jsdom.
options.requestAnimationFrame = (callback: () => void) => {
  setTimeout(callback, 0);
};
