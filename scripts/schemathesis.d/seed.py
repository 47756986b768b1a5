"""Seeds a fresh Magpie server for schemathesis and prints the run's configuration (TOML).

Usage: seed.py URL PASSWORD OUT_TOML

The accounts `tester` (server admin), `wren` and `finch` of `localhost` exist already (the
admin CLI made them, all with PASSWORD). This logs them in and makes what path parameters
can name: a direct chat and a group with messages, a reaction, an image upload, a sticker
pack, a contact and a pending friend request, saved and scheduled messages. Then it writes a schemathesis configuration
that logs `tester` in (again whenever a request answers 401, so that operations that end the
test's own session, such as logout, do not leave every later request unauthenticated) and
draws path parameters from these real resources half of the time, random values the rest.

Only the standard library is used, so that this runs before anything else is installed.
"""

import base64
import hashlib
import json
import re
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib

DOMAIN = "localhost"
TESTER = f"tester@{DOMAIN}"
PEERS = [f"wren@{DOMAIN}", f"finch@{DOMAIN}"]


class Api:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None, content_type=None):
        headers = {}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
        except urllib.error.HTTPError as e:
            raise SystemExit(f"seed: {method} {path} answered {e.code}: {e.read().decode(errors='replace')}")
        return json.loads(text) if text else None


def base64url(data: bytes) -> str:
    """Base64url without padding, as browsers hand out push keys."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def login(base: str, account: str, password: str) -> tuple[Api, str]:
    """A logged-in client, and the device key that makes this device a known one."""
    answer = Api(base).call("POST", "/v1/auth/login", {"account": account, "password": password, "device": "seed"})
    return Api(base, answer["token"]), answer["device_key"]


def png(width: int, height: int) -> bytes:
    """A small RGB gradient, so that the server makes real thumbnails and a blurhash."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def upload(api: Api, name: str, content: bytes, media_type: str) -> dict:
    boundary = uuid.uuid4().hex
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return api.call("POST", "/v1/files", raw=form, content_type=f"multipart/form-data; boundary={boundary}")


def send(api: Api, conversation: int, text: str) -> int:
    ack = api.call(
        "POST",
        f"/v1/conversations/{conversation}/messages",
        {"client_msg_id": uuid.uuid4().hex, "kind": "text", "body": {"text": text}},
    )
    return ack["seq"]


def toml_value(value) -> str:
    return json.dumps(value)  # A JSON string, number or array of them is valid TOML.


