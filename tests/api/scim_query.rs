//! SCIM list queries over HTTP: the filter grammar translated to SQL, sorting, paging
//! (count=0, the enforced maximum), attributes/excludedAttributes and POST /.search.

use serde_json::{json, Value};

use crate::backend_tests;
use crate::scim_support::{assert_scim_error, directory, Scim};

fn seed(scim: &Scim<'_>) -> Vec<String> {
    let people = [
        (
            "alice@acme.test",
            "Alice",
            "Engineering",
            "work",
            true,
            "555-0100",
        ),
        ("bob@acme.test", "Bob", "Sales", "home", true, "555-0200"),
        (
            "carol@globex.test",
            "Carol",
            "Engineering",
            "work",
            false,
            "555-0300",
        ),
    ];
    people
        .iter()
        .map(|(u, given, dept, etype, active, phone)| {
            let res = scim.post("/Users", &json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "userName": u,
                "externalId": format!("ext-{given}"),
                "displayName": format!("{given} Example"),
                "name": {"givenName": given, "familyName": "Example"},
                "title": format!("{given}'s title"),
                "active": active,
                "emails": [{"value": u.to_uppercase(), "type": etype, "primary": true}],
                "phoneNumbers": [{"value": phone, "type": "work"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": dept, "manager": {"value": "m-1"}},
            }));
            assert_eq!(res.status(), 201);
            res.json::<Value>().unwrap()["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

fn names(scim: &Scim<'_>, filter: &str) -> Vec<String> {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", filter)
        .append_pair("sortBy", "userName")
        .finish();
    let list = scim.get_ok(&format!("/Users?{q}"));
    let items = list["Resources"].as_array().unwrap();
    assert_eq!(list["totalResults"].as_u64().unwrap() as usize, items.len());
    items
        .iter()
        .map(|u| {
            u["userName"]
                .as_str()
                .unwrap()
                .split('@')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect()
}

backend_tests! {
    fn filter_grammar(app) {
        let scim = directory(&app, "acme");
        let ids = seed(&scim);
        let cases: Vec<(&str, Vec<&str>)> = vec![
            (r#"userName eq "ALICE@acme.test""#, vec!["alice"]),
            (r#"userName ne "alice@acme.test""#, vec!["bob", "carol"]),
            (r#"userName co "ACME""#, vec!["alice", "bob"]),
            (r#"userName sw "b""#, vec!["bob"]),
            (r#"userName ew ".test""#, vec!["alice", "bob", "carol"]),
            (r#"userName gt "b""#, vec!["bob", "carol"]),
            (r#"userName le "bob@acme.test""#, vec!["alice", "bob"]),
            (r#"externalId eq "ext-Bob""#, vec!["bob"]),
            (r#"externalId eq "ext-bob""#, vec![]),
            (r#"emails.value eq "alice@acme.test""#, vec!["alice"]),
            (r#"emails[type eq "work" and value co "@globex"]"#, vec!["carol"]),
            (r#"emails[type eq "work"]"#, vec!["alice", "carol"]),
            (r#"emails co "bob@""#, vec!["bob"]),
            (r#"active eq true"#, vec!["alice", "bob"]),
            (r#"active eq false"#, vec!["carol"]),
            (r#"displayName eq "carol example""#, vec!["carol"]),
            (r#"name.givenName eq "alice""#, vec!["alice"]),
            (r#"title co "bob's""#, vec!["bob"]),
            (r#"phoneNumbers[type eq "work" and value ew "0200"]"#, vec!["bob"]),
            (r#"phoneNumbers.value sw "555-03""#, vec!["carol"]),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engineering""#, vec!["alice", "carol"]),
            (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1""#, vec!["alice", "bob", "carol"]),
            (r#"not (userName eq "alice@acme.test") and active eq true"#, vec!["bob"]),
            (r#"(userName sw "a" or userName sw "c") and not (title pr)"#, vec![]),
            (r#"userName sw "a" or (userName sw "c" and active eq false)"#, vec!["alice", "carol"]),
            (r#"nickName pr"#, vec![]),
            (r#"not (nickName pr)"#, vec!["alice", "bob", "carol"]),
            (r#"meta.created gt "2000-01-01T00:00:00Z""#, vec!["alice", "bob", "carol"]),
            (r#"meta.lastModified lt "2000-01-01T00:00:00Z""#, vec![]),
            (r#"meta.resourceType eq "User""#, vec!["alice", "bob", "carol"]),
        ];
        for (filter, want) in cases {
            assert_eq!(names(&scim, filter), want, "{filter}");
        }
        let q = format!("/Users?filter=id+eq+%22{}%22", ids[1]);
        assert_eq!(scim.get_ok(&q)["Resources"][0]["userName"], "bob@acme.test");
        assert_scim_error(scim.get("/Users?filter=meta.created+gt+%22yesterday%22"), 400, Some("invalidFilter"));
        assert_scim_error(scim.get("/Users?filter=active+gt+true"), 400, Some("invalidFilter"));
    }

    fn sorting_and_paging(app) {
        let scim = directory(&app, "acme");
        seed(&scim);
        let list = scim.get_ok("/Users?sortBy=userName&sortOrder=descending");
        let order: Vec<&str> = list["Resources"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap()).collect();
        assert_eq!(order, vec!["carol@globex.test", "bob@acme.test", "alice@acme.test"]);
        let page = scim.get_ok("/Users?sortBy=userName&startIndex=2&count=1");
        assert_eq!(page["totalResults"], 3);
        assert_eq!(page["itemsPerPage"], 1);
        assert_eq!(page["startIndex"], 2);
        assert_eq!(page["Resources"][0]["userName"], "bob@acme.test");
        let zero = scim.get_ok("/Users?count=0");
        assert_eq!(zero["totalResults"], 3);
        assert_eq!(zero["Resources"], json!([]));
        let beyond = scim.get_ok("/Users?startIndex=10");
        assert_eq!(beyond["totalResults"], 3);
        assert_eq!(beyond["itemsPerPage"], 0);
        let by_title = scim.get_ok("/Users?sortBy=title&sortOrder=descending");
        assert_eq!(by_title["Resources"][0]["userName"], "carol@globex.test");
        assert_scim_error(scim.get("/Users?sortBy=nosuch"), 400, Some("invalidValue"));
        assert_scim_error(scim.get("/Users?count=abc"), 400, Some("invalidValue"));
        // The advertised maximum page size is enforced.
        let max = scim.get_ok("/ServiceProviderConfig")["filter"]["maxResults"].as_u64().unwrap();
        for i in 0..(max + 5) {
            scim.post("/Users", &json!({"userName": format!("bulk{i}@acme.test")}));
        }
        let big = scim.get_ok(&format!("/Users?count={}", max + 100));
        assert_eq!(big["itemsPerPage"].as_u64().unwrap(), max);
        assert_eq!(big["totalResults"].as_u64().unwrap(), max + 8);
    }

    fn projection_and_search(app) {
        let scim = directory(&app, "acme");
        let ids = seed(&scim);
        let u = scim.get_ok(&format!("/Users/{}?attributes=userName,emails.value", ids[0]));
        assert_eq!(u["userName"], "alice@acme.test");
        assert!(u.get("title").is_none());
        assert!(u["emails"][0].get("type").is_none());
        assert!(u.get("id").is_some() && u.get("schemas").is_some());
        let u = scim.get_ok(&format!("/Users/{}?excludedAttributes=emails,name", ids[0]));
        assert!(u.get("emails").is_none() && u.get("name").is_none());
        assert!(u.get("title").is_some());

        let res = scim.post("/Users/.search", &json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "attributes": ["userName"],
            "filter": "active eq true",
            "sortBy": "userName",
            "sortOrder": "descending",
            "startIndex": 1,
            "count": 10
        }));
        assert_eq!(res.status(), 200);
        let list: Value = res.json().unwrap();
        assert_eq!(list["totalResults"], 2);
        assert_eq!(list["Resources"][0]["userName"], "bob@acme.test");
        assert!(list["Resources"][0].get("emails").is_none());
        let res = scim.post("/Users/.search", &json!({"filter": "userName eq \"x\""}));
        assert_scim_error(res, 400, Some("invalidSyntax"));
    }

    fn jit_style_user_is_found_and_adopted(app) {
        // A user row without SCIM attributes (as JIT creates them) is a member of /Users.
        let scim = directory(&app, "acme");
        let u = scim.create_user("jit@acme.test");
        let id = u["id"].as_str().unwrap();
        let list = scim.get_ok("/Users?filter=userName+eq+%22JIT%40acme.test%22");
        assert_eq!(list["totalResults"], 1);
        let res = scim.put(&format!("/Users/{id}"), &json!({"userName": "jit@acme.test", "externalId": "okta-123", "active": true}));
        assert_eq!(res.status(), 200);
        assert_eq!(scim.get_ok("/Users?filter=externalId+eq+%22okta-123%22")["totalResults"], 1);
        let linked: Vec<Value> = app.events().into_iter().filter(|e| e["type"] == "identity.linked").collect();
        assert_eq!(linked.len(), 1);
        assert_eq!(linked[0]["data"]["identity"]["external_id"], "okta-123");
    }
}
