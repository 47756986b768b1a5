// Administration → Stickers against a fake server: the tab is every administrator's, in both
// languages, and works on the caller's own domain (a server administrator who picked another
// domain is told so); the packs are listed with their stickers as thumbnails (the chat's 256-pixel
// ones) and emoji; a pack is made by its name, what is wrong with the name said before the server
// is asked and the server's refusals after; image files chosen for a pack are uploaded and added
// in turn, each with its emoji, its progress shown, and each refused file says why (not an image,
// too large as the server says it, an emoji it does not take) and stays to be tried again; a file
// uploaded whose adding failed is not uploaded again. The pure parts of lib/stickers.ts too.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { MagpieError, type FileInfo, type NewSticker, type StickerPack, type UploadProgress } from "@magpie/sdk";
import { ClientContext } from "../src/state/client.ts";
import { LocaleContext } from "../src/i18n/hooks.ts";
import { AdminPage } from "../src/components/Admin.tsx";
import {
  charCount, emojiTooLong, limitOf, packNameProblem, pendingFraction, pendingOf, stickerFailure, STICKER_PACK_NAME_CHARS_MAX, withPack,
} from "../src/lib/stickers.ts";
import { ADMIN_TABS, adminTabsFor, parseRoute, routePath, type AdminTab } from "../src/state/router.ts";
import { FakeClient } from "./fake-client.ts";

let root: HTMLElement;
beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  history.replaceState(null, "", "/");
});
afterEach(() => {
  render(null, root);
  root.remove();
  vi.restoreAllMocks();
});

function mount(client: FakeClient, tab: AdminTab = "stickers", locale: "en" | "zh" = "en"): void {
  act(() => {
    render(<LocaleContext.Provider value={locale}><ClientContext.Provider value={client}><AdminPage tab={tab} /></ClientContext.Provider></LocaleContext.Provider>, root);
  });
}
const text = (el: Element | null | undefined) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
const tabs = () => [...root.querySelectorAll('[role="tab"]')].map(text);
const button = (scope: ParentNode, name: string) => {
  const found = [...scope.querySelectorAll("button")].find((b) => text(b) === name || b.getAttribute("aria-label") === name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
};
async function settle(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await act(async () => { await Promise.resolve(); });
    if (root.querySelector('[aria-busy="true"]') === null) return;
  }
  throw new Error("still loading");
}
function type(el: HTMLInputElement, value: string) {
  act(() => { el.value = value; el.dispatchEvent(new Event("input", { bubbles: true })); });
}
async function createPack(name: string): Promise<void> {
  type(root.querySelector<HTMLInputElement>("#adm-sticker-pack-name")!, name);
  act(() => { button(root, "Create pack").click(); });
  await settle();
}
const pack = (id: string) => root.querySelector<HTMLElement>(`[data-testid="sticker-pack"][data-id="${id}"]`)!;
const stickers = (id: string) => [...pack(id).querySelectorAll<HTMLElement>('[data-testid="admin-sticker"]')].map((s) => [s.dataset.id, s.dataset.emoji]);
const pending = (id: string) => [...pack(id).querySelectorAll<HTMLElement>('[data-testid="sticker-pending"]')];
function choose(id: string, files: File[]) {
  const input = pack(id).querySelector<HTMLInputElement>('input[type="file"]')!;
  Object.defineProperty(input, "files", { value: files, configurable: true });
  act(() => { input.dispatchEvent(new Event("change", { bubbles: true })); });
}
const png = (name: string, bytes = 100) => new File([new Uint8Array(bytes)], name, { type: "image/png" });
const emojiInput = (id: string, file: string) =>
  [...pack(id).querySelectorAll<HTMLInputElement>('[data-testid="sticker-pending"] input')].find((i) => root.querySelector(`label[for="${i.id}"]`)?.textContent === `Emoji for ${file}`)!;

/** A fake server's sticker packs of the caller's domain `x`: its answers, what it was asked, and
 * how it refuses a file (by its name) when uploaded or added. */
