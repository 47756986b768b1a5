#!/usr/bin/env python3
"""Writes the seed inputs of Magpie's fuzz targets into fuzz/corpus/<target>/.

The seeds are realistic inputs: the request frames shown in docs/protocol.md, one frame and
one body per request type, tus headers as tus-js-client sends them, multipart bodies as curl,
reqwest and browsers write them, and real PNG, JPEG (with EXIF orientation and GPS), GIF and
WebP files written by Pillow, and MP4 headers. The fuzzers grow their own corpora from these
(kept out of git, in fuzz/work/); minimised inputs worth keeping, crash regressions above
all, are added to fuzz/corpus/ by hand (see docs/fuzzing.md).

Pillow is needed for the images: `python3 -m venv /tmp/v && /tmp/v/bin/pip install pillow`,
then `/tmp/v/bin/python fuzz/make-seeds.py`. Existing seeds of the same name are overwritten;
other files in the corpora (crash regressions) are left alone.
"""

import base64
import io
import json
import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def js(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# Realistic `data` of each WebSocket request type (docs/protocol.md, section 6 onwards).
WS_DATA = {
    "ping": None,
    "get_me": {},
    "list_sessions": None,
    "create_conversation": {"kind": "group", "name": "午饭", "members": ["bob@localhost", "carol@localhost"]},
    "get_conversation": {"conversation": 12},
    "list_conversations": {"before": 141, "limit": 50},
    "list_members": {"conversation": 12},
    "add_members": {"conversation": 12, "members": ["dave@localhost"]},
    "remove_members": {"conversation": 12, "members": ["dave@localhost"]},
    "leave": {"conversation": 12},
    "update_group": {"conversation": 12, "name": "Lunch", "announcement": "", "mute_all": False},
    "set_role": {"conversation": 12, "member": "bob@localhost", "role": "admin"},
    "transfer_ownership": {"conversation": 12, "member": "bob@localhost"},
    "mute_member": {"conversation": 12, "member": "bob@localhost", "until_ms": 1795469610000},
    "dissolve": {"conversation": 12},
    "update_settings": {"conversation": 12, "pinned": True, "muted": False, "draft": "明天见"},
    "send": {
        "conversation": 12,
        "client_msg_id": "0b6f0e1c-4d1e-4c43-9d1a-3f7f2b9f6a10",
        "kind": "markdown",
        "body": {"text": "**Noodles** at 12:00? @bob"},
        "mentions": ["bob@localhost"],
        "reply_to": 2,
    },
    "forward": {"conversation": 7, "client_msg_id": "fw-1", "from": 12, "seqs": [2, 3]},
    "edit": {"conversation": 12, "seq": 2, "body": {"text": "Noodles at 12:30?"}},
    "recall": {"conversation": 12, "seq": 2, "client_msg_id": "r-1"},
    "react": {"conversation": 12, "seq": 2, "emoji": "👍", "on": True},
    "hide": {"conversation": 12, "seqs": [2, 5]},
    "get_messages": {"conversation": 12, "after": 3, "limit": 100},
    "mark_read": {"conversation": 12, "seq": 5},
    "mark_delivered": {"conversation": 12, "seq": 5},
    "get_receipts": {"conversation": 12, "seq": 2},
    "sync": {"events_after": 18, "conversations_after": 141, "limit": 200},
    "list_contacts": {},
    "list_friend_requests": {},
    "send_friend_request": {"account": "bob@localhost", "message": "Hi, it is Alice from sales"},
    "accept_friend_request": {"account": "alice@localhost"},
    "reject_friend_request": {"account": "alice@localhost"},
    "remove_contact": {"account": "bob@localhost"},
    "list_blocked": {},
    "block": {"account": "spam@localhost"},
    "unblock": {"account": "spam@localhost"},
    "typing": {"conversation": 12},
    "set_presence": {"status": "busy", "text": "在开会"},
    "get_presence": {"accounts": ["bob@localhost", "carol@localhost"]},
    "list_stickers": {},
}

# One body per REST request type (the first line of a rest_body input names it).
REST_BODIES = {
    "LoginRequest": {"account": "alice@localhost", "password": "a-long-password", "device": "curl"},
    "RegisterRequest": {"account": "dave@localhost", "password": "correct horse battery", "display_name": "戴夫"},
    "UpdateProfileRequest": {"display_name": "Alice Wang", "signature": "在开会", "email": "alice@example.com"},
    "ChangePasswordRequest": {"current_password": "a-long-password", "new_password": "an-even-longer-one"},
    "CreateDomainRequest": {"name": "acme.example"},
    "UpdateDomainRequest": {"registration": "open", "direct_requires_friendship": True},
    "CreateAccountRequest": {"account": "erin@acme.example", "password": "pw-pw-pw-pw", "role": "domain_admin"},
    "CreateConversationRequest": {"kind": "direct", "peer": "bob@localhost"},
    "UpdateGroupRequest": {"name": "Lunch", "description": "where and when", "avatar": ""},
    "MembersRequest": {"members": ["bob@localhost", "carol@localhost"]},
    "RoleRequest": {"role": "member"},
    "MuteMemberRequest": {"until_ms": 1795469610000},
    "MemberChange": {"member": "bob@localhost"},
    "SettingsRequest": {"draft": ""},
    "SendRequest": {"client_msg_id": "deploy-4711", "kind": "text", "body": {"text": "Deploy 4711 finished"}},
    "EditRequest": {"body": {"code": "fn main() {}", "language": "rust"}, "client_msg_id": "e-1"},
    "ReactRequest": {"emoji": "😂", "on": False, "client_msg_id": "x-2"},
    "ForwardRequest": {"client_msg_id": "fw-9", "from": 12, "seqs": [4]},
    "HideRequest": {"seqs": [1]},
    "MarkRequest": {"seq": 9},
    "FriendRequestRequest": {"account": "bob@localhost"},
    "SetPresenceRequest": {"status": "away"},
    "CreateStickerPackRequest": {"name": "喜鹊"},
    "AddStickerRequest": {"file": "fq3Zx9wYb0c1T2kLmNoPqRs", "emoji": "👋"},
}

REST_QUERIES = {
    "ListConversations": "before=141&limit=50",
    "HistoryQuery": "after=3&limit=100",
    "RecallRequest": "client_msg_id=r-1",
    "SyncRequest": "events_after=18&conversations_after=141&limit=200",
}

# Message bodies of every kind (docs/protocol.md, section 8, and content.rs's tests).
CONTENT = [
    ("text", {"text": "你好 👋"}),
    ("markdown", {"text": "# Plan\n\n- **noodles** at 12\n- `code`\n\n> quote\n\n[link](https://example.com)"}),
    ("code", {"code": "fn main() {\n\tprintln!(\"hi\");\n}", "language": "rust"}),
    ("image", {"file": "fM0n4YwX2pQeRt7uVb9cD1A", "width": 1024, "height": 768, "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj"}),
    ("file", {"file": "fq3Zx9wYb0c1T2kLmNoPqRs", "name": "report.pdf", "size": 48213}),
    ("voice", {"file": "fq3Zx9wYb0c1T2kLmNoPqRs", "duration_ms": 4200}),
    ("video", {"file": "fq3Zx9wYb0c1T2kLmNoPqRs", "duration_ms": 61000}),
    ("location", {"latitude": 39.9042, "longitude": 116.4074, "name": "天安门", "address": "北京市东城区"}),
    ("sticker", {"pack": "p1", "sticker": "fq3Zx9wYb0c1T2kLmNoPqRs"}),
    ("card", {"card": "link", "url": "https://example.com/a?b=c", "title": "Example", "description": "d"}),
    ("card", {"card": "contact", "account": "bob@localhost"}),
    ("card", {"card": "group", "conversation": 12, "title": "Lunch"}),
    ("red_packet", {"total_cents": 8888, "count": 8, "split": "random", "greeting": "恭喜发财"}),
    ("payment_request", {"amount_cents": 2500, "currency": "CNY", "note": "lunch"}),
    ("call", {"call": "c_42", "media": "video", "outcome": "ended", "duration_secs": 125}),
    ("encrypted", {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgAEnAC..."}),
    ("x.poll", {"question": "lunch?", "options": ["noodles", "dumplings"]}),
]

NAMES = [
    "alice@localhost\n Bob@LocalHost \nAlice.Wang\nacme.example\nxn--fiqs8s.cn\n",
    "张三\n  Alice Wang  \nA\u030angstr\u00f6m\ninvoice\u202efdp.exe\nzero\u200bwidth\n",
    "first line\nsecond line\twith a tab\n",
    "fq3Zx9wYb0c1T2kLmNoPqRs\np1\np9223372036854775807\nimage/png\ntext/plain; charset=utf-8\nApplication/PDF\n",
    "a-.b\n-a\n..\na@b@c\n" + "a" * 64 + "\n" + "喜" * 65 + "\n",
]


def protocol_frames():
    """The request frames shown in docs/protocol.md."""
    text = (ROOT / "docs" / "protocol.md").read_text()
    decoder = json.JSONDecoder()
    frames = []
    for m in re.finditer(r'\{"id":', text):
        try:
            value, _ = decoder.raw_decode(text, m.start())
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("type"), str) and value["type"] in WS_DATA:
            frames.append(value)
    return frames


def ws_seeds():
    for i, frame in enumerate(protocol_frames()):
        write("ws_frame", f"protocol-{i:02}-{frame['type']}.json", js(frame))
    for i, (kind, data) in enumerate(WS_DATA.items()):
        frame = {"id": 100 + i, "type": kind}
        if data is not None:
            frame["data"] = data
        write("ws_frame", f"{kind}.json", js(frame))
    # A frame the server does not know, and the malformed ones docs/protocol.md shows.
    write("ws_frame", "unknown-type.json", '{"id": 4, "type": "send_message", "data": {}}')
    write("ws_frame", "missing-type.json", '{"id": 5}')


def rest_seeds():
    for name, body in REST_BODIES.items():
        write("rest_body", f"{name}.txt", f"{name}\n{js(body)}")
    write("rest_body", "CreateConversationRequest-group.txt",
          "CreateConversationRequest\n" + js({"kind": "channel", "name": "公告", "members": []}))
    for name, query in REST_QUERIES.items():
        write("rest_body", f"query-{name}.txt", f"?{name}\n{query}")


def content_seeds():
    for i, (kind, body) in enumerate(CONTENT):
        write("content", f"{i:02}-{kind}.txt", f"{kind}\n{js(body)}")


def names_seeds():
    for i, text in enumerate(NAMES):
        write("names", f"names-{i}.txt", text)


def b64(s):
    return base64.b64encode(s.encode()).decode()


def header_seeds():
    # tus-js-client's creation request, and the PATCHes that follow.
    write("headers", "tus-create.txt",
          "Tus-Resumable: 1.0.0\nUpload-Length: 48213\n"
          f"Upload-Metadata: filename {b64('report.pdf')},filetype {b64('application/pdf')}\n")
    write("headers", "tus-create-cjk.txt",
          "Tus-Resumable: 1.0.0\nUpload-Length: 11\n"
          f"Upload-Metadata: filename {b64('菜单.jpg')},name {b64('菜单.jpg')},type {b64('image/jpeg')},empty\n")
    sha1 = base64.b64encode(bytes(range(20))).decode()
    sha256 = base64.b64encode(bytes(range(32))).decode()
    write("headers", "tus-patch-sha1.txt",
          "Tus-Resumable: 1.0.0\nUpload-Offset: 0\nContent-Type: application/offset+octet-stream\n"
          f"Upload-Checksum: sha1 {sha1}\n")
    write("headers", "tus-patch-sha256.txt",
          "Tus-Resumable: 1.0.0\nUpload-Offset: 5242880\nContent-Type: application/offset+octet-stream\n"
          f"Upload-Checksum: sha256 {sha256}\n")
    for i, r in enumerate(["bytes=0-99", "bytes=100-", "bytes=-100", "bytes=0-1,5-6", "bytes=9-0"]):
        write("headers", f"range-{i}.txt", f"Range: {r}\nIf-None-Match: \"abc\"\n")
    # A REST request behind a proxy, and a browser's WebSocket upgrade.
    write("headers", "bearer.txt",
          "Authorization: Bearer mgp_3q2-7wEXAMPLEtoken\nX-Forwarded-For: 203.0.113.7, 10.0.0.2\n")
    write("headers", "ws-upgrade.txt",
          "Upgrade: websocket\nSec-WebSocket-Protocol: magpie.v1, magpie.bearer.mgp_3q2-7wEXAMPLEtoken\n"
          "X-Forwarded-For: 2001:db8::1\n")


def part(boundary, name, filename=None, ctype=None, body=b""):
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
    if filename is not None:
        head += f'; filename="{filename}"'
    head += "\r\n"
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    return head.encode() + b"\r\n" + body + b"\r\n"


def multipart_seeds():
    # curl -F file=@hello.txt
    b = "------------------------d74496d66958873e"
    write("multipart", "curl.txt",
          (b + "\n").encode() + part(b, "file", "hello.txt", "text/plain", b"hello world") + f"--{b}--\r\n".encode())
    # A browser's FormData, with a field before the file and a CJK file name.
    b = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    write("multipart", "browser.txt",
          (b + "\n").encode() + part(b, "caption", body="午饭".encode())
          + part(b, "file", "菜单.txt", "text/plain", "面条 12:00".encode()) + f"--{b}--\r\n".encode())
    # reqwest's multipart (the Rust SDK's), an empty file, and a file over the target's bound.
    b = "a1b2c3d4e5f6a7b8-c9d0e1f2a3b4c5d6-e7f8a9b0c1d2e3f4-a5b6c7d8e9f0a1b2"
    write("multipart", "reqwest-empty.txt",
          (b + "\n").encode() + part(b, "file", "empty.bin", "application/octet-stream") + f"--{b}--\r\n".encode())
    write("multipart", "too-large.txt",
          (b + "\n").encode() + part(b, "file", "big.bin", None, b"x" * 1100) + f"--{b}--\r\n".encode())
    write("multipart", "no-file-part.txt", (b + "\n").encode() + part(b, "other", body=b"1") + f"--{b}--\r\n".encode())


def mp4(ms, version=0):
    mvhd = bytearray(100 if version == 0 else 112)
    mvhd[0] = version
    if version == 0:
        mvhd[12:16] = struct.pack(">I", 1000)
        mvhd[16:20] = struct.pack(">I", ms)
    else:
        mvhd[20:24] = struct.pack(">I", 600)
        mvhd[24:32] = struct.pack(">Q", ms * 600 // 1000)
    mvhd_box = struct.pack(">I", len(mvhd) + 8) + b"mvhd" + bytes(mvhd)
    ftyp = b"isom\x00\x00\x02\x00isomiso2avc1mp41"
    out = struct.pack(">I", len(ftyp) + 8) + b"ftyp" + ftyp
    return out + struct.pack(">I", len(mvhd_box) + 8) + b"moov" + mvhd_box


def image_seeds():
    from PIL import Image

    def img(w, h, mode="RGB"):
        im = Image.new(mode, (w, h))
        px = im.load()
        for y in range(h):
            for x in range(w):
                v = (x * 16 % 256, y * 16 % 256, 128)
                px[x, y] = v if mode == "RGB" else v + (200,) if mode == "RGBA" else (x + y) % 4
        return im

    def save(im, fmt, **kw):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        return buf.getvalue()

    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    exif[0x010F] = "Magpie"
    gps = {1: "N", 2: (39.0, 54.0, 15.12), 3: "E", 4: (116.0, 23.0, 26.64), 5: 0, 6: 44.5, 29: "2026:12:05"}
    exif[0x8825] = gps
    seeds = {
        "png-rgb.png": save(img(16, 8), "PNG"),
        "png-rgba-interlaced.png": save(img(8, 8, "RGBA"), "PNG", optimize=False),
        "png-palette.png": save(img(8, 4, "P"), "PNG"),
        "jpeg-plain.jpg": save(img(16, 16), "JPEG", quality=50),
        "jpeg-progressive.jpg": save(img(16, 8), "JPEG", quality=50, progressive=True),
        "jpeg-exif-gps-le.jpg": save(img(16, 8), "JPEG", quality=50, exif=exif.tobytes()),
        "gif.gif": save(img(8, 8, "P"), "GIF"),
        "gif-animated.gif": save(img(4, 4, "P"), "GIF", save_all=True, append_images=[img(4, 4, "P")], duration=100),
        "webp-lossy.webp": save(img(16, 8), "WEBP", quality=50),
        "webp-lossless.webp": save(img(8, 8, "RGBA"), "WEBP", lossless=True),
        "too-many-pixels.png": save(img(100, 100), "PNG"),
    }
    # The big-endian EXIF with a GPS directory that the server's integration tests use.
    tiff = bytearray(b"MM\x00\x2a\x00\x00\x00\x08")
    tiff += struct.pack(">H", 2)
    tiff += struct.pack(">HHII", 0x0112, 3, 1, 6 << 16)
    tiff += struct.pack(">HHII", 0x8825, 4, 1, 8 + 2 + 2 * 12 + 4)
    tiff += struct.pack(">I", 0)
    gps_at = len(tiff)
    tiff += struct.pack(">H", 2)
    tiff += struct.pack(">HHII", 1, 2, 2, int.from_bytes(b"N\x00\x00\x00", "big"))
    tiff += struct.pack(">HHII", 2, 5, 3, gps_at + 2 + 2 * 12 + 4)
    tiff += struct.pack(">I", 0)
    tiff += struct.pack(">6I", 39, 1, 54, 1, 1512, 100)
    app1 = b"Exif\x00\x00" + bytes(tiff)
    plain = seeds["jpeg-plain.jpg"]
    seeds["jpeg-exif-gps-be.jpg"] = plain[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + plain[2:]
    for name, data in seeds.items():
        write("image_decode", name, data)
        write("image_headers", name, data)
    for name, data in {"mp4-v0.mp4": mp4(61000), "mp4-v1.mp4": mp4(4200, 1)}.items():
        write("image_headers", name, data)
    write("image_headers", "text.txt", "just text, 纯文本\n")
    write("image_headers", "pdf.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")


def dict_entry(token):
    if isinstance(token, str):
        token = token.encode()
    out = "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in token)
    return f'"{out}"'


def write_dict(target, tokens):
    """A libFuzzer dictionary beside the target's corpus (fuzz/corpus/<target>.dict)."""
    lines = [dict_entry(t) for t in dict.fromkeys(tokens)]
    (CORPUS / f"{target}.dict").write_text("\n".join(lines) + "\n")


def fields(values):
    """Every key of these JSON values, as `"key":` tokens."""
    out = []

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                out.append(f'"{k}":')
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for v in values:
        walk(v)
    return out


def dicts():
    kinds = [k for k, _ in CONTENT] + ["forward", "edit", "system"]
    write_dict("ws_frame", [f'"{t}"' for t in WS_DATA] + fields(WS_DATA.values())
               + ['"id":', '"type":', '"data":', "null", "true", "false", "-1", "9223372036854775807"])
    write_dict("rest_body", list(REST_BODIES) + list(REST_QUERIES) + fields(REST_BODIES.values())
               + ['"direct"', '"group"', '"channel"', '"domain_admin"', '"server_admin"', '"owner"', "&", "="])
    write_dict("content", kinds + [f'"{k}"' for k in kinds] + fields(b for _, b in CONTENT)
               + ['"link"', '"contact"', '"equal"', '"missed"', '"declined"', '"cancelled"', '"audio"', "1e308"])
    write_dict("headers", ["Upload-Length: ", "Upload-Offset: ", "Upload-Metadata: ", "Upload-Checksum: ",
                                "Range: bytes=", "Tus-Resumable: 1.0.0", "Authorization: Bearer ",
                           "Sec-WebSocket-Protocol: magpie.v1, magpie.bearer.", "X-Forwarded-For: ", "sha1 ", "sha256 ", "filename ",
                                "filetype ", "18446744073709551615", "18446744073709551616", "=="])
    write_dict("multipart", ["Content-Disposition: form-data; ", 'name="file"', 'filename="', "filename*=UTF-8''",
                             "Content-Type: ", "\r\n\r\n", "--", "\r\n--"])
    write_dict("image_headers", [b"\xff\xd8\xff\xe1", b"Exif\x00\x00", b"MM\x00\x2a", b"II\x2a\x00",
                                 b"\x88\x25", b"\x25\x88", b"\xff\xda", b"\xff\xc0", b"ftyp", b"moov",
                                 b"mvhd", b"\x89PNG\r\n\x1a\n", b"IHDR", b"GIF89a", b"RIFF", b"WEBPVP8"])
    write_dict("image_decode", [b"\x89PNG\r\n\x1a\n", b"IHDR", b"IDAT", b"IEND", b"acTL", b"fcTL", b"GIF89a",
                                b"NETSCAPE2.0", b"RIFF", b"WEBP", b"VP8 ", b"VP8L", b"VP8X", b"ANIM", b"ANMF",
                                b"\xff\xd8", b"\xff\xc0", b"\xff\xc2", b"\xff\xc4", b"\xff\xda",
                                b"\xff\xdb", b"\xff\xdd", b"\xff\xe1", b"Exif\x00\x00"])


if __name__ == "__main__":
    dicts()
    ws_seeds()
    rest_seeds()
    content_seeds()
    names_seeds()
    header_seeds()
    multipart_seeds()
    image_seeds()
