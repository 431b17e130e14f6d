//! Unit tests of [`super::map_assertion`] with every preset, overrides and the email
//! fallback.
//! Over 400 lines on purpose: test cases only.
#![expect(clippy::unwrap_used)]
use super::*;

const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

fn attrs(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
        .collect()
}

fn map(preset: Preset, a: &BTreeMap<String, Vec<String>>) -> MappedProfile {
    map_assertion(preset, &BTreeMap::new(), "00u1abcd", Some(PERSISTENT), a).unwrap()
}

fn okta_attrs() -> BTreeMap<String, Vec<String>> {
    attrs(&[
        ("email", &["Ada.Lovelace@Example.com"]),
        ("firstName", &["Ada"]),
        ("lastName", &["Lovelace"]),
        ("groups", &["Engineering", "Everyone", "Engineering"]),
        ("department", &["R&D"]),
        ("title", &["Analyst"]),
        ("employeeNumber", &["E-1815"]),
        ("manager", &["charles@example.com"]),
        ("costCenter", &["CC-42"]),
    ])
}

#[test]
fn okta_preset_reads_okta_profile_names() {
    let p = map(Preset::Okta, &okta_attrs());
    assert_eq!(p.email, "Ada.Lovelace@Example.com");
    assert_eq!(p.email_lower, "ada.lovelace@example.com");
    assert_eq!(p.email_domain(), "example.com");
    assert_eq!(p.email_source, EmailSource::Attribute("email".into()));
    assert_eq!(p.given_name.as_deref(), Some("Ada"));
    assert_eq!(p.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(p.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(p.groups, ["Engineering", "Everyone"]);
    assert_eq!(p.department.as_deref(), Some("R&D"));
    assert_eq!(p.title.as_deref(), Some("Analyst"));
    assert_eq!(p.employee_number.as_deref(), Some("E-1815"));
    assert_eq!(p.manager.as_deref(), Some("charles@example.com"));
    assert_eq!(p.custom, attrs(&[("costCenter", &["CC-42"])]));
    assert_eq!(
        p.sources.get("given_name").map(String::as_str),
        Some("firstName")
    );
}

fn entra_attrs() -> BTreeMap<String, Vec<String>> {
    attrs(&[
        (
            "http://schemas.microsoft.com/identity/claims/tenantid",
            &["72f988bf-86f1-41af-91ab-2d7cd011db47"],
        ),
        (
            "http://schemas.microsoft.com/identity/claims/objectidentifier",
            &["9f4b2c1e-6d3a-4e8b-a1c2-3d4e5f6a7b8c"],
        ),
        (
            "http://schemas.microsoft.com/identity/claims/displayname",
            &["Grace Hopper"],
        ),
        (
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
            &[
                "07dd8a60-bf6d-4e17-8844-230b77145381",
                "5c2f0e1a-9b8d-4c7e-a6f5-1e2d3c4b5a69",
            ],
        ),
        (
            "http://schemas.microsoft.com/identity/claims/identityprovider",
            &["https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"],
        ),
        (
            "http://schemas.microsoft.com/claims/authnmethodsreferences",
            &["http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password"],
        ),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
            &["Grace"],
        ),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            &["Hopper"],
        ),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            &["grace@contoso.com"],
        ),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            &["ghopper@contoso.onmicrosoft.com"],
        ),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department",
            &["Navy"],
        ),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/jobtitle",
            &["Rear Admiral"],
        ),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/employeeid",
            &["1906"],
        ),
    ])
}

#[test]
fn entra_preset_reads_claim_uris_and_group_object_ids() {
    let p = map(Preset::Entra, &entra_attrs());
    assert_eq!(p.email, "grace@contoso.com");
    assert_eq!(
        p.user_name.as_deref(),
        Some("ghopper@contoso.onmicrosoft.com")
    );
    assert_eq!(p.given_name.as_deref(), Some("Grace"));
    assert_eq!(p.family_name.as_deref(), Some("Hopper"));
    assert_eq!(p.display_name.as_deref(), Some("Grace Hopper"));
    assert_eq!(
        p.groups,
        [
            "07dd8a60-bf6d-4e17-8844-230b77145381",
            "5c2f0e1a-9b8d-4c7e-a6f5-1e2d3c4b5a69"
        ]
    );
    assert_eq!(p.department.as_deref(), Some("Navy"));
    assert_eq!(p.title.as_deref(), Some("Rear Admiral"));
    assert_eq!(p.employee_number.as_deref(), Some("1906"));
    assert_eq!(p.manager, None);
    let custom: Vec<&str> = p.custom.keys().map(String::as_str).collect();
    assert_eq!(
        custom,
        [
            "http://schemas.microsoft.com/claims/authnmethodsreferences",
            "http://schemas.microsoft.com/identity/claims/identityprovider",
            "http://schemas.microsoft.com/identity/claims/objectidentifier",
            "http://schemas.microsoft.com/identity/claims/tenantid",
        ]
    );
}

