//! SCIM filters and `sortBy` (RFC 7644 §3.4.2.2, §3.4.2.3) translated into the store's
//! typed query (`store::query`): attributes IdPs filter on map to indexed columns
//! (`userName` → `user_name_lower`, `externalId`, `id`, `emails.value` → the
//! `user_emails` rows, `members.value` → `group_members`, `meta.*` → timestamps); every
//! other attribute is read from the stored resource JSON by its catalogue name. The
//! store renders the SQL; nothing of the request but bound values reaches it.
//!
//! Semantics follow the in-memory evaluator `scim::filter::matches`: a comparison on a
//! multi-valued attribute holds if some value matches, `ne` is `not eq`, `eq null` is
//! "not present", and case-insensitive attributes compare lower-cased.

mod compare;

use super::error::ScimError;
use super::filter::{CompValue, CompareOp, Filter, SortOrder};
use super::schema::{ResolvedAttr, ResourceType};
use crate::store::query::{
    Collection, Column, JsonBase, Kind, Literal, Operand, Pred, Sort, SortKey, Source,
};
use compare::{compare, json_operand, Leaf};

/// The store table of a resource type.
pub fn collection(rt: ResourceType) -> Collection {
    match rt {
        ResourceType::User => Collection::Users,
        ResourceType::Group => Collection::Groups,
    }
}

/// The store predicate for `filter` on resources of type `rt` (400 `invalidFilter`
/// when an attribute cannot be filtered on or a value does not suit it).
pub fn to_predicate(rt: ResourceType, filter: &Filter) -> Result<Pred, ScimError> {
    self::filter(Scope::Root(rt), filter)
}

/// The store sort key for `sortBy`/`sortOrder` (RFC 7644 §3.4.2.3).
pub fn to_sort(rt: ResourceType, (attr, order): &(ResolvedAttr, SortOrder)) -> Sort {
    let common = attr.schema.id.is_empty();
    let key = match (rt, common, attr.attr.name, attr.sub.map(|s| s.name)) {
        (_, true, "id", None) => SortKey::Column(Column::Id),
        (_, true, "externalId", None) => SortKey::Column(Column::ExternalId),
        (_, true, "meta", Some("created")) => SortKey::Column(Column::CreatedAt),
        (_, true, "meta", Some("lastModified")) => SortKey::Column(Column::UpdatedAt),
        (ResourceType::User, false, "userName", None) => SortKey::Column(Column::UserNameLower),
        (ResourceType::User, false, "emails", _) => SortKey::Column(Column::UserEmailLower),
        (ResourceType::Group, false, "displayName", None) => {
            SortKey::Column(Column::GroupDisplayNameLower)
        }
        _ if !attr.attr.multi_valued => {
            let mut keys = attr_keys(attr);
            if let Some(s) = attr.sub {
                keys.push(s.name);
            }
            let leaf = attr.leaf();
            SortKey::Json {
                keys,
                lower: !(leaf.case_exact || leaf.kind != super::schema::AttrType::String),
            }
        }
        _ => SortKey::Column(Column::Id),
    };
    Sort {
        key,
        descending: *order == SortOrder::Descending,
    }
}

/// Where the names of a filter resolve.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// The resource row (`users` or `groups`).
    Root(ResourceType),
    /// One row of `user_emails`.
    EmailRow,
    /// One row of `group_members`; `of_user` when seen from a User's `groups`.
    MemberRow { of_user: bool },
    /// One element of a JSON array.
    JsonElem,
}

fn attr_keys(attr: &ResolvedAttr) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if let Some(urn) = attr.extension_key() {
        keys.push(urn);
    }
    keys.push(attr.attr.name);
    keys
}

fn not(inner: Pred) -> Pred {
    Pred::Not(Box::new(inner))
}

