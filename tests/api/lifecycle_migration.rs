//! Migration 000008 (lifecycle) is reversible on both backends: revert it, the columns
//! go; apply it again, the lifecycle API works.

use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use provisiond::db::schema::users;
use provisiond::db::{Backend as DbBackend, Database, DbConn};
use serde_json::json;

use crate::backend_tests;
use crate::lifecycle_support::api;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

fn has_event_seq(conn: &mut DbConn) -> bool {
    users::table
        .select(users::event_seq)
        .first::<i64>(conn)
        .optional()
        .is_ok()
}

backend_tests! {
    fn the_lifecycle_migration_reverts_and_reapplies(app) {
        let db = Database::connect(&app.database_url, 1).unwrap();
        let migrations = || match db.backend() {
            DbBackend::Sqlite => SQLITE,
            DbBackend::Postgres => POSTGRES,
        };
        let mut pooled = db.get().unwrap();
        let conn: &mut DbConn = &mut pooled;
        assert!(has_event_seq(conn));
        // Later migrations are reverted first, newest first, down to 000008.
        loop {
            let reverted = conn.revert_last_migration(migrations()).unwrap().to_string();
            let version: String = reverted.chars().filter(char::is_ascii_digit).collect();
            if version == "20261122000008" {
                break;
            }
            assert!(version.as_str() > "20261122000008", "{reverted}");
        }
        assert!(!has_event_seq(conn), "down.sql drops the columns");
        conn.run_pending_migrations(migrations()).unwrap();
        assert!(has_event_seq(conn));
        drop(pooled);

        // The server still works on the re-applied schema.
        let api = api(&app);
        let org = app.create_org("acme");
        assert_eq!(api.get_ok(&format!("/organizations/{}/users", org["id"].as_str().unwrap()))["data"], json!([]));
    }
}