#[test]
fn claim_uris_compare_exactly() {
    let mut a = entra_attrs();
    let v = a
        .remove("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname")
        .unwrap();
    a.insert(
        "HTTP://SCHEMAS.XMLSOAP.ORG/ws/2005/05/identity/claims/GIVENNAME".into(),
        v,
    );
    let p = map(Preset::Entra, &a);
    assert_eq!(p.given_name, None);
    assert!(p
        .custom
        .contains_key("HTTP://SCHEMAS.XMLSOAP.ORG/ws/2005/05/identity/claims/GIVENNAME"));
}

#[test]
fn google_preset_reads_the_documented_app_attribute_names() {
    let a = attrs(&[
        ("email", &["linus@example.org"]),
        ("firstName", &["Linus"]),
        ("lastName", &["Torvalds"]),
        ("groups", &["kernel@example.org", "maintainers@example.org"]),
        ("department", &["Kernel"]),
        ("title", &["Maintainer"]),
        ("employeeId", &["1991"]),
        ("manager", &["andrew@example.org"]),
        ("costCenter", &["K-1"]),
    ]);
    let p = map_assertion(
        Preset::Google,
        &BTreeMap::new(),
        "linus@example.org",
        Some(NAMEID_EMAIL),
        &a,
    )
    .unwrap();
    assert_eq!(p.email_source, EmailSource::Attribute("email".into()));
    assert_eq!(p.display_name.as_deref(), Some("Linus Torvalds"));
    assert_eq!(p.groups, ["kernel@example.org", "maintainers@example.org"]);
    assert_eq!(p.employee_number.as_deref(), Some("1991"));
    assert_eq!(p.manager.as_deref(), Some("andrew@example.org"));
    assert_eq!(p.custom, attrs(&[("costCenter", &["K-1"])]));
}

#[test]
fn onelogin_preset_reads_user_parameters() {
    let a = attrs(&[
        ("User.email", &["margaret@example.net"]),
        ("User.FirstName", &["Margaret"]),
        ("User.LastName", &["Hamilton"]),
        ("memberOf", &["Apollo", "MIT"]),
        ("PersonImmutableID", &["12345678"]),
    ]);
    let p = map(Preset::OneLogin, &a);
    assert_eq!(p.email, "margaret@example.net");
    assert_eq!(p.given_name.as_deref(), Some("Margaret"));
    assert_eq!(p.family_name.as_deref(), Some("Hamilton"));
    assert_eq!(p.groups, ["Apollo", "MIT"]);
    assert_eq!(p.custom, attrs(&[("PersonImmutableID", &["12345678"])]));
    // Friendly names compare case-insensitively.
    let lower = attrs(&[
        ("user.EMAIL", &["m@example.net"]),
        ("user.firstname", &["M"]),
    ]);
    let p = map(Preset::OneLogin, &lower);
    assert_eq!(p.email, "m@example.net");
    assert_eq!(p.given_name.as_deref(), Some("M"));
    assert!(p.custom.is_empty());
}

#[test]
fn named_presets_do_not_read_other_presets_names() {
    // Okta names under the Entra preset: nothing but the NameID fallback applies.
    let err = map_assertion(
        Preset::Entra,
        &BTreeMap::new(),
        "00u1abcd",
        Some(PERSISTENT),
        &okta_attrs(),
    );
    assert_eq!(err, Err(MappingError::MissingEmail));
    let p = map(
        Preset::Okta,
        &entra_attrs().into_iter().chain(okta_attrs()).collect(),
    );
    assert_eq!(p.given_name.as_deref(), Some("Ada"));
    assert!(p
        .custom
        .contains_key("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"));
}

#[test]
fn default_preset_recognises_every_presets_names() {
    for a in [okta_attrs(), entra_attrs()] {
        let named = if a.contains_key("email") {
            map(Preset::Okta, &a)
        } else {
            map(Preset::Entra, &a)
        };
        let default = map(Preset::Default, &a);
        assert_eq!(default, named);
    }
    let onelogin = attrs(&[
        ("User.email", &["x@example.net"]),
        ("User.FirstName", &["X"]),
        ("User.LastName", &["Y"]),
        ("memberOf", &["G"]),
    ]);
    assert_eq!(
        map(Preset::Default, &onelogin),
        map(Preset::OneLogin, &onelogin)
    );
}

