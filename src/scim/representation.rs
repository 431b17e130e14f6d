//! Resource representation (RFC 7643 §3, RFC 7644 §3.4.2): list responses.

use serde_json::{json, Value};

/// ListResponse message schema URN (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A ListResponse (RFC 7644 §3.4.2): `totalResults` is the count of all matches,
/// `itemsPerPage` the count of `resources` in this page, `startIndex` 1-based.
pub fn list_response(resources: Vec<Value>, total_results: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total_results,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    })
}
