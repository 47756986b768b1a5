//! The TypeScript SDK's snapshot of the OpenAPI document (`web/sdk/openapi.json`) is what the
//! server serves. The SDK's generated types (`web/sdk/src/openapi.gen.ts`) come from that
//! snapshot and its hand-written types are checked against them, so through this test the
//! SDK cannot drift from the wire types. `UPDATE_OPENAPI=1` rewrites the snapshot instead.

use std::fmt::Write as _;

use reqwest::Method;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::harness::TestServer;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/sdk/openapi.json");
const REFRESH: &str = "scripts/openapi-refresh";
/// How many differing places the failure names.
const DIFFERENCES_SHOWN_MAX: usize = 20;

#[tokio::test]
async fn the_sdk_snapshot_of_the_openapi_document_is_what_the_server_serves() {
    let server = TestServer::start().await;
    let (status, served) = server.anonymous().raw(Method::GET, "/v1/openapi.json", None, None).await.unwrap();
    assert_eq!(status, 200, "{served}");

    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        let ordered: Ordered = serde_json::from_str(&served).unwrap();
        let pretty = serde_json::to_string_pretty(&ordered).unwrap() + "\n";
        std::fs::write(SNAPSHOT, pretty).unwrap();
        return;
    }

    let served: Value = serde_json::from_str(&served).unwrap();
    let committed: Value = match std::fs::read_to_string(SNAPSHOT) {
        Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("web/sdk/openapi.json: {e}; run {REFRESH}")),
        Err(e) => panic!("web/sdk/openapi.json: {e}; run {REFRESH}"),
    };
    let mut differences = Vec::new();
    differ("", &committed, &served, &mut differences);
    if !differences.is_empty() {
        let mut message = format!(
            "web/sdk/openapi.json is not the OpenAPI document the server serves. Run {REFRESH}: \
             it rewrites the snapshot (this test with UPDATE_OPENAPI=1), regenerates \
             web/sdk/src/openapi.gen.ts and typechecks the SDK, which names each of its \
             hand-written wire types that no longer matches. Fix those and commit them together. \
             {} place(s) differ:",
            differences.len()
        );
        for place in differences.iter().take(DIFFERENCES_SHOWN_MAX) {
            write!(message, "\n  {place}").unwrap();
        }
        panic!("{message}");
    }
}

/// Collects the JSON pointers at which `committed` and `served` differ, with what each holds.
fn differ(at: &str, committed: &Value, served: &Value, out: &mut Vec<String>) {
    match (committed, served) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differ(&here, x, y, out),
                    (Some(_), None) => out.push(format!("{here}: only in the snapshot")),
                    (None, Some(_)) => out.push(format!("{here}: only in the served document")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let here = format!("{at}/{i}");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => differ(&here, x, y, out),
                    (Some(x), None) => out.push(format!("{here}: only in the snapshot, {}", brief(x))),
                    (None, Some(y)) => out.push(format!("{here}: only in the served document, {}", brief(y))),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push(format!("{at}: the snapshot has {}, the server serves {}", brief(a), brief(b))),
        _ => {}
    }
}

/// A value as JSON, cut short if it is long (a whole schema, say).
fn brief(value: &Value) -> String {
    const SHOWN_CHARS_MAX: usize = 120;
    let text = value.to_string();
    match text.char_indices().nth(SHOWN_CHARS_MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// A JSON value whose objects keep their keys in the order they came in (serde_json's `Value`
/// sorts them), so that the snapshot reads in the order the server writes it.
enum Ordered {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ordered, D::Error> {
        struct OrderedVisitor;

        impl<'de> Visitor<'de> for OrderedVisitor {
            type Value = Ordered;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
                Ok(Ordered::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
                Ok(Ordered::Number(v.into()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Ordered, E> {
                serde_json::Number::from_f64(v)
                    .map(Ordered::Number)
                    .ok_or_else(|| E::custom("a number JSON cannot hold"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
                Ok(Ordered::String(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Ordered::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered::Object(entries))
            }
        }

        deserializer.deserialize_any(OrderedVisitor)
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Null => serializer.serialize_unit(),
            Ordered::Bool(v) => serializer.serialize_bool(*v),
            Ordered::Number(v) => v.serialize(serializer),
            Ordered::String(v) => serializer.serialize_str(v),
            Ordered::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Ordered::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}
