//! Schemas described by hand, for answers a handler builds as raw JSON (`json!`) rather
//! than from a type deriving `ToSchema`: the code exchange's profile, lists that carry a
//! cursor or more next to `data`, redirect URIs, health, the ACS form and this document
//! itself. tests/api/openapi_answers.rs checks real answers against each of them.

use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::RefOr;
use utoipa::PartialSchema;

use super::{any_object, named, schema_ref, Named, Payload};
use crate::lifecycle::users::{GroupView as UserGroupView, RoleView as UserRoleView, UserView};

/// A field of a hand-described object: name, schema, required.
pub(super) type Field = (&'static str, RefOr<Schema>, bool);

/// An object described by hand (for answers built as raw JSON), registered under `name`
/// with the named schemas its fields refer to.
pub(super) fn described(
    name: &str,
    description: &str,
    fields: Vec<Field>,
    refers: Vec<Named>,
) -> Named {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description));
    for (field, schema, required) in fields {
        object = object.property(field, schema);
        if required {
            object = object.required(field);
        }
    }
    let mut schemas = vec![(name.to_owned(), object.into())];
    schemas.extend(refers.into_iter().flat_map(|n| n.schemas));
    Named {
        name: name.to_owned(),
        schemas,
    }
}

pub(super) fn string() -> RefOr<Schema> {
    String::schema()
}

pub(super) fn nullable_string() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .into()
}

pub(super) fn date_time(nullable: bool) -> RefOr<Schema> {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(ty)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .into()
}

pub(super) fn array_of(items: RefOr<Schema>) -> RefOr<Schema> {
    ArrayBuilder::new().items(items).into()
}

/// The profile `POST /sso/token` answers: built as JSON by `sso::codes::exchange`, so
/// described here by its public contract (docs/sso.md); more fields may appear.
pub(super) fn login_profile() -> Payload {
    let user = named::<UserView>();
    let role = named::<UserRoleView>();
    let group = named::<UserGroupView>();
    let organization = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("id", string())
        .property("slug", string())
        .property("name", string())
        .required("id")
        .required("slug")
        .required("name");
    let connection = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("id", string())
        .property("idp_entity_id", nullable_string())
        .required("id");
    let fields: Vec<Field> = vec![
        ("user", schema_ref(&user.name), true),
        ("organization", organization.into(), true),
        ("roles", array_of(schema_ref(&role.name)), true),
        ("groups", array_of(string()), false),
        ("directory_groups", array_of(schema_ref(&group.name)), false),
        ("attributes", any_object(), false),
        ("connection", connection.into(), false),
        ("name_id", nullable_string(), false),
        ("name_id_format", nullable_string(), false),
        ("session_index", nullable_string(), false),
        ("session_expires_at", date_time(true), false),
        ("is_new_user", bool::schema(), true),
        ("initiated_by", nullable_string(), false),
        ("state", nullable_string(), false),
    ];
    Payload::Json(described(
        "LoginProfile",
        "The login's profile: the user (as the app API shows users), the organization, \
         roles, groups and IdP attributes, and whether JIT created the user",
        fields,
        vec![user, role, group],
    ))
}

/// The event feeds' cursor: the `seq` of the last event of the page (the request's
/// `after` on an empty page).
pub(super) fn next_after() -> Vec<Field> {
    vec![("next_after", i64::schema(), true)]
}

/// `GET /healthz`.
pub(super) fn health() -> Payload {
    Payload::Json(described(
        "Health",
        "The process is up",
        vec![("status", string(), true)],
        vec![],
    ))
}

/// `GET /readyz`: `ready` with the database backend, or `not_ready` with a reason.
pub(super) fn readiness() -> Payload {
    Payload::Json(described(
        "Readiness",
        "`status` is `ready` (with `database`, the backend) or `not_ready` (with `reason`)",
        vec![
            ("status", string(), true),
            ("database", string(), false),
            ("reason", string(), false),
        ],
        vec![],
    ))
}

/// The form the IdP's browser POSTs to the ACS (SAML 2.0 HTTP-POST binding, §3.5.4);
/// read by `sso_http::acs_post`, which ignores other fields.
pub(super) fn saml_post() -> Named {
    described(
        "SamlPostForm",
        "The SAML HTTP-POST binding's form",
        vec![
            ("SAMLResponse", string(), true),
            ("RelayState", string(), false),
        ],
        vec![],
    )
}

/// `GET /openapi.json`: an OpenAPI 3.1 document (its own schema is the OpenAPI
/// specification's, not repeated here).
pub(super) fn openapi_document() -> Named {
    let mut named = described(
        "OpenApiDocument",
        "An OpenAPI 3.1 document (https://spec.openapis.org/oas/v3.1.0)",
        vec![
            ("openapi", string(), true),
            ("info", any_object(), true),
            ("paths", any_object(), true),
            ("components", any_object(), false),
            ("tags", array_of(any_object()), false),
        ],
        vec![],
    );
    if let Some((_, RefOr::T(Schema::Object(object)))) = named.schemas.first_mut() {
        object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(true)));
    }
    named
}

/// An allowed login redirect URI (`admin::sso`, built as JSON).
pub(super) fn redirect_uri() -> Named {
    described(
        "RedirectUri",
        "An allowed login redirect URI",
        vec![
            ("id", string(), true),
            ("uri", string(), true),
            ("created_at", date_time(false), true),
        ],
        vec![],
    )
}