def main() -> None:
    base, password, out = sys.argv[1], sys.argv[2], sys.argv[3]
    tester, device_key = login(base, TESTER, password)
    wren, _ = login(base, PEERS[0], password)
    finch, _ = login(base, PEERS[1], password)

    direct = tester.call("POST", "/v1/conversations", {"kind": "direct", "peer": PEERS[0]})["id"]
    group = tester.call(
        "POST", "/v1/conversations", {"kind": "group", "name": "Flock", "members": PEERS, "description": "seeded"}
    )["id"]
    seqs = [send(tester, direct, "hello wren"), send(wren, direct, "hello tester")]
    seqs += [send(tester, group, "morning all"), send(finch, group, "morning"), send(wren, group, "🐦")]
    tester.call("POST", f"/v1/conversations/{group}/messages/{seqs[-1]}/reactions", {"emoji": "👍"})
    wren.call("POST", f"/v1/conversations/{direct}/read", {"seq": seqs[0]})

    image = upload(tester, "gradient.png", png(64, 48), "image/png")["id"]
    note = upload(tester, "notes.txt", "鹊桥 notes\n".encode(), "text/plain")["id"]
    pack = tester.call("POST", "/v1/admin/stickers", {"name": "Seeded"})["id"]
    tester.call("POST", f"/v1/admin/stickers/{pack}/stickers", {"file": image, "emoji": "🐦"})

    # wren becomes a contact; finch's request to tester stays pending.
    tester.call("POST", "/v1/contacts/requests", {"account": PEERS[0]})
    wren.call("POST", f"/v1/contacts/requests/{TESTER}/accept")
    finch.call("POST", "/v1/contacts/requests", {"account": TESTER, "message": "hi"})

    # Two saved messages of the tester's (favourites), one with a note.
    saved = [tester.call("POST", "/v1/saved", {"conversation": group, "seq": seqs[3], "note": "seeded"})["id"]]
    saved.append(tester.call("POST", "/v1/saved", {"conversation": direct, "seq": seqs[1]})["id"])

    # A thread on the group's first message: one reply kept in it, one also sent to the chat.
    roots = [seqs[2]]
    thread_reply = {"client_msg_id": uuid.uuid4().hex, "kind": "text", "body": {"text": "in the thread"}}
    wren.call("POST", f"/v1/conversations/{group}/messages", {**thread_reply, "thread": roots[0]})
    broadcast = {**thread_reply, "client_msg_id": uuid.uuid4().hex, "thread": roots[0], "broadcast": True}
    finch.call("POST", f"/v1/conversations/{group}/messages", broadcast)
    # Two scheduled messages of the tester's, a day and a week ahead.
    day_ms = 24 * 3600 * 1000
    now_ms = int(time.time() * 1000)
    scheduled = [
        tester.call(
            "POST", f"/v1/conversations/{conversation}/scheduled",
            {"kind": "text", "body": {"text": text}, "send_at_ms": now_ms + ahead},
        )["id"]
        for conversation, text, ahead in ((direct, "tomorrow, wren", day_ms), (group, "next week, all", 7 * day_ms))
    ]

    # A department with one under it, wren in the lower one with a title.
    top = tester.call("POST", f"/v1/admin/domains/{DOMAIN}/departments", {"name": "Nest"})["id"]
    lower = tester.call(
        "POST", f"/v1/admin/domains/{DOMAIN}/departments", {"name": "Branch", "parent": top, "manager": PEERS[1]}
    )["id"]
    tester.call("PUT", f"/v1/admin/departments/{lower}/members/{PEERS[0]}", {"title": "Lookout"})
    departments = [top, lower]
    # An invitation of the domain's (its code is not needed: only its id is a path parameter).
    invitations = [tester.call("POST", f"/v1/admin/domains/{DOMAIN}/invitations", {"uses_max": 3})["invitation"]["id"]]

    # A device of the tester's registered for Web Push (the server checks the key's form, not
    # that it is a point of the curve). Its push service is at a name that never resolves
    # (.invalid): the pushes the run causes fail and are retried in the background, unseen.
    keys = {"p256dh": base64url(b"\x04" + bytes(range(64))), "auth": base64url(bytes(range(16)))}
    push_targets = [tester.call("POST", "/v1/me/push-targets",
                                {"kind": "web_push", "endpoint": "https://push.invalid/seed", "keys": keys})["id"]]

    # A compliance export of the group (its archive is made in the background).
    exports = [tester.call("POST", "/v1/admin/exports", {"conversation": group})["id"]]
    # A run of the domain's retention with a cutoff before anything was stored: it deletes
    # nothing, and leaves a run to read.
    retention_runs = [tester.call("POST", f"/v1/admin/domains/{DOMAIN}/retention/runs", {"before_ms": 1})["id"]]

    # A bot in the group, with a token and an incoming webhook to the group.
    bot = tester.call("POST", "/v1/bots", {"name": "seedbot", "description": "seeded"})["account"]
    tester.call("POST", f"/v1/conversations/{group}/members", {"members": [bot]})
    bot_tokens = [tester.call("POST", f"/v1/bots/{bot}/tokens", {"name": "seed"})["id"]]
    hook = tester.call("POST", f"/v1/bots/{bot}/webhooks", {"name": "seed", "conversation": group})
    bot_webhooks = [hook["id"]]
    hook_tokens = [hook["path"].removeprefix("/v1/hooks/")]
    # An event subscription of the bot, to an app at a name that never resolves (.invalid):
    # the requests the run causes fail and are retried in the background, unseen.
    bot_subscriptions = [tester.call("POST", f"/v1/bots/{bot}/subscriptions",
                                     {"url": "https://app.invalid/events", "events": ["message"]})["id"]]

    # A workbench app, granted by the tester (its redirect URI never resolves: no browser goes
    # there). Schemathesis may delete it; the grant then goes with it.
    app = tester.call("POST", f"/v1/admin/domains/{DOMAIN}/apps", {
        "name": "Seeded app", "url": "https://app.invalid/", "redirect_uris": ["https://app.invalid/cb"],
        "scopes": ["profile"],
    })["app"]
    challenge = base64url(hashlib.sha256(b"seeded-verifier-" + bytes(32)).digest())
    tester.call("POST", "/v1/oauth/authorize", {
        "response_type": "code", "client_id": app["client_id"], "redirect_uri": "https://app.invalid/cb",
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    apps = [app["id"]]

    sessions = [s["id"] for s in tester.call("GET", "/v1/sessions")["sessions"]]
    sessions += [s["id"] for s in wren.call("GET", "/v1/sessions")["sessions"]]

    # Path parameters drawn from these values half of the time. Names of accounts leave out
    # the tester itself, so that the tester's own account is never disabled or demoted.
    dictionaries = {
        "conversations": [direct, group],
        "seqs": sorted(set(seqs)),
        "accounts": PEERS,
        "files": [image, note],
        "packs": [pack],
        "sessions": sessions,
        "domains": [DOMAIN],
        "saved": saved,
        "roots": roots,
        # The blocks of a card: none of the seeded messages is a card, so each is `not_found`.
        "card_blocks": [0, 1],
        "scheduled": scheduled,
        "departments": departments,
        "invitations": invitations,
        "push_targets": push_targets,
        "exports": exports,
        "retention_runs": retention_runs,
        "bots": [bot],
        "bot_tokens": bot_tokens,
        "bot_webhooks": bot_webhooks,
        "hook_tokens": hook_tokens,
        "bot_subscriptions": bot_subscriptions,
        "apps": apps,
    }
    # Each path parameter of the API gets the dictionary its name and path call for; one
    # `[[operations]]` entry per path, as entries that match the same operation are not merged.
    def dictionary_for(path: str, parameter: str) -> str:
        if parameter == "account" and path.startswith("/v1/bots/"):
            return "bots"
        if parameter == "id" and path.startswith("/v1/bots/") and "/tokens/" in path:
            return "bot_tokens"
        if parameter == "id" and path.startswith("/v1/bots/") and "/webhooks/" in path:
            return "bot_webhooks"
        if parameter == "id" and path.startswith("/v1/bots/") and "/subscriptions/" in path:
            return "bot_subscriptions"
        if parameter == "id" and (path.startswith("/v1/apps/") or path.startswith("/v1/admin/apps/")):
            return "apps"
        if parameter == "token" and path.startswith("/v1/hooks/"):
            return "hook_tokens"
        if parameter == "account":
            return "accounts"
        if parameter == "seq":
            return "seqs"
        if parameter == "root":
            return "roots"
        if parameter == "block":
            return "card_blocks"
        if parameter == "pack":
            return "packs"
        if parameter == "domain":
            return "domains"
        if parameter == "id" and any(path.startswith(p) for p in
                                     ("/v1/conversations/", "/v1/admin/groups/", "/v1/admin/conversations/")):
            return "conversations"
        if parameter == "id" and path.startswith("/v1/files/"):
            return "files"
        if parameter == "id" and "/sessions/" in path:
            return "sessions"
        if parameter == "id" and path.startswith("/v1/saved/"):
            return "saved"
        if parameter == "id" and path.startswith("/v1/scheduled/"):
            return "scheduled"
        if parameter == "id" and "/invitations/" in path:
            return "invitations"
        if parameter == "id" and path.startswith("/v1/me/push-targets/"):
            return "push_targets"
        if parameter == "id" and (path.startswith("/v1/org/departments/") or path.startswith("/v1/admin/departments/")):
            return "departments"
        if parameter == "id" and path.startswith("/v1/admin/exports/"):
            return "exports"
        if parameter == "id" and path.startswith("/v1/admin/retention/runs/"):
            return "retention_runs"
        raise SystemExit(f"seed: no dictionary for {{{parameter}}} of {path}; add one")

    # Paths whose DELETE leaves something a GET of the same path rightly answers, which the
    # use_after_free check would take for a deleted resource still served: revoking an
    # account's sessions empties a collection (GET lists none), and a dissolved group stays
    # readable by its members, with its history and `dissolved` set.
    KEPT_AFTER_DELETE = {"/v1/admin/accounts/{account}/sessions", "/v1/conversations/{id}"}
    document = Api(base).call("GET", "/v1/openapi.json")
    lines = [
        "# Written by scripts/schemathesis.d/seed.py for one run; not kept.",
        "[auth.dynamic.openapi.bearer]",
        'path = "/v1/auth/login"',
        # With the device key, the tester logs in as a known device: the login attempts that
        # the run itself makes and fails from this address do not lock it out.
        f"payload = {{ account = {toml_value(TESTER)}, password = {toml_value(password)}, "
        f"device_key = {toml_value(device_key)} }}",
        'extract_selector = "/token"',
        "",
        # Nothing carries over from an earlier run (crashes it replays, learned links), so
        # that a run depends on its seed alone.
        "[cache]",
        "enabled = false",
        "",
    ]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {toml_value(values)}", ""]
    # Body fields that name accounts, conversations, messages and files, in every operation.
    body = {
        "body.peer": "accounts",
        "body.account": "accounts",
        "body.member": "accounts",
        "body.members[*]": "accounts",
        "body.mentions[*]": "accounts",
        "body.file": "files",
        "body.from": "conversations",
        "body.seq": "seqs",
        "body.seqs[*]": "seqs",
        "body.reply_to": "seqs",
        "body.thread": "roots",
        "body.parent": "departments",
        "body.manager": "accounts",
    }
    lines.append("[parameters]")
    lines += [f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}' for key, name in body.items()]
    lines.append("")
    for path in sorted(document["paths"]):
        parameters = re.findall(r"\{(\w+)\}", path)
        if not parameters:
            continue
        bound = ", ".join(
            f'"path.{p}" = {{ dictionary = "{dictionary_for(path, p)}", probability = 0.5 }}' for p in parameters
        )
        lines += ["[[operations]]", f"include-path = {toml_value(path)}", f"parameters = {{ {bound} }}"]
        if path in KEPT_AFTER_DELETE:
            lines.append("checks = { use_after_free = { enabled = false } }")
        lines.append("")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
