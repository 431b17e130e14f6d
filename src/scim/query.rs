//! List query parameters (RFC 7644 §3.4.2) from a query string or a `POST /.search`
//! body (RFC 7644 §3.4.3), validated into one typed [`ListQuery`].

use serde_json::Value;

use super::error::ScimError;
use super::filter::{get_ci, parse_filter, parse_sort, Filter, SortOrder};
use super::representation::Projection;
use super::schema::{ResolvedAttr, ResourceType};

/// SearchRequest message schema URN (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Raw list parameters as received (query string values, not yet validated).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListParams<'a> {
    /// `filter`
    pub filter: Option<&'a str>,
    /// `sortBy`
    pub sort_by: Option<&'a str>,
    /// `sortOrder`
    pub sort_order: Option<&'a str>,
    /// `startIndex`
    pub start_index: Option<&'a str>,
    /// `count`
    pub count: Option<&'a str>,
    /// `attributes` (comma-separated)
    pub attributes: Option<&'a str>,
    /// `excludedAttributes` (comma-separated)
    pub excluded_attributes: Option<&'a str>,
}

/// A validated list query.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    /// The filter, if any.
    pub filter: Option<Filter>,
    /// The sort attribute and direction, if `sortBy` was given.
    pub sort: Option<(ResolvedAttr, SortOrder)>,
    /// 1-based index of the first result (RFC 7644 §3.4.2.4: values below 1 mean 1).
    pub start_index: usize,
    /// Page size: negative means 0, absent or above `max_results` means `max_results`.
    pub count: usize,
    /// The output projection.
    pub projection: Projection,
}

impl ListQuery {
    /// The SQL `OFFSET` for this page.
    pub fn offset(&self) -> usize {
        self.start_index.saturating_sub(1)
    }
}

fn parse_int(name: &str, raw: Option<&str>) -> Result<Option<i64>, ScimError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            ScimError::invalid_value(format!("'{name}' must be an integer, got '{s}'"))
        }),
    }
}

fn clamp(start: Option<i64>, count: Option<i64>, max_results: usize) -> (usize, usize) {
    let start = usize::try_from(start.unwrap_or(1).max(1)).unwrap_or(usize::MAX);
    let count = match count {
        None => max_results,
        Some(c) => usize::try_from(c.max(0))
            .unwrap_or(usize::MAX)
            .min(max_results),
    };
    (start, count)
}

/// Validate `GET /Users?…` parameters (RFC 7644 §3.4.2). Errors: `invalidFilter` for
/// the filter, `invalidValue` for `sortBy`/`sortOrder`/non-integer paging.
pub fn parse_list_query(
    rt: ResourceType,
    params: &ListParams<'_>,
    max_results: usize,
) -> Result<ListQuery, ScimError> {
    let filter = match params.filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => Some(parse_filter(rt, f)?),
        None => None,
    };
    let sort = match params.sort_by.map(str::trim).filter(|s| !s.is_empty()) {
        Some(by) => Some(parse_sort(rt, by, params.sort_order)?),
        None => None,
    };
    let (start_index, count) = clamp(
        parse_int("startIndex", params.start_index)?,
        parse_int("count", params.count)?,
        max_results,
    );
    Ok(ListQuery {
        filter,
        sort,
        start_index,
        count,
        projection: Projection::parse_checked(rt, params.attributes, params.excluded_attributes)?,
    })
}

fn string_field<'a>(body: &'a Value, name: &str) -> Result<Option<&'a str>, ScimError> {
    match get_ci(body, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ScimError::invalid_syntax(format!(
            "'{name}' must be a string"
        ))),
    }
}

fn list_field(body: &Value, name: &str) -> Result<Option<String>, ScimError> {
    match get_ci(body, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            names.map(|n| Some(n.join(","))).ok_or_else(|| {
                ScimError::invalid_syntax(format!("'{name}' must be an array of strings"))
            })
        }
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid_syntax(format!(
            "'{name}' must be an array of strings"
        ))),
    }
}

fn int_field(body: &Value, name: &str) -> Result<Option<i64>, ScimError> {
    match get_ci(body, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ScimError::invalid_value(format!("'{name}' must be an integer"))),
        Some(Value::String(s)) => parse_int(name, Some(s)),
        Some(_) => Err(ScimError::invalid_value(format!(
            "'{name}' must be an integer"
        ))),
    }
}

