// A real magpie server for the browser and SDK tests: the binary the Rust build made, on a
// fresh data directory, listening on a free loopback port. Accounts are made with
// `magpie admin user add`, exactly as the README tells a new user.

import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The magpie binary: $MAGPIE_BIN, else the workspace's debug build. */
export function magpieBin(): string {
  const bin = process.env.MAGPIE_BIN ?? resolve(here, "../../target/debug/magpie");
  if (!existsSync(bin)) {
    throw new Error(`no magpie binary at ${bin}: run \`cargo build -p magpie\` first, or set MAGPIE_BIN`);
  }
  return bin;
}

/** Settings that make tests quick: cheap password hashing and no request rate limits. */
export const FAST: Record<string, string> = {
  MAGPIE_ARGON2_MEMORY_KIB: "256",
  MAGPIE_ARGON2_ITERATIONS: "1",
  MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX: "0",
  MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX: "0",
};

export const PASSWORD = "correct-horse-battery";

export interface User {
  /** The address, e.g. "alice@localhost". */
  account: string;
  name: string;
  password: string;
  displayName: string;
}

export interface TestServer {
  /** "http://127.0.0.1:PORT"; stays the same across restart(). */
  readonly url: string;
  readonly dataDir: string;
  /** `magpie admin user add NAME --display-name D --password-stdin [--admin | --server-admin]`. */
  addUser(name: string, options?: { displayName?: string; admin?: boolean; serverAdmin?: boolean; password?: string }): Promise<User>;
  /** Stops the server gracefully (SIGTERM) and starts it again on the same directory and port. */
  restart(): Promise<void>;
  /** SIGKILL, then start again on the same directory and port. */
  crash(): Promise<void>;
  /** SIGKILL, and stay down until up(). */
  down(): Promise<void>;
  /** Starts a server that down() stopped, on the same directory and port. */
  up(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

export async function startServer(options: { env?: Record<string, string> } = {}): Promise<TestServer> {
  const bin = magpieBin();
  const dataDir = mkdtempSync(join(tmpdir(), "magpie-web-test-"));
  const env = { ...process.env, MAGPIE_LOG: "warn", ...FAST, ...(options.env ?? {}) };
  let url = "";
  let child: ChildProcess | undefined;

  const spawnServer = async (): Promise<void> => {
    const listen = url ? url.replace("http://", "") : "127.0.0.1:0";
    const proc = spawn(bin, ["--data-dir", dataDir, "serve", "--listen", listen], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    child = proc;
    const lines = createInterface({ input: proc.stdout! });
    const first = await new Promise<string>((resolveLine, reject) => {
      const timer = setTimeout(() => reject(new Error("magpie did not start within 30 s")), 30_000);
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`magpie exited with ${code} before listening`));
      });
      lines.once("line", (line) => {
        clearTimeout(timer);
        resolveLine(line);
      });
    });
    const prefix = "magpie listening on ";
    if (!first.startsWith(prefix)) throw new Error(`unexpected first line from magpie: ${first}`);
    url = first.slice(prefix.length).trim();
    // Keep draining stdout so that the server never blocks on a full pipe.
    lines.on("line", () => {});
  };

  const exited = (proc: ChildProcess): Promise<void> =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((done) => proc.once("exit", () => done()));

  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc) return;
    const gone = exited(proc);
    proc.kill(signal);
    await gone;
  };

  await spawnServer();

  return {
    get url() {
      return url;
    },
    dataDir,
    async addUser(name, opts = {}) {
      const displayName = opts.displayName ?? name;
      const password = opts.password ?? PASSWORD;
      const args = ["--data-dir", dataDir, "admin", "user", "add", name, "--display-name", displayName, "--password-stdin"];
      if (opts.admin) args.push("--admin");
      if (opts.serverAdmin) args.push("--server-admin");
      await new Promise<void>((done, fail) => {
        const proc = execFile(bin, args, { env }, (error, _stdout, stderr) =>
          error ? fail(new Error(`magpie admin user add ${name} failed: ${stderr}`)) : done(),
        );
        proc.stdin!.end(password + "\n");
      });
      return { account: `${name}@localhost`, name, password, displayName };
    },
    async restart() {
      await stopWith("SIGTERM");
      await spawnServer();
    },
    async crash() {
      await stopWith("SIGKILL");
      await spawnServer();
    },
    async down() {
      await stopWith("SIGKILL");
    },
    async up() {
      await spawnServer();
    },
    async stop() {
      await stopWith("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
