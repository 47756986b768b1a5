//! Message bodies: `magpie_core::content`'s rules for every kind (text and markdown, files,
//! locations, cards, …), with the server's default limits.

use magpie_core::Settings;
use magpie_core::content::{self, BodyLimits};
use serde_json::Value;

/// A message: a first line with its kind, then its body as JSON.
pub fn content(data: &[u8]) {
    let Some((kind, body)) = crate::first_line(data) else { return };
    let Ok(body) = serde_json::from_slice::<Value>(body) else { return };
    check_body(kind, &body);
    for editable in content::kind::EDITABLE {
        check_edit_as(editable, &body);
    }
}

fn limits() -> BodyLimits {
    let settings = Settings::default();
    BodyLimits { body_bytes_max: settings.message_body_bytes_max, text_chars_max: settings.message_text_chars_max }
}

/// A body a client sends as `kind`: what is accepted stays accepted once stored (written
/// out as JSON and read back), and the files it names are ids of the files' shape.
pub fn check_body(kind: &str, body: &Value) {
    let refs = content::file_refs(kind, body);
    if content::validate(kind, body, limits()).is_err() {
        return;
    }
    let stored = reread(body);
    if let Err(e) = content::validate(kind, &stored, limits()) {
        panic!("{kind} body {body} was accepted, but not once stored: {e}");
    }
    assert_eq!(refs, content::file_refs(kind, &stored), "{kind} body {body} names other files once stored");
}

/// The body of an edit, tried as each kind that may be edited.
pub fn check_edit(edit: &magpie_wire::EditRequest) {
    for kind in content::kind::EDITABLE {
        check_edit_as(kind, &edit.body);
    }
}

fn check_edit_as(kind: &str, body: &Value) {
    // The message edited is taken to be of the edit's own shape (an interactive card edits one).
    if content::validate_edit(kind, body, body, limits()).is_ok() {
        let stored = reread(body);
        if let Err(e) = content::validate_edit(kind, &stored, &stored, limits()) {
            panic!("{kind} edit {body} was accepted, but not once stored: {e}");
        }
    }
}

/// A body as the store gives it back: its JSON text, read again.
fn reread(body: &Value) -> Value {
    let text = serde_json::to_string(body).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body {text} does not read back: {e}"))
}
