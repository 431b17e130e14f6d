//! Linking cannot be hijacked (issue 12, point 4), over HTTP with responses the test IdP
//! signs: a NameID whose user was deprovisioned is never moved onto a live user who has
//! another NameID on the connection; the unique index behind the rule (one SAML identity
//! per user per connection) and the migration that creates it; profile sync writes an
//! email only on a domain verified for the organization (or the invitee's own address).

use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use provisiond::db::schema::identities;
use provisiond::db::{Backend as DbBackend, Database, DbConn};
use provisiond::store::users::{insert_identity, NewIdentity};
use provisiond::store::StoreError;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::scim_support::directory;
use crate::sso_support::{setup, Sso};
use crate::support::idp::Login;
use crate::support::TestApp;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// The migration that adds the index (and the browser binding column), as diesel names
/// its version (the directory's date and number without dashes).
const MIGRATION: &str = "20261207000001";

fn plain<'a>(app: &'a TestApp, slug: &str) -> Sso<'a> {
    setup(app, slug, json!({}), &[], json!({}))
}

fn deprovision(sso: &Sso<'_>, user_id: &str) {
    let res = sso
        .app
        .client
        .post(sso.app.url(&format!("/api/v1/users/{user_id}/deprovision")))
        .bearer_auth(&sso.app_key)
        .json(&json!({}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().unwrap());
}

/// The SAML NameIDs linked to `user_id` on the connection, sorted.
fn name_ids(app: &TestApp, connection_id: &str, user_id: &str) -> Vec<String> {
    let db = Database::connect(&app.database_url, 1).unwrap();
    let mut conn = db.get().unwrap();
    identities::table
        .filter(identities::source_id.eq(connection_id))
        .filter(identities::user_id.eq(user_id))
        .select(identities::external_id)
        .order(identities::external_id.asc())
        .load::<String>(&mut *conn)
        .unwrap()
}

fn user_id(profile: &Value) -> String {
    profile["user"]["id"].as_str().unwrap().to_owned()
}

backend_tests! {
    fn a_deprovisioned_users_name_id_is_never_moved_onto_another_linked_user(app) {
        let sso = plain(&app, "acme");
        let ann = user_id(&sso.login(&sso.person("ann")));
        let ben = user_id(&sso.login(&sso.person("ben")));
        deprovision(&sso, &ann);

        // Ann's IdP account, still alive at the IdP, now asserts Ben's email (an attribute
        // its holder can edit at some IdPs). Ann's record is gone, the email finds Ben, and
        // Ben already has his own NameID here: refused, not moved.
        let hijack = Login::new("nid-ann", &sso.email("ben"));
        assert_eq!(sso.post(&hijack).error(), "identity_conflict");
        assert_eq!(name_ids(&app, &sso.connection_id, &ben), vec!["nid-ben"]);
        assert_eq!(name_ids(&app, &sso.connection_id, &ann), vec!["nid-ann"], "left where it was");
        let failed = sso.events("sso.failed");
        assert_eq!(failed.last().unwrap()["data"]["reason"], "identity_conflict");
        // Still refused on a second try, and Ben signs in as before.
        assert_eq!(sso.post(&hijack).error(), "identity_conflict");
        assert_eq!(user_id(&sso.login(&sso.person("ben"))), ben);

        // The takeover the rule keeps: a person SCIM deprovisioned and created again (a new
        // live record with no NameID) still signs in with their old NameID.
        let scim = directory(&app, "acme");
        let first = scim.create_user(&sso.email("cara"));
        let first_id = first["id"].as_str().unwrap().to_owned();
        assert_eq!(user_id(&sso.login(&sso.person("cara"))), first_id);
        assert_eq!(scim.delete(&format!("/Users/{first_id}")).status(), 204);
        let again = scim.create_user(&sso.email("cara"));
        let again_id = again["id"].as_str().unwrap().to_owned();
        assert_eq!(user_id(&sso.login(&sso.person("cara"))), again_id);
        assert_eq!(name_ids(&app, &sso.connection_id, &again_id), vec!["nid-cara"]);
    }

    fn the_schema_holds_one_saml_identity_per_user_and_connection(app) {
        let sso = plain(&app, "acme");
        let ben = user_id(&sso.login(&sso.person("ben")));
        let db = Database::connect(&app.database_url, 1).unwrap();
        let mut conn = db.get().unwrap();
        let conn: &mut DbConn = &mut conn;
        let now = chrono::Utc::now().naive_utc();
        let identity = |id: &'static str, kind: &'static str, source: &str, ext: &'static str| {
            (id, kind, source.to_owned(), ext, now)
        };
        let mut insert = |(id, kind, source, ext, at): (&str, &str, String, &str, _)| {
            insert_identity(conn, &NewIdentity {
                id,
                user_id: &ben,
                organization_id: &sso.org_id,
                source_kind: kind.parse().unwrap(),
                source_id: &source,
                external_id: ext,
                created_at: at,
            })
        };
        let second = insert(identity("i-2", "saml", &sso.connection_id, "nid-other"));
        assert!(matches!(second, Err(StoreError::UniqueViolation(_))), "{second:?}");
        // Another connection, or a SCIM directory, is another source.
        insert(identity("i-3", "saml", "another-connection", "nid-other")).unwrap();
        insert(identity("i-4", "scim", &sso.connection_id, "ext-1")).unwrap();
    }

    fn the_migration_resolves_name_ids_moved_onto_a_linked_user(app) {
        let sso = plain(&app, "acme");
        let ann = user_id(&sso.login(&sso.person("ann")));
        let ben = user_id(&sso.login(&sso.person("ben")));
        deprovision(&sso, &ann);

        let db = Database::connect(&app.database_url, 1).unwrap();
        let migrations = || match db.backend() {
            DbBackend::Sqlite => SQLITE,
            DbBackend::Postgres => POSTGRES,
        };
        let mut pooled = db.get().unwrap();
        let conn: &mut DbConn = &mut pooled;
        // Back to the schema before the index (later migrations, if any, go too).
        loop {
            let reverted = conn.revert_last_migration(migrations()).unwrap();
            if reverted.to_string().replace('-', "").starts_with(MIGRATION) {
                break;
            }
        }
        // What the old takeover left behind: Ann's NameID moved onto Ben, who keeps his.
        diesel::update(identities::table.filter(identities::external_id.eq("nid-ann")))
            .set(identities::user_id.eq(&ben))
            .execute(conn)
            .unwrap();
        assert_eq!(name_ids(&app, &sso.connection_id, &ben), vec!["nid-ann", "nid-ben"]);

        conn.run_pending_migrations(migrations()).unwrap();
        // Ben keeps the NameID linked to him (his identity.linked event), the moved one goes.
        assert_eq!(name_ids(&app, &sso.connection_id, &ben), vec!["nid-ben"]);
        drop(pooled);
        assert_eq!(sso.post(&Login::new("nid-ann", &sso.email("ben"))).error(), "identity_conflict");
        assert_eq!(user_id(&sso.login(&sso.person("ben"))), ben);
    }

    fn login_sync_sets_an_email_only_on_a_verified_domain_of_the_organization(app) {
        let sso = plain(&app, "acme");
        let ann = sso.login(&sso.person("ann"));
        let own = sso.email("ann");
        // Another organization's verified domain, and a domain nobody verified.
        plain(&app, "beta");
        for elsewhere in ["ann@beta.example", "ann@unverified.example"] {
            let p = sso.login(&sso.person("ann").attr("email", &[elsewhere]).attr("lastName", &["New"]));
            assert_eq!(p["user"]["id"], ann["user"]["id"]);
            assert_eq!(p["user"]["email"], own.as_str(), "{elsewhere} not synced");
            assert_eq!(p["user"]["family_name"], "New", "the other fields still are");
        }
        assert!(sso.events("user.updated").iter().all(|e| !e["data"]["changed"].as_array().unwrap().contains(&json!("email"))));
        // The email linking step does not find Ann under the address that was refused.
        assert_eq!(sso.post(&Login::new("nid-x", "ann@unverified.example")).error(), "domain_not_verified");

        // A second verified domain of the organization: synced.
        let res = app.admin_post("/admin/v1/organizations/acme/domains", json!({"domain": "acme-two.example", "verified": true}));
        assert_eq!(res.status(), 201);
        let p = sso.login(&sso.person("ann").attr("email", &["ann@acme-two.example"]));
        assert_eq!(p["user"]["email"], "ann@acme-two.example");

        // An invitee on an unverified domain keeps the address the admin invited, and
        // cannot move to another unverified one.
        let res = app.admin_post("/admin/v1/organizations/acme/invitations", json!({"email": "cory@outside.example"}));
        assert_eq!(res.status(), 201);
        let cory = sso.login(&Login::new("nid-cory", "Cory@Outside.example"));
        assert_eq!(cory["user"]["provisioned_by"], "invite");
        assert_eq!(cory["user"]["email"].as_str().unwrap().to_lowercase(), "cory@outside.example");
        let p = sso.login(&Login::new("nid-cory", "cory@elsewhere.example"));
        assert_eq!(p["user"]["id"], cory["user"]["id"]);
        assert_eq!(p["user"]["email"].as_str().unwrap().to_lowercase(), "cory@outside.example");
    }
}
