//! Rendering and profile round trips of users JIT provisioning created.
#![expect(clippy::unwrap_used)]
use super::profile::profile;
use super::render::render;
use crate::domain::{Provenance, UserState};
use crate::store::users::UserRow;
use serde_json::Value;

/// A row as JIT provisioning leaves it: profile columns, no SCIM attributes.
fn jit_row() -> UserRow {
    let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    UserRow {
        id: "u1".into(),
        organization_id: "o1".into(),
        user_name: "Ann@Example.com".into(),
        user_name_lower: "ann@example.com".into(),
        external_id: None,
        email: Some("ann@example.com".into()),
        email_lower: Some("ann@example.com".into()),
        given_name: Some("Ann".into()),
        family_name: Some("Lee".into()),
        display_name: None,
        active: true,
        state: UserState::Active,
        provisioned_by: Provenance::Jit,
        attributes: "{}".into(),
        version: 3,
        created_at: t,
        updated_at: t,
        last_login_at: None,
        deprovisioned_at: None,
    }
}

#[test]
fn jit_user_renders_as_a_full_scim_user() {
    let v = render(
        &jit_row(),
        &[("g1".into(), "Admins".into())],
        "https://x/scim/v2",
    );
    assert_eq!(v["userName"], "Ann@Example.com");
    assert_eq!(v["emails"][0]["value"], "ann@example.com");
    assert_eq!(v["name"]["familyName"], "Lee");
    assert_eq!(v["active"], true);
    assert_eq!(v["groups"][0]["value"], "g1");
    assert_eq!(v["meta"]["version"], "W/\"3\"");
    assert_eq!(v["meta"]["location"], "https://x/scim/v2/Users/u1");
    // Its profile survives a round trip through the stored form.
    let p = profile(&v, UserState::Active).unwrap();
    assert_eq!(p.user_name_lower, "ann@example.com");
    assert_eq!(p.given_name.as_deref(), Some("Ann"));
    let stored: Value = serde_json::from_str(&p.attributes).unwrap();
    assert!(
        stored.get("meta").is_none()
            && stored.get("groups").is_none()
            && stored.get("id").is_none()
    );
}

#[test]
fn suspended_state_renders_inactive() {
    let mut row = jit_row();
    row.state = UserState::Suspended;
    row.attributes = r#"{"userName":"ann@example.com","active":true}"#.into();
    assert_eq!(render(&row, &[], "b")["active"], false);
}
