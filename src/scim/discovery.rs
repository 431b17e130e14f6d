//! Discovery documents (RFC 7644 §4): `/ServiceProviderConfig` (RFC 7643 §5),
//! `/ResourceTypes` (RFC 7643 §6) and `/Schemas` (RFC 7643 §7), built from the
//! catalogue in `schema` so that what we advertise is what we enforce.

use serde_json::{json, Map, Value};

use super::representation::list_response;
use super::schema::{AttributeDef, ResourceType, SchemaDef, ENTERPRISE_USER, GROUP, USER};

/// ServiceProviderConfig schema URN (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// ResourceType schema URN (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// Schema schema URN (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The default `filter.maxResults` advertised and enforced on list queries.
pub const DEFAULT_MAX_RESULTS: u32 = 200;

/// Every schema published at `/Schemas`, in a stable order.
pub static PUBLISHED_SCHEMAS: [&SchemaDef; 3] = [&USER, &ENTERPRISE_USER, &GROUP];

/// Every resource type published at `/ResourceTypes`.
pub static RESOURCE_TYPES: [ResourceType; 2] = [ResourceType::User, ResourceType::Group];

fn base(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// The `/ServiceProviderConfig` document (RFC 7643 §5): PATCH, filter (with
/// `max_results`), sort and ETag supported; bulk and changePassword not; OAuth bearer
/// token authentication. `base_url` is the SCIM base (`{public_url}/scim/v2`).
pub fn service_provider_config(base_url: &str, max_results: u32) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with the directory's bearer token (RFC 6750).",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", base(base_url)),
        },
    })
}

/// One attribute's RFC 7643 §7 representation, recursing into sub-attributes.
pub fn attribute_document(def: &AttributeDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(def.name));
    m.insert("type".into(), json!(def.kind.as_str()));
    m.insert("multiValued".into(), json!(def.multi_valued));
    m.insert("description".into(), json!(def.description));
    m.insert("required".into(), json!(def.required));
    m.insert("caseExact".into(), json!(def.case_exact));
    m.insert("mutability".into(), json!(def.mutability.as_str()));
    m.insert("returned".into(), json!(def.returned.as_str()));
    m.insert("uniqueness".into(), json!(def.uniqueness.as_str()));
    if !def.canonical_values.is_empty() {
        m.insert("canonicalValues".into(), json!(def.canonical_values));
    }
    if !def.reference_types.is_empty() {
        m.insert("referenceTypes".into(), json!(def.reference_types));
    }
    if !def.sub_attributes.is_empty() {
        let subs: Vec<Value> = def.sub_attributes.iter().map(attribute_document).collect();
        m.insert("subAttributes".into(), Value::Array(subs));
    }
    Value::Object(m)
}

/// A schema's full RFC 7643 §7 representation with `meta.location`.
pub fn schema_document(schema: &SchemaDef, base_url: &str) -> Value {
    let attributes: Vec<Value> = schema.attributes.iter().map(attribute_document).collect();
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": attributes,
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base(base_url), schema.id),
        },
    })
}

/// `GET /Schemas`: a ListResponse of every published schema (RFC 7644 §4).
pub fn schemas_list(base_url: &str) -> Value {
    let docs: Vec<Value> = PUBLISHED_SCHEMAS
        .iter()
        .map(|s| schema_document(s, base_url))
        .collect();
    let total = docs.len();
    list_response(docs, total, 1)
}

/// `GET /Schemas/{id}`: the schema with that URN (case-insensitive), or `None` (404).
pub fn schema_by_id(id: &str, base_url: &str) -> Option<Value> {
    PUBLISHED_SCHEMAS
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .map(|s| schema_document(s, base_url))
}

/// A resource type's RFC 7643 §6 representation with `meta.location`.
pub fn resource_type_document(rt: ResourceType, base_url: &str) -> Value {
    let extensions: Vec<Value> = rt
        .extensions()
        .iter()
        .map(|s| json!({"schema": s.id, "required": false}))
        .collect();
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rt.name(),
        "name": rt.name(),
        "endpoint": rt.endpoint(),
        "description": rt.core_schema().description,
        "schema": rt.core_schema().id,
        "schemaExtensions": extensions,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base(base_url), rt.name()),
        },
    })
}