function withStickers(role: "domain_admin" | "server_admin" = "domain_admin") {
  const client = new FakeClient();
  client.me = { ...client.me, account: "root@x", display_name: "Root", role };
  const calls: [string, ...unknown[]][] = [];
  const state = {
    packs: [
      { id: "p1", name: "Magpies", stickers: [{ id: "f1", emoji: "👋", width: 64, height: 64 }, { id: "f2", width: 64, height: 64 }] },
      { id: "p2", name: "Empty", stickers: [] },
    ] as StickerPack[],
    uploadRefusals: new Map<string, MagpieError>(),
    addRefusals: new Map<string, MagpieError>(),
    createRefusal: null as MagpieError | null,
    /** An upload that waits until it is let go, with its progress reported on the way. */
    held: null as null | { onProgress?: (p: UploadProgress) => void; go: () => void },
    files: new Map<string, string>(),
  };
  let nextFile = 10;
  client.stickers = async () => {
    calls.push(["list"]);
    return state.packs.map((p) => ({ ...p, stickers: [...p.stickers] }));
  };
  client.fileUrl = (async (id: string, side?: 256 | 1024) => {
    calls.push(["url", id, side]);
    return `blob:${id}@${side}`;
  }) as unknown as typeof client.fileUrl;
  client.upload = (async (file: File, onProgress?: (p: UploadProgress) => void) => {
    calls.push(["upload", file.name]);
    const refusal = state.uploadRefusals.get(file.name);
    if (refusal) throw refusal;
    if (state.held) {
      state.held.onProgress = onProgress;
      await new Promise<void>((resolve) => { state.held!.go = resolve; });
    }
    onProgress?.({ sent: file.size, total: file.size });
    const id = `f${nextFile++}`;
    state.files.set(id, file.name);
    return { id, size: file.size, media_type: file.type, sha256: "", created_at_ms: 0 } satisfies FileInfo;
  }) as typeof client.upload;
  client.admin = {
    createStickerPack: async (name: string) => {
      calls.push(["create", name]);
      if (state.createRefusal) throw state.createRefusal;
      const made = { id: `p${state.packs.length + 1}`, name, stickers: [] };
      state.packs.push(made);
      return { ...made };
    },
    addSticker: async (id: string, sticker: NewSticker) => {
      calls.push(["add", id, sticker]);
      const refusal = state.addRefusals.get(state.files.get(sticker.file) ?? "");
      if (refusal) throw refusal;
      const p = state.packs.find((x) => x.id === id)!;
      p.stickers = [...p.stickers, { id: sticker.file, ...(sticker.emoji ? { emoji: sticker.emoji } : {}), width: 64, height: 64 }];
      return { ...p, stickers: [...p.stickers] };
    },
    domains: async () => [{ name: "x" }, { name: "y.example" }],
    departmentTree: async () => [],
  } as unknown as typeof client.admin;
  return { client, calls, state };
}

