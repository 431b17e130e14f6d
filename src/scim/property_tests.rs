//! Property tests that run in `cargo test`: the same properties as the cargo-fuzz
//! targets `fuzz/fuzz_targets/scim_filter.rs` and `scim_patch.rs`, over inputs drawn
//! from a seeded generator (IdP-shaped filters and PATCH bodies, then mutated bytes),
//! plus every crash reproducer the fuzzers found, replayed as a fixed case.

use serde_json::{json, Value};

use super::filter::{matches, parse_filter, Filter};
use super::limits::max_values;
use super::patch::{apply_operations, parse_patch};
use super::schema::ResourceType;
use super::translate::{collection, to_predicate};
use crate::store::query::{render_filter, Dialect};

/// xorshift64*: deterministic, so a failure names its case and reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

const ATTRS: &[&str] = &[
    "userName",
    "USERNAME",
    "title",
    "active",
    "externalId",
    "id",
    "displayName",
    "name.givenName",
    "emails",
    "emails.value",
    "emails.type",
    "meta.lastModified",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "nosuch",
];
const OPS: &[&str] = &["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ"];
const VALUES: &[&str] = &[
    "\"bjensen\"",
    "\"\"",
    "\"a\\\"]b\"",
    "\"2026-01-01T00:00:00Z\"",
    "true",
    "false",
    "null",
    "42",
    "\"not(x)\"",
    "\"]].v eq [\"",
];

fn comparison(r: &mut Rng) -> String {
    let a = r.pick(ATTRS);
    if r.below(6) == 0 {
        return format!("{a} pr");
    }
    format!("{a} {} {}", r.pick(OPS), r.pick(VALUES))
}

fn filter(r: &mut Rng, depth: usize) -> String {
    match if depth > 3 { 0 } else { r.below(7) } {
        0 | 1 => comparison(r),
        2 => format!("{} and {}", filter(r, depth + 1), filter(r, depth + 1)),
        3 => format!("{} or {}", filter(r, depth + 1), filter(r, depth + 1)),
        4 => format!("not({})", filter(r, depth + 1)),
        5 => format!(
            "emails[type eq {} {} value {} {}]",
            r.pick(VALUES),
            r.pick(&["and", "or"]),
            r.pick(OPS),
            r.pick(VALUES)
        ),
        _ => format!(
            "emails[type eq {}].{} {} {}",
            r.pick(VALUES),
            r.pick(&["value", "type", "display", "bogus"]),
            r.pick(OPS),
            r.pick(VALUES)
        ),
    }
}

