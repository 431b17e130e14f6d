//! SCIM PATCH (RFC 7644 §3.5.2): parsing and applying any PatchOp body to a User and a
//! Group never panics, fails only with a 4xx, and never leaves a multi-valued attribute
//! above its limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provisiond::scim::limits::max_values;
use provisiond::scim::patch::{apply_operations, parse_patch};
use provisiond::scim::schema::ResourceType;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "u1", "userName": "b@x.com", "active": true,
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@x.com", "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "g1", "displayName": "Admins",
    });
    for (rt, resource) in [(ResourceType::User, &user), (ResourceType::Group, &group)] {
        let ops = match parse_patch(rt, &body) {
            Ok(ops) => ops,
            Err(e) => {
                assert!((400..500).contains(&e.status()), "{e:?}");
                continue;
            }
        };
        match apply_operations(rt, resource, &ops) {
            Ok(out) => {
                let obj = out.resource.as_object().expect("an object");
                for (k, v) in obj {
                    if let Value::Array(items) = v {
                        assert!(items.len() <= max_values(k), "{k}: {}", items.len());
                    }
                }
            }
            Err(e) => assert!((400..500).contains(&e.status()), "{e:?}"),
        }
    }
});