fn filter(scope: Scope, f: &Filter) -> Result<Pred, ScimError> {
    Ok(match f {
        Filter::And(items) => Pred::And(
            items
                .iter()
                .map(|i| filter(scope, i))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Or(items) => Pred::Or(
            items
                .iter()
                .map(|i| filter(scope, i))
                .collect::<Result<_, _>>()?,
        ),
        Filter::Not(inner) => not(filter(scope, inner)?),
        Filter::Present(attr) => leaf(scope, attr, &Leaf::Present)?,
        Filter::Compare(attr, op, value) => match (op, value) {
            (CompareOp::Eq, CompValue::Null) => not(leaf(scope, attr, &Leaf::Present)?),
            (CompareOp::Ne, CompValue::Null) => leaf(scope, attr, &Leaf::Present)?,
            (CompareOp::Ne, v) => not(leaf(scope, attr, &Leaf::Cmp(CompareOp::Eq, v))?),
            (op, v) => leaf(scope, attr, &Leaf::Cmp(*op, v))?,
        },
        Filter::ValuePath(attr, inner) => value_path(scope, attr, inner)?,
    })
}

fn value_path(scope: Scope, attr: &ResolvedAttr, inner: &Filter) -> Result<Pred, ScimError> {
    let Scope::Root(rt) = scope else {
        return Err(ScimError::invalid_filter(
            "nested value paths are not supported",
        ));
    };
    match (rt, attr.extension_key(), attr.attr.name) {
        (ResourceType::User, None, "emails") => {
            Ok(Pred::Emails(Box::new(filter(Scope::EmailRow, inner)?)))
        }
        (ResourceType::User, None, "groups") => Ok(Pred::Memberships {
            of_user: true,
            inner: Box::new(filter(Scope::MemberRow { of_user: true }, inner)?),
        }),
        (ResourceType::Group, None, "members") => Ok(Pred::Memberships {
            of_user: false,
            inner: Box::new(filter(Scope::MemberRow { of_user: false }, inner)?),
        }),
        _ if attr.attr.multi_valued => Ok(Pred::JsonElements {
            keys: attr_keys(attr),
            inner: Box::new(filter(Scope::JsonElem, inner)?),
        }),
        _ => {
            // A single-valued complex attribute: `name[givenName eq "x"]` is
            // `name.givenName eq "x"`; translate with the parent as prefix.
            let rebased = rebase(inner, attr);
            filter(scope, &rebased)
        }
    }
}

fn leaf(scope: Scope, attr: &ResolvedAttr, leaf: &Leaf<'_>) -> Result<Pred, ScimError> {
    match scope {
        Scope::EmailRow => {
            let op = match attr.sub.map(|s| s.name) {
                Some("value") => col(Column::EmailValueLower, Kind::Text { lowered: true }, true),
                Some("type") => col(Column::EmailTypeLower, Kind::Text { lowered: true }, false),
                Some("primary") => col(Column::EmailPrimary, Kind::BoolColumn, true),
                _ => return Err(unsupported(attr)),
            };
            compare(&op, leaf)
        }
        Scope::MemberRow { of_user } => {
            let column = if of_user {
                Column::MemberGroupId
            } else {
                Column::MemberUserId
            };
            match attr.sub.map(|s| s.name) {
                Some("value") => compare(&col(column, Kind::Text { lowered: false }, true), leaf),
                Some("type") if !of_user => compare(
                    &Operand {
                        source: Source::Literal(Literal::User),
                        kind: Kind::Text { lowered: true },
                        always: true,
                    },
                    leaf,
                ),
                _ => Err(unsupported(attr)),
            }
        }
        Scope::JsonElem => {
            let sub = attr.sub.ok_or_else(|| unsupported(attr))?;
            let op = json_operand(JsonBase::Element, vec![sub.name], sub.kind, sub.case_exact);
            compare(&op, leaf)
        }
        Scope::Root(rt) => root_leaf(rt, attr, leaf),
    }
}

fn root_leaf(rt: ResourceType, attr: &ResolvedAttr, leaf: &Leaf<'_>) -> Result<Pred, ScimError> {
    let name = attr.attr.name;
    let sub = attr.sub.map(|s| s.name);
    let common = attr.schema.id.is_empty();
    let text = Kind::Text { lowered: false };
    let lowered = Kind::Text { lowered: true };
    let indexed = match (rt, common, name, sub) {
        (_, true, "id", None) => Some(col(Column::Id, text, true)),
        (_, true, "externalId", None) => Some(col(Column::ExternalId, text, false)),
        (_, true, "meta", Some("created")) => Some(col(Column::CreatedAt, Kind::Timestamp, true)),
        (_, true, "meta", Some("lastModified")) => {
            Some(col(Column::UpdatedAt, Kind::Timestamp, true))
        }
        (_, true, "meta", Some("resourceType")) => Some(Operand {
            source: Source::Literal(match rt {
                ResourceType::User => Literal::User,
                ResourceType::Group => Literal::Group,
            }),
            kind: lowered,
            always: true,
        }),
        (ResourceType::User, false, "userName", None) => {
            Some(col(Column::UserNameLower, lowered, true))
        }
        (ResourceType::User, false, "displayName", None) => {
            Some(col(Column::UserDisplayNameLower, lowered, false))
        }
        (ResourceType::User, false, "active", None) => {
            Some(col(Column::UserActive, Kind::BoolColumn, true))
        }
        (ResourceType::Group, false, "displayName", None) => {
            Some(col(Column::GroupDisplayNameLower, lowered, true))
        }
        _ => None,
    };
    if let Some(op) = indexed {
        return compare(&op, leaf);
    }
    if common && name == "meta" {
        return Err(unsupported(attr));
    }
    // Relations kept in rows rather than JSON.
    match (rt, attr.extension_key(), name) {
        (ResourceType::User, None, "emails")
        | (ResourceType::User, None, "groups")
        | (ResourceType::Group, None, "members") => {
            let inner = match leaf {
                Leaf::Present => Filter::Present(*attr),
                Leaf::Cmp(op, v) => Filter::Compare(*attr, *op, (*v).clone()),
            };
            let bare = ResolvedAttr { sub: None, ..*attr };
            // `emails pr` (no sub-attribute) means some row exists.
            let inner = if attr.sub.is_none() {
                let value = bare.attr.sub_attribute("value");
                match (value, leaf) {
                    (Some(v), Leaf::Present) => Filter::Present(ResolvedAttr {
                        sub: Some(v),
                        ..bare
                    }),
                    _ => inner,
                }
            } else {
                inner
            };
            let rows = value_path(Scope::Root(rt), &bare, &inner)?;
            // A user JIT created carries its email in `users.email_lower` (indexed)
            // and may have no `user_emails` rows; SCIM users have their primary email
            // in both, so the alternative adds no false matches.
            let is_email_value = name == "emails" && attr.sub.is_none_or(|s| s.name == "value");
            if rt == ResourceType::User && is_email_value {
                let column = col(Column::UserEmailLower, lowered, false);
                return Ok(Pred::Or(vec![rows, compare(&column, leaf)?]));
            }
            return Ok(rows);
        }
        _ => {}
    }
    let keys = attr_keys(attr);
    if attr.attr.multi_valued {
        let inner = match attr.sub {
            Some(s) => {
                let op = json_operand(JsonBase::Element, vec![s.name], s.kind, s.case_exact);
                compare(&op, leaf)?
            }
            None => match leaf {
                Leaf::Present => Pred::True,
                Leaf::Cmp(..) => return Err(unsupported(attr)),
            },
        };
        return Ok(Pred::JsonElements {
            keys,
            inner: Box::new(inner),
        });
    }
    let mut keys = keys;
    let leaf_def = attr.leaf();
    if let Some(s) = attr.sub {
        keys.push(s.name);
    }
    let op = json_operand(JsonBase::Root, keys, leaf_def.kind, leaf_def.case_exact);
    compare(&op, leaf)
}

/// `attr[inner]` on a single-valued complex attribute, as `attr.sub` comparisons.
fn rebase(f: &Filter, parent: &ResolvedAttr) -> Filter {
    let fix = |a: &ResolvedAttr| ResolvedAttr {
        schema: parent.schema,
        attr: parent.attr,
        sub: a.sub,
    };
    match f {
        Filter::Present(a) => Filter::Present(fix(a)),
        Filter::Compare(a, op, v) => Filter::Compare(fix(a), *op, v.clone()),
        Filter::ValuePath(a, inner) => Filter::ValuePath(*a, inner.clone()),
        Filter::Not(inner) => Filter::Not(Box::new(rebase(inner, parent))),
        Filter::And(items) => Filter::And(items.iter().map(|i| rebase(i, parent)).collect()),
        Filter::Or(items) => Filter::Or(items.iter().map(|i| rebase(i, parent)).collect()),
    }
}

fn unsupported(attr: &ResolvedAttr) -> ScimError {
    ScimError::invalid_filter(format!(
        "filtering on '{}' is not supported",
        attr.canonical()
    ))
}

fn col(column: Column, kind: Kind, always: bool) -> Operand {
    Operand {
        source: Source::Column(column),
        kind,
        always,
    }
}

#[cfg(test)]
mod tests;
