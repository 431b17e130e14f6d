//! The SQL translation of filters agrees with the in-memory evaluator
//! (`scim::filter::matches`) on every generated filter, on both backends: the database
//! returns exactly the users whose GET representation the evaluator accepts.

use std::collections::BTreeSet;

use provisiond::scim::filter::{matches, parse_filter};
use provisiond::scim::schema::ResourceType;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::scim_support::{directory, Scim};

fn seed(scim: &Scim<'_>) {
    let users = [
        json!({"userName": "Alpha@Example.com", "displayName": "Alpha One", "title": "Engineer", "nickName": "", "active": true,
               "emails": [{"value": "alpha@example.com", "type": "work", "primary": true}, {"value": "a1@home.org", "type": "home"}],
               "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "employeeNumber": "100"}}),
        json!({"userName": "beta@example.com", "externalId": "EXT-b", "title": "engineering lead", "active": false,
               "emails": [{"value": "BETA@example.com", "type": "home"}],
               "name": {"givenName": "Beta", "familyName": "Zed"}}),
        json!({"userName": "gamma@other.net", "externalId": "ext-g", "displayName": "gamma", "active": true,
               "addresses": [{"type": "work", "locality": "Paris", "country": "FR"}],
               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "manager": {"value": "boss"}}}),
        json!({"userName": "delta@example.com", "active": true}),
    ];
    for u in users {
        let res = scim.post("/Users", &u);
        assert_eq!(res.status(), 201, "{u}");
    }
}

fn ids(list: &Value) -> BTreeSet<String> {
    list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

fn filters() -> Vec<String> {
    let attrs = [
        (
            "userName",
            vec!["alpha@example.com", "EXAMPLE", "beta", ".net", "m"],
        ),
        ("externalId", vec!["EXT-b", "ext-b", "ext"]),
        ("displayName", vec!["alpha one", "GAMMA", "a"]),
        ("title", vec!["engineer", "Eng", "lead"]),
        ("nickName", vec![""]),
        (
            "emails.value",
            vec!["beta@example.com", "home", "@example.com"],
        ),
        ("emails.type", vec!["work", "home"]),
        ("phoneNumbers.value", vec!["555", "+1 555 0100"]),
        ("name.givenName", vec!["beta", "B"]),
        ("addresses.locality", vec!["paris"]),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            vec!["r&d", "Sales", "s"],
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            vec!["boss"],
        ),
    ];
    let ops = ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"];
    let mut out = Vec::new();
    for (attr, values) in &attrs {
        out.push(format!("{attr} pr"));
        out.push(format!("not ({attr} pr)"));
        for v in values {
            for op in ops {
                out.push(format!("{attr} {op} \"{v}\""));
            }
        }
    }
    for b in ["true", "false"] {
        out.push(format!("active eq {b}"));
        out.push(format!("active ne {b}"));
    }
    out.extend(
        [
            r#"emails[type eq "work" and value co "alpha"]"#,
            r#"emails[type eq "home"] and active eq false"#,
            r#"not (emails[type eq "home"])"#,
            r#"userName sw "a" or title co "LEAD""#,
            r#"(userName ew ".com" and not (externalId pr)) or displayName eq "gamma""#,
            r#"addresses[country eq "FR" and locality sw "Pa"]"#,
            r#"phoneNumbers[type eq "work"] or name.familyName eq "zed""#,
            r#"not (title co "eng") and not (active eq false)"#,
            r#"externalId eq null"#,
            r#"title ne null"#,
        ]
        .map(str::to_owned),
    );
    out
}

backend_tests! {
    fn sql_filters_agree_with_the_evaluator(app) {
        let scim = directory(&app, "acme");
        seed(&scim);
        let all = scim.get_ok("/Users?count=200");
        let users = all["Resources"].as_array().unwrap().clone();
        assert_eq!(users.len(), 4);
        let mut checked = 0;
        for f in filters() {
            let Ok(parsed) = parse_filter(ResourceType::User, &f) else { continue };
            let expected: BTreeSet<String> = users
                .iter()
                .filter(|u| matches(&parsed, u))
                .map(|u| u["id"].as_str().unwrap().to_owned())
                .collect();
            let q: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("filter", &f).append_pair("count", "200").finish();
            let res = scim.get(&format!("/Users?{q}"));
            assert_eq!(res.status(), 200, "{f}: {}", res.text().unwrap());
            let got = ids(&res.json().unwrap());
            assert_eq!(got, expected, "filter {f}");
            checked += 1;
        }
        assert!(checked > 250, "{checked}");
    }
    fn group_filters_agree_with_the_evaluator(app) {
        let scim = directory(&app, "acme");
        let a = scim.create_user("a@x.test")["id"].as_str().unwrap().to_owned();
        let b = scim.create_user("b@x.test")["id"].as_str().unwrap().to_owned();
        for (name, ext, members) in [("Admins", Some("E-1"), vec![a.clone()]), ("admins-eu", None, vec![a.clone(), b.clone()]), ("Sales", Some("e-2"), vec![])] {
            let mut body = json!({"displayName": name, "members": members.iter().map(|m| json!({"value": m})).collect::<Vec<_>>()});
            if let Some(e) = ext { body["externalId"] = json!(e); }
            assert_eq!(scim.post("/Groups", &body).status(), 201);
        }
        let groups = scim.get_ok("/Groups?count=200")["Resources"].as_array().unwrap().clone();
        let mut filters: Vec<String> = Vec::new();
        for (attr, values) in [("displayName", vec!["admins", "ADMINS-EU", "s", "eu"]), ("externalId", vec!["E-1", "e-1", "e"]), ("members.value", vec![a.as_str(), b.as_str()])] {
            filters.push(format!("{attr} pr"));
            for v in values {
                for op in ["eq", "ne", "co", "sw", "ew", "gt", "le"] {
                    filters.push(format!("{attr} {op} \"{v}\""));
                }
            }
        }
        filters.push(format!("members[value eq \"{b}\"] or displayName eq \"sales\""));
        filters.push(format!("not (members[value eq \"{a}\"])"));
        for f in filters {
            let parsed = parse_filter(ResourceType::Group, &f).unwrap();
            let expected: BTreeSet<String> = groups.iter().filter(|g| matches(&parsed, g)).map(|g| g["id"].as_str().unwrap().to_owned()).collect();
            let q: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("filter", &f).finish();
            let got = ids(&scim.get_ok(&format!("/Groups?{q}")));
            assert_eq!(got, expected, "filter {f}");
        }
    }
}
