//! The protocol document stays true: every error code and request type is described.

use magpie_client::wire::{ErrorCode, Request};

#[test]
fn protocol_md_describes_every_error_code_and_request_type() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/protocol.md");
    let doc = std::fs::read_to_string(path).unwrap();
    for code in ErrorCode::ALL {
        assert!(doc.contains(&format!("`{}`", code.as_str())), "docs/protocol.md does not describe `{code}`");
    }
    for kind in Request::TYPES {
        assert!(doc.contains(&format!("`{kind}`")), "docs/protocol.md does not describe `{kind}`");
    }
}