describe("the stickers tab", () => {
  it("is every administrator's, with its route, in both languages", async () => {
    expect(ADMIN_TABS).toContain("stickers");
    expect(adminTabsFor("domain_admin")).toContain("stickers");
    expect(parseRoute("/admin/stickers")).toEqual({ page: "admin", tab: "stickers" });
    expect(routePath({ page: "admin", tab: "stickers" })).toBe("/admin/stickers");
    for (const role of ["domain_admin", "server_admin"] as const) {
      mount(withStickers(role).client, "departments");
      await settle();
      expect(tabs()).toContain("Stickers");
      render(null, root);
    }
    mount(withStickers().client, "stickers", "zh");
    await settle();
    expect(text(root.querySelector('[role="tab"][aria-selected="true"]'))).toBe("表情包");
    expect(text(root.querySelector("#adm-sticker-packs"))).toBe("表情包列表");
    expect(text(root.querySelector(".stickers-section .admin-intro"))).toContain("你自己的域 x");
    expect(text(pack("p1").querySelector('[data-testid="sticker-pack-count"]'))).toBe("2 个表情");
  });

  it("lists the packs with their stickers as the chat's thumbnails, and their emoji", async () => {
    const { client, calls } = withStickers();
    mount(client);
    await settle();
    expect(calls[0]).toEqual(["list"]);
    expect(text(root.querySelector(".stickers-section .admin-intro"))).toContain("your own domain, x");
    expect(root.querySelector('[data-testid="stickers-own-domain"]')).toBeNull();
    expect(text(root.querySelector('[data-testid="sticker-packs-count"]'))).toBe("2 sticker packs");
    expect(text(pack("p1").querySelector('[data-testid="sticker-pack-name"]'))).toBe("Magpies");
    expect(text(pack("p1").querySelector('[data-testid="sticker-pack-count"]'))).toBe("2 stickers");
    expect(stickers("p1")).toEqual([["f1", "👋"], ["f2", ""]]);
    await vi.waitFor(() => expect(pack("p1").querySelectorAll("img")).toHaveLength(2));
    const imgs = [...pack("p1").querySelectorAll("img")];
    expect(imgs.map((i) => i.getAttribute("src"))).toEqual(["blob:f1@256", "blob:f2@256"]);
    expect(imgs.map((i) => i.getAttribute("alt"))).toEqual(["Sticker 👋", "Sticker"]);
    expect(text(pack("p2").querySelector('[data-testid="sticker-pack-count"]'))).toBe("No stickers yet");
    expect(stickers("p2")).toEqual([]);
    // Nothing removes a pack or a sticker: the server has no way to.
    expect([...root.querySelectorAll("button")].map(text).filter((b) => /delete|remove/i.test(b))).toEqual([]);
  });

  it("says when the domain has no packs", async () => {
    const { client, state } = withStickers();
    state.packs = [];
    mount(client);
    await settle();
    expect(text(root.querySelector('[data-testid="sticker-packs-none"]'))).toBe("x has no sticker packs yet.");
  });

  it("makes a pack by its name, after checking the name", async () => {
    const { client, calls } = withStickers();
    mount(client);
    await settle();
    await createPack("   ");
    expect(text(root.querySelector("#adm-sticker-pack-name-error"))).toBe("Give the pack a name.");
    expect(document.activeElement).toBe(root.querySelector("#adm-sticker-pack-name"));
    await createPack("x".repeat(STICKER_PACK_NAME_CHARS_MAX + 1));
    expect(text(root.querySelector("#adm-sticker-pack-name-error"))).toBe("A pack's name has at most 64 characters.");
    expect(calls.filter(([c]) => c === "create")).toEqual([]);
    await createPack("  Cats  ");
    expect(calls.filter(([c]) => c === "create")).toEqual([["create", "Cats"]]);
    expect(root.querySelector("#adm-sticker-pack-name-error")).toBeNull();
    expect(root.querySelector<HTMLInputElement>("#adm-sticker-pack-name")!.value).toBe("");
    expect(text(pack("p3").querySelector('[data-testid="sticker-pack-name"]'))).toBe("Cats");
    expect([...root.querySelectorAll<HTMLElement>('[data-testid="sticker-pack"]')].map((p) => p.dataset.id)).toEqual(["p1", "p2", "p3"]);
    expect(text(root.querySelector('[data-testid="sticker-packs-count"]'))).toBe("3 sticker packs");
  });

  it("says why the server refused a pack", async () => {
    const { client, state } = withStickers();
    mount(client);
    await settle();
    state.createRefusal = new MagpieError("forbidden", "admins only", { status: 403 });
    await createPack("Cats");
    expect(text(root.querySelector('[data-testid="sticker-create-error"]'))).toBe("Only administrators can make sticker packs.");
    state.createRefusal = new MagpieError("limit_exceeded", "the domain has as many sticker packs as it may", { status: 429 });
    await createPack("Cats");
    expect(text(root.querySelector('[data-testid="sticker-create-error"]'))).toBe("x has 100 sticker packs, as many as it may.");
    state.createRefusal = new MagpieError("invalid_field", "must not contain invisible characters", { status: 400, field: "name" });
    await createPack("Cats\u200b");
    expect(root.querySelector('[data-testid="sticker-create-error"]')).toBeNull();
    expect(text(root.querySelector("#adm-sticker-pack-name-error"))).toBe("A pack's name can't hold invisible or control characters.");
  });

  it("uploads the chosen images and adds them to the pack, each with its emoji", async () => {
    const { client, calls } = withStickers();
    mount(client);
    await settle();
    choose("p2", [png("wave.png"), png("smile.png")]);
    expect(pending("p2").map((p) => [p.dataset.file, p.dataset.state])).toEqual([["wave.png", "ready"], ["smile.png", "ready"]]);
    type(emojiInput("p2", "wave.png"), " 👋 ");
    // One taken away again, and chosen once more.
    act(() => { button(pack("p2"), "Remove smile.png").click(); });
    expect(pending("p2")).toHaveLength(1);
    choose("p2", [png("smile.png")]);
    expect(button(pack("p2"), "Add 2 stickers")).toBeTruthy();
    act(() => { button(pack("p2"), "Add 2 stickers").click(); });
    await vi.waitFor(() => expect(pending("p2")).toHaveLength(0));
    await settle();
    const newFiles = calls.filter(([c]) => c === "add").map(([, , s]) => (s as NewSticker).file);
    expect(calls.filter(([c]) => c === "upload" || c === "add")).toEqual([
      ["upload", "wave.png"], ["add", "p2", { file: newFiles[0], emoji: "👋" }],
      ["upload", "smile.png"], ["add", "p2", { file: newFiles[1] }],
    ]);
    expect(stickers("p2")).toEqual([[newFiles[0], "👋"], [newFiles[1], ""]]);
    expect(text(pack("p2").querySelector('[data-testid="sticker-pack-count"]'))).toBe("2 stickers");
    expect(text(pack("p2").querySelector('[data-testid="sticker-pack-status"]'))).toBe("Added 2 stickers to Empty.");
  });

  it("shows each file's progress", async () => {
    const { client, state } = withStickers();
    mount(client);
    await settle();
    state.held = { go: () => {} };
    choose("p1", [png("big.png", 1000)]);
    act(() => { button(pack("p1"), "Add 1 sticker").click(); });
    await vi.waitFor(() => expect(state.held!.onProgress).toBeDefined());
    act(() => { state.held!.onProgress!({ sent: 250, total: 1000 }); });
    const row = pending("p1")[0]!;
    expect(row.dataset.state).toBe("uploading");
    expect(row.querySelector("progress")!.getAttribute("aria-label")).toBe("Sending big.png");
    expect(Number(row.querySelector("progress")!.value)).toBeCloseTo(0.25);
    expect(text(row.querySelector('[data-testid="sticker-pending-state"]'))).toBe("Uploading, 25%");
    expect(pack("p1").getAttribute("aria-busy")).toBe("true");
    act(() => { state.held!.go(); });
    await vi.waitFor(() => expect(pending("p1")).toHaveLength(0));
    expect(stickers("p1")).toHaveLength(3);
    expect(text(pack("p1").querySelector('[data-testid="sticker-pack-status"]'))).toBe("Added 1 sticker to Magpies.");
  });

  it("says at each file why the server refused it, and tries the refused ones again", async () => {
    const { client, calls, state } = withStickers();
    mount(client);
    await settle();
    state.uploadRefusals.set("huge.png", new MagpieError("too_large", "image is larger than 20971520 bytes", { status: 413, field: "image" }));
    state.uploadRefusals.set("wide.png", new MagpieError("too_large", "image is larger than 50000000 pixels", { status: 413, field: "image" }));
    state.addRefusals.set("notes.txt", new MagpieError("invalid_field", "a sticker is an image", { status: 400, field: "file" }));
    state.addRefusals.set("odd.png", new MagpieError("invalid_field", "must not contain invisible characters", { status: 400, field: "emoji" }));
    choose("p2", [png("huge.png"), new File(["hello"], "notes.txt", { type: "text/plain" }), png("ok.png"), png("odd.png"), png("wide.png")]);
    type(emojiInput("p2", "odd.png"), "🙂\u200b");
    act(() => { button(pack("p2"), "Add 5 stickers").click(); });
    await vi.waitFor(() => expect(pending("p2").every((p) => p.dataset.state === "failed")).toBe(true));
    await settle();
    const errors = Object.fromEntries(pending("p2").map((p) => [p.dataset.file, text(p.querySelector('[data-testid="sticker-pending-error"]'))]));
    expect(errors).toEqual({
      "huge.png": "Too large: the server takes images of up to 20 MB.",
      "notes.txt": "Not an image: a sticker must be an image file.",
      "odd.png": "The server didn't take this emoji: at most 16 characters, none of them invisible.",
      "wide.png": "Too large: the server takes images of up to 50,000,000 pixels.",
    });
    expect(stickers("p2")).toHaveLength(1);
    expect(text(pack("p2").querySelector('[data-testid="sticker-pack-status"]'))).toBe("Added 1 sticker to Empty.");
    expect(emojiInput("p2", "odd.png").getAttribute("aria-invalid")).toBe("true");

    // Tried again: the emoji put right, the file it was refused for not uploaded again; the
    // refused files are, and are refused again.
    state.addRefusals.delete("odd.png");
    type(emojiInput("p2", "odd.png"), "🙂");
    const before = calls.length;
    act(() => { button(pack("p2"), "Add 4 stickers").click(); });
    await vi.waitFor(() => expect(pending("p2").map((p) => p.dataset.file)).toEqual(["huge.png", "notes.txt", "wide.png"]));
    await settle();
    expect(calls.slice(before).filter(([c]) => c === "upload").map(([, f]) => f)).toEqual(["huge.png", "notes.txt", "wide.png"]);
    expect(stickers("p2").map(([, emoji]) => emoji)).toEqual(["", "🙂"]);
  });

  it("checks an emoji's length before sending anything", async () => {
    const { client, calls } = withStickers();
    mount(client);
    await settle();
    choose("p1", [png("a.png")]);
    type(emojiInput("p1", "a.png"), "🙂".repeat(17));
    act(() => { button(pack("p1"), "Add 1 sticker").click(); });
    await settle();
    expect(calls.filter(([c]) => c === "upload")).toEqual([]);
    expect(text(pack("p1").querySelector(".sticker-emoji-field .field-error"))).toBe("At most 16 characters.");
    expect(document.activeElement).toBe(emojiInput("p1", "a.png"));
  });

  it("stops at a pack that is full, or gone", async () => {
    const { client, calls, state } = withStickers();
    mount(client);
    await settle();
    state.addRefusals.set("a.png", new MagpieError("limit_exceeded", "the pack has as many stickers as it may", { status: 429 }));
    choose("p1", [png("a.png"), png("b.png")]);
    act(() => { button(pack("p1"), "Add 2 stickers").click(); });
    await vi.waitFor(() => expect(pending("p1")[0]!.dataset.state).toBe("failed"));
    await settle();
    expect(text(pending("p1")[0]!.querySelector('[data-testid="sticker-pending-error"]'))).toBe("This pack holds 200 stickers, as many as it may.");
    expect(pending("p1")[1]!.dataset.state).toBe("ready");
    expect(calls.filter(([c]) => c === "upload").map(([, f]) => f)).toEqual(["a.png"]);
    state.addRefusals.set("a.png", new MagpieError("not_found", "no such sticker pack", { status: 404 }));
    act(() => { button(pack("p1"), "Add 2 stickers").click(); });
    await vi.waitFor(() => expect(text(pending("p1")[0]!.querySelector('[data-testid="sticker-pending-error"]'))).toBe("This pack doesn't exist any more."));
  });

  it("works on a server administrator's own domain, whichever the page administers", async () => {
    const { client, calls } = withStickers("server_admin");
    mount(client);
    await settle();
    expect(root.querySelector('[data-testid="stickers-own-domain"]')).toBeNull();
    const select = root.querySelector<HTMLSelectElement>(".admin-domain-select")!;
    act(() => { select.value = "y.example"; select.dispatchEvent(new Event("change", { bubbles: true })); });
    await settle();
    expect(text(root.querySelector('[data-testid="stickers-own-domain"]'))).toBe("Sticker packs are your own domain's: these are x's, not y.example's.");
    expect(calls.filter(([c]) => c === "list")).toHaveLength(2);
    expect(stickers("p1")).toHaveLength(2);
  });

  it("says when the packs can't be read", async () => {
    const { client } = withStickers();
    client.stickers = async () => { throw new MagpieError("unavailable", "later", { status: 503 }); };
    mount(client);
    await settle();
    expect(text(root.querySelector('[data-testid="stickers-error"]'))).toBeTruthy();
  });
});