/// Validate a `POST /Users/.search` body (RFC 7644 §3.4.3): `schemas` must name
/// [`SEARCH_REQUEST_SCHEMA`]; `attributes`/`excludedAttributes` are string arrays.
pub fn parse_search_request(
    rt: ResourceType,
    body: &Value,
    max_results: usize,
) -> Result<ListQuery, ScimError> {
    if !body.is_object() {
        return Err(ScimError::invalid_syntax(
            "the search request must be a JSON object",
        ));
    }
    let ok = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter().any(|s| {
                s.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST_SCHEMA))
            })
        });
    if !ok {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain \"{SEARCH_REQUEST_SCHEMA}\""
        )));
    }
    let attributes = list_field(body, "attributes")?;
    let excluded = list_field(body, "excludedAttributes")?;
    let filter = string_field(body, "filter")?;
    let sort_by = string_field(body, "sortBy")?;
    let sort_order = string_field(body, "sortOrder")?;
    let mut query = parse_list_query(
        rt,
        &ListParams {
            filter,
            sort_by,
            sort_order,
            attributes: attributes.as_deref(),
            excluded_attributes: excluded.as_deref(),
            ..ListParams::default()
        },
        max_results,
    )?;
    (query.start_index, query.count) = clamp(
        int_field(body, "startIndex")?,
        int_field(body, "count")?,
        max_results,
    );
    Ok(query)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;
    use crate::scim::error::ScimType;
    use serde_json::json;

    #[test]
    fn okta_pre_create_lookup() {
        let q = parse_list_query(
            ResourceType::User,
            &ListParams {
                filter: Some(r#"userName eq "test.user@okta.local""#),
                start_index: Some("1"),
                count: Some("100"),
                ..ListParams::default()
            },
            200,
        )
        .unwrap();
        assert!(q.filter.is_some());
        assert_eq!((q.start_index, q.count, q.offset()), (1, 100, 0));
    }

    #[test]
    fn paging_is_clamped_per_rfc() {
        let p = |s: &'static str, c: &'static str| {
            let q = parse_list_query(
                ResourceType::Group,
                &ListParams {
                    start_index: Some(s),
                    count: Some(c),
                    ..ListParams::default()
                },
                50,
            )
            .unwrap();
            (q.start_index, q.count)
        };
        assert_eq!(p("0", "-5"), (1, 0));
        assert_eq!(p("-3", "1000"), (1, 50));
        assert_eq!(p("7", "10"), (7, 10));
        let q = parse_list_query(ResourceType::User, &ListParams::default(), 50).unwrap();
        assert_eq!(
            (q.start_index, q.count, q.filter, q.sort),
            (1, 50, None, None)
        );
    }

    #[test]
    fn bad_parameters_are_400s() {
        let e = parse_list_query(
            ResourceType::User,
            &ListParams {
                count: Some("ten"),
                ..ListParams::default()
            },
            50,
        )
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
        let e = parse_list_query(
            ResourceType::User,
            &ListParams {
                filter: Some("userName eq"),
                ..ListParams::default()
            },
            50,
        )
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
        let e = parse_list_query(
            ResourceType::User,
            &ListParams {
                sort_by: Some("nope"),
                ..ListParams::default()
            },
            50,
        )
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    }

    #[test]
    fn search_request_body() {
        let body = json!({
            "schemas": [SEARCH_REQUEST_SCHEMA],
            "attributes": ["displayName", "userName"],
            "filter": "displayName sw \"smith\"",
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 3,
            "count": 10
        });
        let q = parse_search_request(ResourceType::User, &body, 100).unwrap();
        assert_eq!((q.start_index, q.count), (3, 10));
        assert_eq!(
            q.sort.map(|(a, o)| (a.canonical(), o)),
            Some(("userName".to_owned(), SortOrder::Descending))
        );
        let out = q.projection.apply(
            ResourceType::User,
            &json!({"id": "1", "userName": "u", "title": "t"}),
        );
        assert_eq!(out, json!({"id": "1", "userName": "u"}));
        let e =
            parse_search_request(ResourceType::User, &json!({"filter": "x pr"}), 100).unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
        let e = parse_search_request(
            ResourceType::User,
            &json!({"schemas": [SEARCH_REQUEST_SCHEMA], "attributes": [1]}),
            100,
        )
        .unwrap_err();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidSyntax));
    }
}