/// `GET /ResourceTypes`: a ListResponse of User and Group.
pub fn resource_types_list(base_url: &str) -> Value {
    let docs: Vec<Value> = RESOURCE_TYPES
        .iter()
        .map(|rt| resource_type_document(*rt, base_url))
        .collect();
    let total = docs.len();
    list_response(docs, total, 1)
}

/// `GET /ResourceTypes/{name}`: by name (case-insensitive), or `None` (404).
pub fn resource_type_by_name(name: &str, base_url: &str) -> Option<Value> {
    RESOURCE_TYPES
        .iter()
        .find(|rt| rt.name().eq_ignore_ascii_case(name))
        .map(|rt| resource_type_document(*rt, base_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://idp.example.com/scim/v2/";

    fn find<'a>(attrs: &'a Value, name: &str) -> &'a Value {
        attrs
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == name))
            .unwrap_or(&Value::Null)
    }

    #[test]
    fn service_provider_config_advertises_capabilities() {
        let doc = service_provider_config(BASE, 100);
        assert_eq!(doc["patch"]["supported"], true);
        assert_eq!(doc["bulk"]["supported"], false);
        assert_eq!(doc["filter"], json!({"supported": true, "maxResults": 100}));
        assert_eq!(doc["changePassword"]["supported"], false);
        assert_eq!(doc["sort"]["supported"], true);
        assert_eq!(doc["etag"]["supported"], true);
        assert_eq!(doc["authenticationSchemes"][0]["type"], "oauthbearertoken");
        assert_eq!(
            doc["meta"]["location"],
            "https://idp.example.com/scim/v2/ServiceProviderConfig"
        );
    }

    #[test]
    fn user_schema_document_is_complete() {
        let doc =
            schema_by_id("URN:ietf:params:scim:schemas:core:2.0:user", BASE).unwrap_or(Value::Null);
        assert_eq!(doc["id"], "urn:ietf:params:scim:schemas:core:2.0:User");
        assert_eq!(
            doc["meta"]["location"],
            "https://idp.example.com/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
        );
        let attrs = &doc["attributes"];
        assert_eq!(attrs.as_array().map(Vec::len), Some(21));
        let user_name = find(attrs, "userName");
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["caseExact"], false);
        let password = find(attrs, "password");
        assert_eq!(password["mutability"], "writeOnly");
        assert_eq!(password["returned"], "never");
        let emails = find(attrs, "emails");
        assert_eq!(emails["multiValued"], true);
        assert_eq!(emails["type"], "complex");
        let email_type = find(&emails["subAttributes"], "type");
        assert_eq!(
            email_type["canonicalValues"],
            json!(["work", "home", "other"])
        );
        let groups = find(attrs, "groups");
        assert_eq!(groups["mutability"], "readOnly");
        assert_eq!(
            find(&groups["subAttributes"], "$ref")["referenceTypes"],
            json!(["User", "Group"])
        );
        assert!(find(attrs, "name")["subAttributes"]
            .as_array()
            .is_some_and(|s| s.len() == 6));
    }

    #[test]
    fn schemas_list_has_three_schemas() {
        let list = schemas_list(BASE);
        assert_eq!(list["totalResults"], 3);
        let ids: Vec<&Value> = list["Resources"]
            .as_array()
            .map(|r| r.iter().map(|d| &d["id"]).collect())
            .unwrap_or_default();
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&&json!(ENTERPRISE_USER.id)));
        let manager = find(
            &schema_by_id(ENTERPRISE_USER.id, BASE).unwrap_or(Value::Null)["attributes"],
            "manager",
        )
        .clone();
        assert_eq!(
            find(&manager["subAttributes"], "displayName")["mutability"],
            "readOnly"
        );
        assert!(schema_by_id("urn:nope", BASE).is_none());
    }

    #[test]
    fn resource_types_describe_user_extension() {
        let user = resource_type_by_name("user", BASE).unwrap_or(Value::Null);
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(
            user["schemaExtensions"],
            json!([{"schema": ENTERPRISE_USER.id, "required": false}])
        );
        assert_eq!(
            user["meta"]["location"],
            "https://idp.example.com/scim/v2/ResourceTypes/User"
        );
        let list = resource_types_list(BASE);
        assert_eq!(list["totalResults"], 2);
        assert_eq!(list["Resources"][1]["schemaExtensions"], json!([]));
        assert!(resource_type_by_name("Widgets", BASE).is_none());
    }
}