describe("the sticker packs' pure parts", () => {
  it("checks a pack's name and a sticker's emoji as the server counts characters", () => {
    expect(charCount("👋🏽")).toBe(2);
    expect(packNameProblem("  ")).toEqual({ kind: "required" });
    expect(packNameProblem("喜".repeat(64))).toBeNull();
    expect(packNameProblem(` ${"喜".repeat(65)} `)).toEqual({ kind: "too_long", max: 64 });
    expect(emojiTooLong("👋".repeat(16))).toBe(false);
    expect(emojiTooLong("👋".repeat(17))).toBe(true);
    expect(emojiTooLong("  ")).toBe(false);
  });

  it("follows a file from chosen to sent", () => {
    const [a, b] = pendingOf([png("a.png", 10), png("b.png", 20)], 5);
    expect([a!.key, a!.state, a!.total, b!.key, b!.total]).toEqual([5, "ready", 10, 6, 20]);
    expect(pendingFraction({ state: "ready", sent: 0, total: 10 })).toBe(0);
    expect(pendingFraction({ state: "uploading", sent: 5, total: 10 })).toBe(0.5);
    expect(pendingFraction({ state: "uploading", sent: 5, total: 0 })).toBe(0);
    expect(pendingFraction({ state: "adding", sent: 0, total: 10 })).toBe(1);
  });

  it("puts a pack the server answered in its place, or last", () => {
    const p1: StickerPack = { id: "p1", name: "A", stickers: [] };
    const p2: StickerPack = { id: "p2", name: "B", stickers: [] };
    expect(withPack(null, p1)).toEqual([p1]);
    const changed = { ...p1, stickers: [{ id: "f" }] };
    expect(withPack([p1, p2], changed)).toEqual([changed, p2]);
    expect(withPack([p1], p2)).toEqual([p1, p2]);
  });

  it("reads the server's refusals", () => {
    expect(limitOf("image is larger than 20971520 bytes")).toEqual({ max: 20971520, unit: "bytes" });
    expect(limitOf("something else")).toBeNull();
    expect(stickerFailure(new MagpieError("too_large", "upload is larger than 104857600 bytes", { field: "upload" }))).toEqual({ kind: "too_large", max: 104857600, unit: "bytes" });
    expect(stickerFailure(new MagpieError("too_large", "too big"))).toEqual({ kind: "too_large" });
    expect(stickerFailure(new MagpieError("invalid_field", "a sticker is an image", { field: "file" }))).toEqual({ kind: "not_image" });
    expect(stickerFailure(new MagpieError("invalid_field", "a sticker must be an image you uploaded", { field: "file" }))).toEqual({ kind: "not_yours" });
    expect(stickerFailure(new MagpieError("too_large", "emoji is larger than 16 characters", { field: "emoji" }))).toEqual({ kind: "emoji" });
    expect(stickerFailure(new MagpieError("limit_exceeded", "full"))).toEqual({ kind: "full" });
    expect(stickerFailure(new MagpieError("not_found", "no such sticker pack"))).toEqual({ kind: "gone" });
    expect(stickerFailure(new MagpieError("forbidden", "no"))).toEqual({ kind: "forbidden" });
    const network = MagpieError.network("offline");
    expect(stickerFailure(network)).toEqual({ kind: "other", error: network });
  });
});