#[test]
fn default_preset_recognises_generic_and_oid_names() {
    let cases: &[(&str, Field)] = &[
        ("email", Field::Email),
        ("mail", Field::Email),
        ("emailAddress", Field::Email),
        ("EMAIL", Field::Email),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            Field::Email,
        ),
        ("urn:oid:0.9.2342.19200300.100.1.3", Field::Email),
        ("firstName", Field::GivenName),
        ("givenName", Field::GivenName),
        ("given_name", Field::GivenName),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
            Field::GivenName,
        ),
        ("urn:oid:2.5.4.42", Field::GivenName),
        ("lastName", Field::FamilyName),
        ("sn", Field::FamilyName),
        ("urn:oid:2.5.4.4", Field::FamilyName),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
            Field::FamilyName,
        ),
        ("displayName", Field::DisplayName),
        ("urn:oid:2.16.840.1.113730.3.1.241", Field::DisplayName),
        (
            "http://schemas.microsoft.com/identity/claims/displayname",
            Field::DisplayName,
        ),
        ("groups", Field::Groups),
        ("memberOf", Field::Groups),
        (
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
            Field::Groups,
        ),
        ("department", Field::Department),
        ("User.Department", Field::Department),
        ("title", Field::Title),
        ("jobTitle", Field::Title),
        (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/jobtitle",
            Field::Title,
        ),
        ("employeeNumber", Field::EmployeeNumber),
        ("employeeId", Field::EmployeeNumber),
        (
            "http://schemas.microsoft.com/identity/claims/employeeid",
            Field::EmployeeNumber,
        ),
        ("manager", Field::Manager),
        ("userName", Field::UserName),
        ("urn:oid:0.9.2342.19200300.100.1.1", Field::UserName),
    ];
    for (name, field) in cases {
        let value = if *field == Field::Email {
            "v@example.com"
        } else {
            "v"
        };
        let a = attrs(&[(name, &[value])]);
        let p =
            map_assertion(Preset::Default, &BTreeMap::new(), "n@example.com", None, &a).unwrap();
        assert_eq!(
            p.sources.get(field.key()).map(String::as_str),
            Some(*name),
            "{name}"
        );
        assert!(p.custom.is_empty(), "{name} should be consumed");
    }
}

