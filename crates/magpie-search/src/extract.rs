//! The searchable text of a message body, by kind.
//!
//! Bodies are the JSON objects that `magpie-core`'s `content` module checks; this reads the
//! fields a person would search for and ignores the rest, so a body of an unexpected shape
//! gives less text, never an error. Kinds without words (voice, video, stickers, calls,
//! encrypted payloads, red packets' amounts) give their labels only, if any.

use serde_json::Value;

/// Longest text indexed per message, in characters; the rest is not searchable. Message
/// texts are bounded far below this by the server's settings; the bound is for merged
/// forwards and unknown kinds.
pub const INDEXED_TEXT_CHARS_MAX: usize = 32 * 1024;
/// How deep forwarded messages inside forwarded messages are read.
const FORWARD_DEPTH_MAX: usize = 2;

/// The text of a message of `kind` with `body` that search looks in, its parts separated by
/// new lines, bounded by [`INDEXED_TEXT_CHARS_MAX`].
pub fn extract(kind: &str, body: &Value) -> String {
    let mut out = String::new();
    extract_into(kind, body, 0, &mut out);
    if let Some((at, _)) = out.char_indices().nth(INDEXED_TEXT_CHARS_MAX) {
        out.truncate(at);
    }
    out
}

fn extract_into(kind: &str, body: &Value, depth: usize, out: &mut String) {
    let field = |name: &str| body.get(name).and_then(Value::as_str);
    let mut push = |text: Option<&str>| {
        if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(text);
        }
    };
    match kind {
        "text" | "markdown" => push(field("text")),
        "code" => push(field("code")),
        "file" | "image" => push(field("name")),
        "location" => {
            push(field("name"));
            push(field("address"));
        }
        "card" => {
            push(field("title"));
            push(field("description"));
            push(field("url"));
            push(field("account"));
        }
        "red_packet" => push(field("greeting")),
        "payment_request" => push(field("note")),
        "forward" if depth < FORWARD_DEPTH_MAX => {
            for message in body.get("messages").and_then(Value::as_array).into_iter().flatten() {
                let inner = message.get("kind").and_then(Value::as_str).unwrap_or_default();
                if let Some(inner_body) = message.get("body") {
                    let mut text = String::new();
                    extract_into(inner, inner_body, depth + 1, &mut text);
                    push(Some(&text));
                }
            }
        }
        "voice" | "video" | "sticker" | "call" | "encrypted" | "forward" => {}
        // Kinds this server does not know (newer clients'): their `text`, if they have one.
        _ => push(field("text")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_kind_gives_the_fields_people_search_for() {
        let cases = [
            ("text", json!({"text": " 周五发布 "}), "周五发布"),
            ("markdown", json!({"text": "**hi**"}), "**hi**"),
            ("code", json!({"code": "fn main() {}", "language": "rust"}), "fn main() {}"),
            ("file", json!({"file": "f_1", "name": "季度报告.pdf", "size": 3}), "季度报告.pdf"),
            ("image", json!({"file": "f_1"}), ""),
            ("image", json!({"file": "f_1", "name": "whiteboard.png"}), "whiteboard.png"),
            (
                "location",
                json!({"latitude": 1.0, "longitude": 2.0, "name": "望京 SOHO", "address": "朝阳区"}),
                "望京 SOHO\n朝阳区",
            ),
            (
                "card",
                json!({"card": "link", "url": "https://x.example", "title": "Release notes"}),
                "Release notes\nhttps://x.example",
            ),
            (
                "red_packet",
                json!({"total_cents": 100, "count": 1, "split": "equal", "greeting": "恭喜发财"}),
                "恭喜发财",
            ),
            ("payment_request", json!({"amount_cents": 1, "currency": "CNY", "note": "lunch"}), "lunch"),
            ("voice", json!({"file": "f", "duration_ms": 3}), ""),
            ("sticker", json!({"pack": "p", "sticker": "s"}), ""),
            ("x.poll", json!({"text": "Lunch?"}), "Lunch?"),
            ("text", json!({"txt": "wrong shape"}), ""),
        ];
        for (kind, body, expected) in cases {
            assert_eq!(extract(kind, &body), expected, "{kind} {body}");
        }
    }

    #[test]
    fn merged_forwards_give_their_messages_text() {
        let body = json!({"messages": [
            {"kind": "text", "body": {"text": "first"}},
            {"kind": "file", "body": {"file": "f", "name": "plan.xlsx"}},
            {"kind": "forward", "body": {"messages": [{"kind": "text", "body": {"text": "nested"}}]}},
        ]});
        assert_eq!(extract("forward", &body), "first\nplan.xlsx\nnested");
    }

    #[test]
    fn the_text_is_bounded() {
        let long = "字".repeat(INDEXED_TEXT_CHARS_MAX + 10);
        assert_eq!(extract("text", &json!({ "text": long })).chars().count(), INDEXED_TEXT_CHARS_MAX);
    }
}