/// Changes a few bytes: insert, delete or replace with a grammar-significant byte.
fn mutate(r: &mut Rng, s: &str) -> String {
    let mut b = s.as_bytes().to_vec();
    for _ in 0..=r.below(3) {
        let at = r.below(b.len() + 1);
        let byte = *b"[]().\"\\ nto".get(r.below(11)).unwrap_or(&b' ');
        match r.below(3) {
            0 => b.insert(at, byte),
            1 if at < b.len() => {
                b.remove(at);
            }
            _ => {
                if let Some(x) = b.get_mut(at) {
                    *x = byte;
                }
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1", "userName": "Bjensen", "active": true, "title": "Eng",
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@x.com", "type": "work", "primary": true}, {"value": "b@y.org"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
    })
}

/// The fuzz target's property for one filter text.
fn check_filter(text: &str) {
    for rt in [ResourceType::User, ResourceType::Group] {
        let Ok(f) = parse_filter(rt, text) else {
            continue;
        };
        let _ = matches(&f, &user());
        let _ = f.paths();
        match to_predicate(rt, &f) {
            Err(e) => assert_eq!(e.status(), 400, "{text}: {e:?}"),
            Ok(p) => {
                for d in [Dialect::Sqlite, Dialect::Postgres] {
                    let _ = render_filter(d, collection(rt), Some("o"), &p);
                }
            }
        }
    }
}

/// The fuzz target's property for one PATCH body.
fn check_patch(body: &Value) {
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g", "displayName": "G"});
    for (rt, resource) in [(ResourceType::User, user()), (ResourceType::Group, group)] {
        let ops = match parse_patch(rt, body) {
            Ok(ops) => ops,
            Err(e) => {
                assert!((400..500).contains(&e.status()), "{body}: {e:?}");
                continue;
            }
        };
        match apply_operations(rt, &resource, &ops) {
            Ok(out) => {
                for (k, v) in out.resource.as_object().into_iter().flatten() {
                    if let Value::Array(items) = v {
                        assert!(items.len() <= max_values(k), "{body}: {k}");
                    }
                }
            }
            Err(e) => assert!((400..500).contains(&e.status()), "{body}: {e:?}"),
        }
    }
}

#[test]
fn generated_and_mutated_filters_never_panic() {
    let mut r = Rng(0x5eed_f117_e125_0001);
    for _ in 0..4000 {
        let f = filter(&mut r, 0);
        check_filter(&f);
        check_filter(&mutate(&mut r, &f));
    }
}

/// The quirk rewriter agrees with the grammar: Entra's `attr[inner].sub op v` parses to
/// the same filter as the RFC form `attr[(inner) and sub op v]`.
#[test]
fn entra_value_path_form_means_the_rfc_form() {
    let mut r = Rng(0x5eed_0000_0000_0002);
    let mut compared = 0;
    for _ in 0..2000 {
        let inner = format!("type eq {}", r.pick(VALUES));
        let (sub, op, v) = (
            r.pick(&["value", "display", "primary"]),
            r.pick(OPS),
            r.pick(VALUES),
        );
        let quirk = format!("emails[{inner}].{sub} {op} {v}");
        let rfc = format!("emails[({inner}) and {sub} {op} {v}]");
        let (a, b): (Result<Filter, _>, Result<Filter, _>) = (
            parse_filter(ResourceType::User, &quirk),
            parse_filter(ResourceType::User, &rfc),
        );
        assert_eq!(a.is_ok(), b.is_ok(), "{quirk} / {rfc}");
        if let (Ok(a), Ok(b)) = (a, b) {
            assert_eq!(a, b, "{quirk}");
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} parsed");
}

const PATHS: &[&str] = &[
    "title",
    "emails",
    "emails[type eq \"work\"].value",
    "emails[value co \"x\"]",
    "name.givenName",
    "name",
    "members",
    "members[value eq \"u1\"]",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:okta:custom:attr",
    "displayName",
    "active",
    "id",
    "phoneNumbers[type eq \"work\"]",
    "emails[type eq \"work\"",
];

fn value(r: &mut Rng) -> Value {
    match r.below(9) {
        0 => json!("x"),
        1 => json!("False"),
        2 => json!(true),
        3 => json!(null),
        4 => json!([{"value": "a@b.c", "type": "work", "primary": true}, {"value": "A@B.C"}]),
        5 => json!({"givenName": "G", "emails": [{"value": "e"}], "displayName": "D"}),
        6 => json!([]),
        7 => {
            json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "D", "name.familyName": "F"})
        }
        _ => json!(42),
    }
}

#[test]
fn generated_and_mutated_patches_never_panic() {
    let mut r = Rng(0x5eed_0000_0000_0003);
    for _ in 0..3000 {
        let ops: Vec<Value> = (0..=r.below(4))
            .map(|_| {
                let mut op = json!({ "op": r.pick(&["add", "Replace", "remove", "move"]) });
                if r.below(5) != 0 {
                    op["path"] = json!(r.pick(PATHS));
                }
                if r.below(4) != 0 {
                    op["value"] = value(&mut r);
                }
                op
            })
            .collect();
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        check_patch(&body);
        if let Ok(mutated) = serde_json::from_str::<Value>(&mutate(&mut r, &body.to_string())) {
            check_patch(&mutated);
        }
    }
}

/// Inputs the fuzzers (or these properties) once failed on, kept as fixed cases.
#[test]
fn fuzz_reproducers_stay_fixed() {
    for f in REPRODUCER_FILTERS {
        check_filter(f);
    }
    for b in REPRODUCER_PATCHES {
        if let Ok(v) = serde_json::from_str::<Value>(b) {
            check_patch(&v);
        }
    }
}

/// Filter texts from `fuzz/artifacts/scim_filter` (none found so far besides the
/// quadratic-rewrite class, which `filter_rewrite_tests` covers).
const REPRODUCER_FILTERS: &[&str] = &[
    "]].x eq 1 [a",
    "a[].b eq 1",
    "emails[type eq \"work\"].",
    "not(not(not(",
];

/// PATCH bodies from `fuzz/artifacts/scim_patch`.
const REPRODUCER_PATCHES: &[&str] =
    &[r#"{"Operations":[{"op":"add","path":"emails[type eq \"w\"].value","value":"x"}]}"#];
