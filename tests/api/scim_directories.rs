//! SCIM directories and tokens: creation (token shown once), listing with last-used
//! times, rotation (both tokens valid), revocation, and bearer authentication.

use reqwest::Method;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::scim_support::{assert_scim_error, directory};

backend_tests! {
    fn directory_tokens_rotate_and_revoke(app) {
        let scim = directory(&app, "acme");
        let dir = &scim.directory;
        assert!(dir["base_url"].as_str().unwrap().ends_with("/scim/v2"));
        assert!(scim.token.len() > 40);
        let id = dir["id"].as_str().unwrap();

        // The token works and its use is recorded.
        assert_eq!(scim.get("/Users").status(), 200);
        let shown = app.admin_get(&format!("/admin/v1/organizations/acme/scim-directories/{id}"));
        assert!(shown.to_string().find(&scim.token).is_none(), "token must never be shown again");
        assert!(shown["tokens"][0]["last_used_at"].is_string());
        let listed = app.admin_get("/admin/v1/organizations/acme/scim-directories");
        assert_eq!(listed["data"].as_array().unwrap().len(), 1);

        // Rotate: both old and new tokens work until the old one is revoked.
        let res = app.admin_post(&format!("/admin/v1/organizations/acme/scim-directories/{id}/tokens"), json!({}));
        assert_eq!(res.status(), 201);
        let new_token = res.json::<Value>().unwrap()["token"].as_str().unwrap().to_owned();
        let bearer = |t: &str| app.client.get(app.url("/scim/v2/Users")).bearer_auth(t).send().unwrap().status();
        assert_eq!(bearer(&scim.token), 200);
        assert_eq!(bearer(&new_token), 200);

        let old_id = dir["token_id"].as_str().unwrap();
        let res = app.admin(Method::DELETE, &format!("/admin/v1/organizations/acme/scim-directories/{id}/tokens/{old_id}")).send().unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(bearer(&scim.token), 401);
        assert_eq!(bearer(&new_token), 200);
        // Revoking again: gone.
        let res = app.admin(Method::DELETE, &format!("/admin/v1/organizations/acme/scim-directories/{id}/tokens/{old_id}")).send().unwrap();
        assert_eq!(res.status(), 404);
    }

    fn scim_requires_a_valid_token(app) {
        let _scim = directory(&app, "acme");
        let res = app.client.get(app.url("/scim/v2/Users")).send().unwrap();
        assert!(res.headers().get("www-authenticate").is_some());
        assert_scim_error(res, 401, None);
        let res = app.client.get(app.url("/scim/v2/Users")).bearer_auth("pvd_scim_nope").send().unwrap();
        assert_scim_error(res, 401, None);
        // An admin key is not a SCIM token.
        let res = app.client.get(app.url("/scim/v2/Users")).bearer_auth(crate::support::ADMIN_KEY).send().unwrap();
        assert_scim_error(res, 401, None);
    }

    fn directories_of_another_org_are_unreachable(app) {
        let scim = directory(&app, "acme");
        app.create_org("globex");
        let id = scim.directory["id"].as_str().unwrap();
        let res = app.admin(Method::GET, &format!("/admin/v1/organizations/globex/scim-directories/{id}")).send().unwrap();
        assert_eq!(res.status(), 404);
        let res = app.admin_post(&format!("/admin/v1/organizations/globex/scim-directories/{id}/tokens"), json!({}));
        assert_eq!(res.status(), 404);
    }
}
