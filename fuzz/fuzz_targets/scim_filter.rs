//! SCIM filters (RFC 7644 §3.4.2.2): parsing (with the quirk rewriter), translation to
//! SQL for both dialects and in-memory evaluation never panic, whatever the text, and
//! a filter that parses always translates or fails with `invalidFilter`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provisiond::scim::filter::{matches, parse_filter};
use provisiond::scim::schema::ResourceType;
use provisiond::scim::translate::{collection, to_predicate};
use provisiond::store::query::{render_filter, Dialect};
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let user = json!({
        "id": "u1", "userName": "Bjensen@Example.com", "active": true, "title": "Eng",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [{"value": "b@x.com", "type": "work", "primary": true}, {"value": "b@y.org"}],
        "meta": {"created": "2026-01-01T00:00:00Z", "lastModified": "2026-02-01T00:00:00Z"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "m"}},
    });
    let group = json!({"id": "g1", "displayName": "Admins", "members": [{"value": "u1"}]});
    for (rt, resource) in [(ResourceType::User, &user), (ResourceType::Group, &group)] {
        let Ok(f) = parse_filter(rt, text) else {
            continue;
        };
        let _ = matches(&f, resource);
        let _ = f.paths();
        match to_predicate(rt, &f) {
            Err(e) => assert_eq!(e.status(), 400, "{e:?}"),
            Ok(p) => {
                for d in [Dialect::Sqlite, Dialect::Postgres] {
                    let _ = render_filter(d, collection(rt), Some("o"), &p);
                }
            }
        }
    }
});
