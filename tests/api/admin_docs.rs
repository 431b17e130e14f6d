//! docs/operations.md stays true to the code: every configuration key (read from the
//! `ConfigLayer` type itself), every environment variable the configuration reads (the
//! `PROVISIOND_*` names in `src/config.rs` and `src/main.rs`), and every metric family
//! `/metrics` renders is documented there; the settings table lists no key that does not
//! exist. A new setting or metric without its line fails here, naming what is missing.

use std::collections::BTreeSet;
use std::path::Path;

use provisiond::config::ConfigLayer;
use serde::de::{self, Visitor};

use crate::support::{Backend, TestApp};

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// A deserializer that only records the field names a struct asks for: serde hands them
/// to `deserialize_struct`, so the keys come from the type, not from a copy of it.
struct FieldNames<'a>(&'a mut Vec<&'static str>);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("only structs"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.extend_from_slice(fields);
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// Every key of the configuration file.
fn config_keys() -> Vec<&'static str> {
    let mut fields = Vec::new();
    let _ = <ConfigLayer as serde::Deserialize>::deserialize(FieldNames(&mut fields));
    assert!(
        fields.len() > 10,
        "ConfigLayer fields not found: {fields:?}"
    );
    fields
}

/// Every `PROVISIOND_*` name quoted in `source` (plus `DATABASE_URL`).
fn env_names(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in source.match_indices("\"PROVISIOND_") {
        let rest = &source[i + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        if rest[end..].starts_with('"') {
            out.insert(rest[..end].to_owned());
        }
    }
    if source.contains("\"DATABASE_URL\"") {
        out.insert("DATABASE_URL".to_owned());
    }
    out
}

/// The keys in the first column of the settings table (rows starting with "| `").
fn documented_keys(doc: &str) -> BTreeSet<String> {
    doc.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn operations_doc_lists_every_setting() {
    let doc = read("docs/operations.md");
    let table = documented_keys(&doc);
    let keys = config_keys();
    let missing_keys: Vec<_> = keys.iter().filter(|k| !table.contains(**k)).collect();
    let mut sources = read("src/config.rs");
    sources.push_str(&read("src/main.rs"));
    let missing_env: Vec<_> = env_names(&sources)
        .into_iter()
        .filter(|e| !doc.contains(&format!("`{e}`")))
        .collect();
    assert!(
        missing_keys.is_empty() && missing_env.is_empty(),
        "docs/operations.md (Configuration) lacks settings: keys {missing_keys:?} \
         (add a row `| \\`key\\` | \\`ENV\\` | default | meaning |`), environment variables \
         {missing_env:?}"
    );
}

#[test]
fn operations_doc_lists_only_real_settings() {
    let doc = read("docs/operations.md");
    let section = doc
        .split("## Configuration")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .unwrap_or_else(|| panic!("docs/operations.md has no `## Configuration` section"));
    let keys: BTreeSet<&str> = config_keys().into_iter().collect();
    let stale: Vec<_> = documented_keys(section)
        .into_iter()
        .filter(|k| !keys.contains(k.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/operations.md documents settings the code does not have: {stale:?}"
    );
}

#[test]
fn operations_doc_lists_every_metric() {
    let app = TestApp::builder(Backend::Sqlite).start().unwrap();
    app.get("/healthz").send().unwrap();
    let text = app.get("/metrics").send().unwrap().text().unwrap();
    let families: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(families.len() >= 4, "{text}");
    let doc = read("docs/operations.md");
    let missing: Vec<_> = families
        .iter()
        .filter(|f| !doc.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/operations.md (Metrics) lacks metrics rendered by /metrics: {missing:?}"
    );
}
