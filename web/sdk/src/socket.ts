// One WebSocket connection to /v1/ws (docs/protocol.md §6): authenticated by subprotocols as a
// browser must, open once `hello` has arrived, requests matched to replies by id, pushed
// events handed to the owner. It never reconnects by itself: the client decides that.

import { MagpieError } from "./errors.ts";
import type { Hello, RevokeReason, ServerFrame } from "./wire.ts";

/** The subprotocol the server selects, and the prefix of the one that carries the token. */
export const WS_PROTOCOL = "magpie.v1";
export const WS_BEARER_PROTOCOL_PREFIX = "magpie.bearer.";

/** Close codes after which the token is dead (§6.9): do not reconnect with it. */
export const SESSION_REVOKED = 4001;
export const ACCOUNT_DISABLED = 4003;
/** The code this client closes with when it gives up on a connection: the server stopped
 * answering, or the client fell behind on pushes. (4000–4999 are for applications; the
 * server's own codes there are other numbers.) */
export const CLIENT_GAVE_UP = 4000;

export interface SocketOptions {
  /** How long a request may wait for its answer; past it the connection is taken for dead. */
  requestTimeoutMs?: number;
  /** How long to wait for `hello` after starting to connect. */
  helloTimeoutMs?: number;
  /** Frames per second this side sends at most, on average; bursts of twice this pass. The
   * server's limit is 50 (`ws_frames_per_sec_max`), so the default stays below it. */
  framesPerSecMax?: number;
}

export interface SocketHandlers {
  /** A pushed event (§6.6), in the order the server sent them. */
  onEvent(event: string, data: unknown): void;
  /** The connection ended after `hello` (by either side, or the network). Called once. */
  onClose(close: CloseInfo): void;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** From a `session_revoked` event that came before the close, if one did. */
  revoked?: RevokeReason;
}

/** The connection did not open (no `hello`): refused, closed at once, or no network. */
export class ConnectError extends MagpieError {
  constructor(readonly close: CloseInfo) {
    super("network", `the connection closed before hello (${close.code}${close.reason ? ` ${close.reason}` : ""})`);
  }
}

/** Requests that wait for a frame or an answer at once; past this a request is refused. */
const PENDING_REQUESTS_MAX = 1024;

interface Pending {
  type: string;
  resolve(value: unknown): void;
  reject(error: MagpieError): void;
  /** Started when the frame goes out: time spent waiting for the rate budget is not the
   * server's delay. */
  timer?: ReturnType<typeof setTimeout>;
}

/** The WebSocket URL for a server base URL: http→ws, https→wss; "" means this page's origin. */
export function webSocketUrl(baseUrl: string): string {
  const origin = baseUrl || (typeof location === "undefined" ? "" : location.origin);
  return `${origin.replace(/^http/, "ws")}/v1/ws`;
}

export class Socket {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Frames waiting for the rate budget, oldest first. */
  private readonly outgoing: { id: number; text: string }[] = [];
  private tokens: number;
  private refilledAt = Date.now();
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private closeInfo: CloseInfo | undefined;
  private revoked: RevokeReason | undefined;
  private readonly requestTimeoutMs: number;
  private readonly framesPerSecMax: number;
  private readonly encoder = new TextEncoder();

  private constructor(
    private readonly ws: WebSocket,
    readonly hello: Hello,
    private readonly handlers: SocketHandlers,
    options: SocketOptions,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.framesPerSecMax = options.framesPerSecMax ?? 40;
    this.tokens = this.framesPerSecMax * 2;
    ws.addEventListener("message", (message) => this.receive(message.data));
    ws.addEventListener("close", (event) => this.finish({ code: event.code, reason: event.reason }));
    // Browsers follow an error with a close; Node 20's WebSocket may not, so an error ends the
    // connection by itself.
    ws.addEventListener("error", () => this.finish({ code: 1006, reason: "connection failed" }));
    // Browsers answer the server's pings but cannot see them, so a connection whose network is
    // gone would look open for minutes. A ping request per heartbeat interval finds that out.
    const heartbeatMs = Math.max(1, hello.heartbeat_interval_secs) * 1000;
    this.heartbeat = setInterval(() => this.request("ping").catch(() => {}), heartbeatMs);
  }

