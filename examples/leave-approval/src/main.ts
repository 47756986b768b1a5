// Runs the leave-approval app from its environment (see README.md).

import { startLeaveApp } from "./app.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set (see README.md)`);
    process.exit(2);
  }
  return value;
}

const app = await startLeaveApp({
  magpie: required("MAGPIE_URL"),
  token: required("MAGPIE_BOT_TOKEN"),
  secret: required("MAGPIE_SIGNING_SECRET"),
  host: process.env.HOST ?? "127.0.0.1",
  port: Number(process.env.PORT ?? 8090),
});
console.log(`leave-approval listening at ${app.url} (subscribe the bot to "command" and "card_action" there)`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
