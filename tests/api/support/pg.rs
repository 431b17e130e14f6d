//! A PostgreSQL database per test: created on the configured server, dropped afterwards.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

pub struct TestDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl TestDatabase {
    pub fn create(server_url: &str) -> TestDatabase {
        let name = format!("provisiond_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn =
            PgConnection::establish(server_url).expect("connect to PROVISIOND_TEST_DATABASE_URL");
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = replace_database(server_url, &name);
        TestDatabase {
            url,
            admin_url: server_url.to_owned(),
            name,
        }
    }

    pub fn drop_database(self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Swaps the database name in a `postgres://…/db?params` URL.
fn replace_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}
