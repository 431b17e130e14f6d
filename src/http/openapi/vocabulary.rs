//! The domain's word sets in the document: each is a string schema listing its values,
//! taken from the enum itself (`ALL`), so the document cannot drift from the vocabulary.
//! Here rather than in `domain/`, which stays free of HTTP and documentation concerns.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use crate::domain::{
    ActorKind, EventType, IdentitySourceKind, LinkedBy, Provenance, SsoFailureReason, UserState,
};

macro_rules! string_enum_schema {
    ($($name:ident),+ $(,)?) => {$(
        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some($name::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )+};
}

string_enum_schema!(
    ActorKind,
    EventType,
    IdentitySourceKind,
    LinkedBy,
    Provenance,
    SsoFailureReason,
    UserState,
);
