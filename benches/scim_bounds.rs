//! Adversarial SCIM inputs, pure parts (issue #12): for each class, the worst input we
//! can build within the limits (`scim::limits`) next to an ordinary input of the same
//! size. docs/performance.md ("Adversarial SCIM inputs") carries the table.
//!
//! `cargo bench --bench scim_bounds`; `SCIM_BOUNDS_QUICK=1` for a short run.
#![expect(clippy::unwrap_used)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use provisiond::scim::filter::parse_filter;
use provisiond::scim::limits::{
    MAX_FILTER_BYTES, MAX_MEMBERS, MAX_MULTI_VALUES, MAX_PATCH_OPERATIONS,
};
use provisiond::scim::patch::{apply_operations, parse_patch};
use provisiond::scim::representation::{member_ids, validate_incoming};
use provisiond::scim::schema::ResourceType;
use provisiond::scim::translate::{collection, to_predicate};
use provisiond::store::query::{render_filter, Dialect};
use serde_json::{json, Value};
use std::hint::black_box;

/// Repeats `unit` and pads with a string literal up to exactly `len` bytes.
fn fill(unit: &str, tail: &str, len: usize) -> String {
    let mut s = String::new();
    while !unit.is_empty() && s.len() + unit.len() + tail.len() + 16 < len {
        s.push_str(unit);
    }
    s.push_str(tail);
    let pad = len.saturating_sub(s.len() + 18);
    s.push_str(&format!(" and title eq \"{}\"", "p".repeat(pad)));
    s
}

fn filters() -> Vec<(&'static str, String)> {
    let len = MAX_FILTER_BYTES - 64;
    vec![
        // Ordinary: one comparison whose value fills the filter.
        (
            "ordinary_long_value",
            fill("", "userName eq \"a@b.c\"", len),
        ),
        // Ordinary: a batch lookup of ids, as some clients send.
        (
            "id_batch",
            fill(
                "id eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\" or ",
                "userName pr",
                len,
            ),
        ),
        // Worst for the quirk rewriter: as many Entra value paths as fit (each one
        // rewritten; the old rewriter rescanned the whole text per bracket).
        (
            "entra_value_paths",
            fill(
                "emails[type eq \"work\"].value eq \"a@b.c\" or ",
                "userName pr",
                len,
            ),
        ),
        // Brackets and quotes inside strings, `not(` without space everywhere.
        (
            "strings_and_not",
            fill("not(title eq \"]]].x[[\") and ", "userName pr", len),
        ),
    ]
}

fn bench_filters(c: &mut Criterion) {
    for (name, f) in filters() {
        assert!(f.len() <= MAX_FILTER_BYTES, "{name}: {}", f.len());
        let parsed = parse_filter(ResourceType::User, &f);
        c.bench_function(&format!("adversarial_filter/{name}/{}B", f.len()), |b| {
            b.iter(|| {
                // Parse and translate (both dialects): everything a list request does
                // before the database. Over-limit parses fail fast, which is the point.
                if let Ok(p) = parse_filter(ResourceType::User, black_box(&f)) {
                    for d in [Dialect::Sqlite, Dialect::Postgres] {
                        if let Ok(pred) = to_predicate(ResourceType::User, &p) {
                            let _ =
                                render_filter(d, collection(ResourceType::User), Some("o"), &pred);
                        }
                    }
                }
            })
        });
        eprintln!("{name}: parses = {}", parsed.is_ok());
    }
}

fn bench_members(c: &mut Criterion) {
    // A Group body with as many members as the limit allows: all distinct (ordinary)
    // against every id repeated (worst case for the old de-duplication: both now one
    // hash-set pass).
    let distinct: Vec<Value> = (0..MAX_MEMBERS)
        .map(|i| json!({ "value": format!("{i:036}") }))
        .collect();
    let repeated: Vec<Value> = (0..MAX_MEMBERS)
        .map(|i| json!({ "value": format!("{:036}", i % 100) }))
        .collect();
    for (name, members) in [("distinct", distinct), ("repeated", repeated)] {
        let body = json!({ "displayName": "g", "members": members });
        let size = body.to_string().len();
        c.bench_function(&format!("group_members/{name}/{size}B"), |b| {
            b.iter(|| {
                let inc = validate_incoming(ResourceType::Group, black_box(&body)).unwrap();
                black_box(member_ids(&inc.resource))
            })
        });
    }
}

fn bench_patch(c: &mut Criterion) {
    // A user holding the most emails allowed; PATCH with the most operations allowed.
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "u@acme.test",
        "emails": (0..MAX_MULTI_VALUES)
            .map(|i| json!({"value": format!("e{i}@acme.test"), "type": format!("t{i}")}))
            .collect::<Vec<_>>(),
    });
    let ops = |f: &dyn Fn(usize) -> Value| {
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": (0..MAX_PATCH_OPERATIONS).map(f).collect::<Vec<_>>(),
        })
    };
    let cases = [
        // Ordinary: replace one attribute, value padded to the size of the others.
        (
            "replace_title",
            ops(&|i| json!({"op": "replace", "path": "title", "value": format!("{i:040}")})),
        ),
        // Each op filters all emails and rewrites the matching one.
        (
            "filtered_email_replace",
            ops(
                &|i| json!({"op": "replace", "path": format!("emails[type eq \"t{}\"].value", i % MAX_MULTI_VALUES), "value": format!("n{i}@x.test")}),
            ),
        ),
        // Each op merges emails into a full list (compares with every element).
        (
            "email_add_merge",
            ops(
                &|i| json!({"op": "add", "path": "emails", "value": [{"value": format!("e{}@acme.test", i % MAX_MULTI_VALUES)}]}),
            ),
        ),
    ];
    for (name, body) in cases {
        let size = body.to_string().len();
        c.bench_function(&format!("user_patch/{name}/{size}B"), |b| {
            b.iter(|| {
                let parsed = parse_patch(ResourceType::User, black_box(&body)).unwrap();
                black_box(apply_operations(ResourceType::User, &user, &parsed).unwrap())
            })
        });
    }
}

fn config() -> Criterion {
    let quick = std::env::var_os("SCIM_BOUNDS_QUICK").is_some();
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(if quick { 200 } else { 1000 }))
        .measurement_time(Duration::from_secs(if quick { 1 } else { 3 }))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_filters, bench_members, bench_patch
}
criterion_main!(benches);
