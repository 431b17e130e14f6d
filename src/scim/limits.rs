//! Size limits on what one SCIM request may ask for, so the work a request drives is
//! bounded in absolute terms, not only by the body limit (docs/security.md, "SCIM").
//! Each limit sits well above what Okta, Entra ID and the RFC examples send; going over
//! one is a 400 whose `detail` names the limit.

use super::error::ScimError;

/// Longest `filter` (query parameter or `/.search` body), in bytes. `scim_v2` already
/// caps a filter at 1024 terms and 64 levels; this bounds the text those come from (a
/// hundred-id `id eq "…" or …` batch lookup is about 5 KiB).
pub const MAX_FILTER_BYTES: usize = 16 * 1024;

/// Longest PATCH `path` or `sortBy`, in bytes (`emails[type eq "work"].value` is 28).
pub const MAX_PATH_BYTES: usize = 1024;

/// Most operations in one PATCH request (Okta sends one `remove` per member).
pub const MAX_PATCH_OPERATIONS: usize = 1000;

/// Most values of one multi-valued attribute other than `members` (`emails`,
/// `phoneNumbers`, `addresses`, ...), in a request and in a resource after each PATCH
/// operation: merging a value into a list compares it with the values already there.
pub const MAX_MULTI_VALUES: usize = 100;

/// Most member ids one request may name (all operations of a PATCH together).
pub const MAX_MEMBERS: usize = 50_000;

/// Most names in `attributes` or `excludedAttributes`.
pub const MAX_ATTRIBUTE_NAMES: usize = 100;

/// 400 `invalidFilter` when a filter is longer than [`MAX_FILTER_BYTES`].
pub fn check_filter(filter: &str) -> Result<(), ScimError> {
    if filter.len() > MAX_FILTER_BYTES {
        return Err(ScimError::invalid_filter(format!(
            "the filter is longer than {MAX_FILTER_BYTES} bytes"
        )));
    }
    Ok(())
}

/// 400 `invalidPath` when a PATCH path is longer than [`MAX_PATH_BYTES`].
pub fn check_path(path: &str) -> Result<(), ScimError> {
    if path.len() > MAX_PATH_BYTES {
        return Err(ScimError::invalid_path(format!(
            "the path is longer than {MAX_PATH_BYTES} bytes"
        )));
    }
    Ok(())
}

/// 400 `invalidValue` when `count` values of `what` exceed `max`.
pub fn check_count(what: &str, count: usize, max: usize) -> Result<(), ScimError> {
    if count > max {
        return Err(ScimError::invalid_value(format!(
            "{what} holds {count} values; at most {max} are accepted in one request"
        )));
    }
    Ok(())
}

/// The most values an attribute named `name` may hold (see [`MAX_MULTI_VALUES`]).
pub fn max_values(name: &str) -> usize {
    if name == "members" {
        MAX_MEMBERS
    } else {
        MAX_MULTI_VALUES
    }
}