#[test]
fn overrides_win_and_do_not_fall_back() {
    let a = attrs(&[
        ("email", &["preset@example.com"]),
        ("corpMail", &["override@example.com"]),
        ("firstName", &["Preset"]),
        ("preferredName", &["Override"]),
        ("dept", &["Ops"]),
    ]);
    let overrides: BTreeMap<String, String> = [
        ("email", "corpMail"),
        ("given_name", "preferredName"),
        ("department", "dept"),
        ("family_name", "notSent"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let p = map_assertion(Preset::Okta, &overrides, "x", Some(PERSISTENT), &a).unwrap();
    assert_eq!(p.email, "override@example.com");
    assert_eq!(p.given_name.as_deref(), Some("Override"));
    assert_eq!(p.department.as_deref(), Some("Ops"));
    assert_eq!(p.family_name, None);
    // What the overrides displaced is kept, not lost.
    assert_eq!(
        p.custom,
        attrs(&[
            ("email", &["preset@example.com"]),
            ("firstName", &["Preset"])
        ])
    );
    // An override naming a missing attribute does not fall back to the preset's.
    let only_email: BTreeMap<String, String> = [("email".to_owned(), "corpMail".to_owned())].into();
    let err = map_assertion(
        Preset::Okta,
        &only_email,
        "x",
        Some(PERSISTENT),
        &attrs(&[("email", &["a@example.com"])]),
    );
    assert_eq!(err, Err(MappingError::MissingEmail));
}

#[test]
fn email_is_trimmed_and_must_look_like_one() {
    let p = map(
        Preset::Okta,
        &attrs(&[("email", &["", "  Bob@Example.COM "])]),
    );
    assert_eq!(p.email, "Bob@Example.COM");
    assert_eq!(p.email_lower, "bob@example.com");
    for bad in [
        "bob",
        "bob@",
        "@example.com",
        "a@b@c.com",
        "bob smith@example.com",
        "bob@example..com",
    ] {
        let r = map_assertion(
            Preset::Okta,
            &BTreeMap::new(),
            "x",
            Some(PERSISTENT),
            &attrs(&[("email", &[bad])]),
        );
        assert_eq!(r, Err(MappingError::MissingEmail), "{bad}");
    }
    // The default preset moves on to the next name when one holds no email, and the
    // unusable attribute stays visible in custom.
    let p = map(
        Preset::Default,
        &attrs(&[("email", &["not an email"]), ("mail", &["ok@example.com"])]),
    );
    assert_eq!(p.email, "ok@example.com");
    assert_eq!(p.custom, attrs(&[("email", &["not an email"])]));
}

#[test]
fn email_falls_back_to_an_email_name_id() {
    let none = BTreeMap::new();
    let no = BTreeMap::new();
    for format in [Some(NAMEID_EMAIL), Some(NAMEID_UNSPECIFIED), None] {
        let p = map_assertion(Preset::Default, &no, " Eve@Example.com ", format, &none).unwrap();
        assert_eq!(p.email, "Eve@Example.com");
        assert_eq!(p.email_lower, "eve@example.com");
        assert_eq!(p.email_source, EmailSource::NameId);
    }
    // A persistent or transient NameID is never taken for an email, whatever it looks like.
    for format in [
        PERSISTENT,
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    ] {
        let r = map_assertion(Preset::Default, &no, "eve@example.com", Some(format), &none);
        assert_eq!(r, Err(MappingError::MissingEmail));
    }
    // An emailAddress-format NameID that is not an email is not used.
    let r = map_assertion(Preset::Default, &no, "eve", Some(NAMEID_EMAIL), &none);
    assert_eq!(r, Err(MappingError::MissingEmail));
    assert_eq!(MappingError::MissingEmail.kind(), "missing_email");
    // An email attribute wins over an email NameID.
    let p = map_assertion(
        Preset::Default,
        &no,
        "nameid@example.com",
        Some(NAMEID_EMAIL),
        &attrs(&[("mail", &["attr@example.com"])]),
    )
    .unwrap();
    assert_eq!(p.email, "attr@example.com");
}

#[test]
fn display_name_falls_back_to_given_and_family() {
    let p = map(
        Preset::Okta,
        &attrs(&[("email", &["a@x.io"]), ("firstName", &["Ada"])]),
    );
    assert_eq!(p.display_name.as_deref(), Some("Ada"));
    let p = map(
        Preset::Okta,
        &attrs(&[("email", &["a@x.io"]), ("lastName", &["L"])]),
    );
    assert_eq!(p.display_name.as_deref(), Some("L"));
    let p = map(
        Preset::Okta,
        &attrs(&[("email", &["a@x.io"]), ("firstName", &["  "])]),
    );
    assert_eq!(p.display_name, None);
    assert_eq!(p.given_name, None);
    let p = map(
        Preset::Okta,
        &attrs(&[
            ("email", &["a@x.io"]),
            ("displayName", &["Countess"]),
            ("firstName", &["Ada"]),
        ]),
    );
    assert_eq!(p.display_name.as_deref(), Some("Countess"));
}

#[test]
fn custom_keeps_unconsumed_attributes_verbatim() {
    let a = attrs(&[
        ("email", &["a@x.io"]),
        ("mail", &["second@x.io"]),
        ("Roles", &["  spaced  ", ""]),
        ("empty", &[]),
    ]);
    let p = map(Preset::Default, &a);
    assert_eq!(
        p.custom,
        attrs(&[
            ("Roles", &["  spaced  ", ""]),
            ("empty", &[]),
            ("mail", &["second@x.io"])
        ])
    );
}

#[test]
fn one_attribute_feeds_one_field() {
    // Okta `manager` carries an email; it must not also become the email.
    let a = attrs(&[("manager", &["boss@x.io"])]);
    let overrides: BTreeMap<String, String> = [("email".to_owned(), "manager".to_owned())].into();
    let p = map_assertion(Preset::Okta, &overrides, "x", Some(PERSISTENT), &a).unwrap();
    assert_eq!(p.email, "boss@x.io");
    assert_eq!(p.manager, None);
}

#[test]
fn mapped_json_lists_present_fields() {
    let p = map(
        Preset::Okta,
        &attrs(&[("email", &["A@x.io"]), ("firstName", &["Ada"])]),
    );
    assert_eq!(
        p.mapped_json(),
        serde_json::json!({
            "email": "A@x.io", "given_name": "Ada", "display_name": "Ada", "groups": [],
        })
    );
    let p = map(Preset::Okta, &okta_attrs());
    let j = p.mapped_json();
    assert_eq!(j["employee_number"], "E-1815");
    assert_eq!(j["groups"], serde_json::json!(["Engineering", "Everyone"]));
    assert!(j.get("user_name").is_none());
}
