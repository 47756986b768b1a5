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
  // The workbench app (optional): its OAuth client, as installed, and where browsers reach it.
  ...(process.env.MAGPIE_CLIENT_ID ? { clientId: process.env.MAGPIE_CLIENT_ID } : {}),
  ...(process.env.MAGPIE_CLIENT_SECRET ? { clientSecret: process.env.MAGPIE_CLIENT_SECRET } : {}),
  ...(process.env.PUBLIC_URL ? { publicUrl: process.env.PUBLIC_URL } : {}),
});
console.log(`leave-approval listening at ${app.url} (subscribe the bot to "command" and "card_action" there)`);
if (process.env.MAGPIE_CLIENT_ID && process.env.MAGPIE_CLIENT_SECRET) {
  console.log(`its workbench page is ${app.pageUrl} (redirect URI ${app.redirectUri})`);
} else {
  console.log(`no MAGPIE_CLIENT_ID and MAGPIE_CLIENT_SECRET: /leave only (install ${app.pageUrl} in the workbench, see README.md)`);
}
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