  /** Opens a connection and resolves once `hello` has arrived. Rejects with a ConnectError
   * when it closes first (a refused token shows as such a close: browsers hide the status). */
  static connect(url: string, token: string, handlers: SocketHandlers, options: SocketOptions = {}): Promise<Socket> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, [WS_PROTOCOL, WS_BEARER_PROTOCOL_PREFIX + token]);
      } catch (cause) {
        reject(MagpieError.network(`cannot open ${url}`, cause));
        return;
      }
      let revoked: RevokeReason | undefined;
      const fail = (close: CloseInfo): void => {
        clearTimeout(timer);
        ws.removeEventListener("message", onFirst);
        ws.removeEventListener("close", onClose);
        ws.removeEventListener("error", onError);
        reject(new ConnectError(close));
      };
      const timer = setTimeout(() => {
        ws.close();
        fail({ code: 1006, reason: "no hello in time" });
      }, options.helloTimeoutMs ?? 15_000);
      const onClose = (event: CloseEvent): void => fail({ code: event.code, reason: event.reason, revoked });
      // A refused connection: browsers fire error and then close, Node 20's WebSocket only error.
      const onError = (): void => fail({ code: 1006, reason: "connection failed", revoked });
      const onFirst = (message: MessageEvent): void => {
        const frame = parseFrame(message.data);
        if (frame?.type === "event" && frame.event === "session_revoked") {
          // Revoked while the upgrade was under way: the close (4001/4003) follows.
          revoked = (frame.data as { reason?: RevokeReason }).reason;
          return;
        }
        if (frame?.type !== "hello") return;
        clearTimeout(timer);
        ws.removeEventListener("message", onFirst);
        ws.removeEventListener("close", onClose);
        ws.removeEventListener("error", onError);
        const { type: _type, ...hello } = frame;
        resolve(new Socket(ws, hello, handlers, options));
      };
      ws.addEventListener("message", onFirst);
      ws.addEventListener("close", onClose);
      ws.addEventListener("error", onError);
    });
  }

  get isOpen(): boolean {
    return this.closeInfo === undefined;
  }

  /** How the connection ended, once it has. */
  get closed(): CloseInfo | undefined {
    return this.closeInfo;
  }

  /** Sends a request and resolves with its reply's `data`; rejects with the server's error,
   * or with `network` when the connection closes first or no answer comes in time (the
   * connection is then closed, since a server that does not answer is as good as gone). */
  request<T = unknown>(type: string, data?: unknown): Promise<T> {
    if (!this.isOpen) return Promise.reject(MagpieError.network("not connected"));
    if (this.pending.size >= PENDING_REQUESTS_MAX) {
      return Promise.reject(MagpieError.network("too many requests waiting for the connection"));
    }
    const id = this.nextId++;
    const text = JSON.stringify(data === undefined ? { id, type } : { id, type, data });
    // A frame over the server's limit gets `too_large`, and one over four times the limit
    // closes the connection (§6.8), which a retry would do again: refuse it here.
    if (this.encoder.encode(text).length > this.hello.frame_bytes_max) {
      return Promise.reject(
        new MagpieError("too_large", `frames are limited to ${this.hello.frame_bytes_max} bytes`, { field: "frame" }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { type, resolve: resolve as (value: unknown) => void, reject });
      this.outgoing.push({ id, text });
      this.drain();
    });
  }

  /** Closes the connection from this side; onClose follows with this code. */
  close(code = 1000, reason = ""): void {
    if (!this.isOpen) return;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.close();
    }
    // Do not wait for the server's close frame: a dead network would never deliver it.
    this.finish({ code, reason });
  }

  /** Sends waiting frames as far as the rate budget allows, and schedules the rest. */
  private drain(): void {
    const now = Date.now();
    const capacity = this.framesPerSecMax * 2;
    this.tokens = Math.min(capacity, this.tokens + ((now - this.refilledAt) / 1000) * this.framesPerSecMax);
    this.refilledAt = now;
    while (this.outgoing.length > 0 && this.tokens >= 1 && this.isOpen) {
      this.tokens -= 1;
      const { id, text } = this.outgoing.shift()!;
      const waiter = this.pending.get(id);
      if (!waiter) continue;
      waiter.timer = setTimeout(() => {
        this.pending.delete(id);
        waiter.reject(MagpieError.network(`no answer to ${waiter.type} within ${this.requestTimeoutMs} ms`));
        this.close(CLIENT_GAVE_UP, "no answer");
      }, this.requestTimeoutMs);
      this.ws.send(text);
    }
    if (this.outgoing.length > 0 && this.drainTimer === undefined && this.isOpen) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.framesPerSecMax) * 1000);
      this.drainTimer = setTimeout(() => {
        this.drainTimer = undefined;
        this.drain();
      }, waitMs);
    }
  }

  private receive(raw: unknown): void {
    const frame = parseFrame(raw);
    if (!frame) return;
    switch (frame.type) {
      case "reply":
      case "error": {
        if (frame.id === null) return; // A frame the server could not read: no request waits.
        const waiter = this.pending.get(frame.id);
        if (!waiter) return;
        this.pending.delete(frame.id);
        clearTimeout(waiter.timer);
        if (frame.type === "reply") waiter.resolve(frame.data);
        else waiter.reject(MagpieError.fromWire(frame.error));
        return;
      }
      case "event":
        if (frame.event === "session_revoked") this.revoked = (frame.data as { reason?: RevokeReason }).reason;
        this.handlers.onEvent(frame.event, frame.data);
        return;
      case "hello":
        return;
    }
  }

  private finish(close: CloseInfo): void {
    if (!this.isOpen) return;
    this.closeInfo = { ...close, revoked: close.revoked ?? this.revoked };
    clearInterval(this.heartbeat);
    clearTimeout(this.drainTimer);
    this.outgoing.length = 0;
    const error = MagpieError.network(`the connection closed (${close.code})`);
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
    this.handlers.onClose(this.closeInfo);
  }
}

function parseFrame(raw: unknown): ServerFrame | undefined {
  if (typeof raw !== "string") return undefined;
  try {
    const frame = JSON.parse(raw) as ServerFrame;
    return typeof frame === "object" && frame !== null && typeof frame.type === "string" ? frame : undefined;
  } catch {
    return undefined;
  }
}
