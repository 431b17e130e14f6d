//! SCIM filter hot path: parsing IdP filters into the typed AST, and translating them to
//! SQL for each backend (the work every `GET /Users?filter=…` does before the database).
#![expect(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use provisiond::scim::filter::parse_filter;
use provisiond::scim::schema::ResourceType;
use provisiond::scim::translate::{collection, to_predicate};
use provisiond::store::query::{render_filter, Dialect};
use std::hint::black_box;

const FILTERS: [(&str, &str); 4] = [
    ("okta_user_name", r#"userName eq "test.user@okta.local""#),
    (
        "entra_external_id",
        r#"externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef""#,
    ),
    (
        "value_path",
        r#"emails[type eq "work" and value co "@example.com"] and active eq true"#,
    ),
    (
        "complex",
        r#"(title sw "Eng" or urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "R&D") and not (meta.lastModified lt "2026-01-01T00:00:00Z") and phoneNumbers[type eq "work"]"#,
    ),
];

fn bench(c: &mut Criterion) {
    for (name, input) in FILTERS {
        c.bench_function(&format!("scim_filter_parse/{name}"), |b| {
            b.iter(|| parse_filter(ResourceType::User, black_box(input)).unwrap())
        });
        let parsed = parse_filter(ResourceType::User, input).unwrap();
        for (dname, d) in [("sqlite", Dialect::Sqlite), ("postgres", Dialect::Postgres)] {
            c.bench_function(&format!("scim_filter_translate/{name}/{dname}"), |b| {
                b.iter(|| {
                    let p = to_predicate(ResourceType::User, black_box(&parsed)).unwrap();
                    render_filter(d, collection(ResourceType::User), None, &p)
                })
            });
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
