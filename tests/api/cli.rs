//! The command line: `migrate` applies migrations once; `admin-key create` prints a key
//! that the server then accepts; a bad setting exits with a message naming it.

use crate::support::pg;
use crate::support::process::{command, ServerProcess};

fn migrate_and_admin_key(database_url: &str) {
    let out = command(database_url).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Any number of migrations on a fresh database (each feature adds its own), then none.
    let first = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        first.contains("applied ") && !first.contains("applied 0 migration(s)"),
        "{first}"
    );
    let out = command(database_url).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied 0 migration(s)"));

    let out = command(database_url)
        .args(["admin-key", "create", "--name", "ops"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(key.starts_with("pvd_admin_"), "{key}");

    let server = ServerProcess::start(database_url, "bootstrap-key-for-cli-test-0123456789");
    let client = reqwest::blocking::Client::new();
    let res = client
        .get(server.url("/admin/v1/api-keys"))
        .bearer_auth(&key)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client.get(server.url("/readyz")).send().unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn migrate_and_admin_key_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    migrate_and_admin_key(&dir.path().join("p.db").to_string_lossy());
}

#[test]
#[cfg_attr(not(provisiond_test_pg), ignore = "needs PROVISIOND_TEST_DATABASE_URL")]
fn migrate_and_admin_key_postgres() {
    let server = crate::support::require_postgres_url();
    let db = pg::TestDatabase::create(&server);
    migrate_and_admin_key(&db.url);
    db.drop_database();
}

#[test]
fn bad_settings_exit_with_a_message() {
    let out = command("x.db")
        .env("PROVISIOND_LISTEN", "nowhere")
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen"));
}

#[test]
fn first_start_prints_a_bootstrap_key_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("p.db").to_string_lossy().into_owned();
    let port = crate::support::process::free_port();
    /// Kills the server when the test ends, even when an assertion fails first.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = KillOnDrop(
        command(&url)
            .env("PROVISIOND_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = std::io::BufReader::new(child.0.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        lines.push(line.trim().to_owned());
    }
    let key = lines[1].clone();
    assert!(key.starts_with("pvd_admin_"), "{lines:?}");
    let client = reqwest::blocking::Client::new();
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    // The key is printed before the listener binds; wait (bounded) until it answers.
    for _ in 0..300 {
        if client.get(url("/healthz")).send().is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let res = client
        .get(url("/admin/v1/api-keys"))
        .bearer_auth(&key)
        .send()
        .unwrap();
    assert_eq!(res.status(), 200);
    drop(child);
}

/// `--help` shows each option's environment variable and default, and the defaults are
/// the ones the configuration really uses.
#[test]
fn help_shows_defaults_and_environment_variables() {
    let out = command("x.db").arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let defaults = provisiond::config::Config::default();
    for (flag, env, default) in [
        ("--listen", "PROVISIOND_LISTEN", defaults.listen.as_str()),
        (
            "--database-url",
            "PROVISIOND_DATABASE_URL",
            defaults.database_url.as_str(),
        ),
        (
            "--public-url",
            "PROVISIOND_PUBLIC_URL",
            defaults.public_url.as_str(),
        ),
    ] {
        let block = option_block(&help, flag);
        assert!(block.contains(&format!("[env: {env}")), "{flag}: {block}");
        assert!(
            block.contains(&format!("[default: {default}]")),
            "{flag}: {block}"
        );
    }
    assert!(help.contains("[env: PROVISIOND_CONFIG"), "{help}");
    // A database URL may carry a password: --help never prints the variable's value.
    let out = command("x.db")
        .env("PROVISIOND_DATABASE_URL", "postgres://u:hunter2secret@db/p")
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(!help.contains("hunter2secret"), "{help}");
}

/// The help text of one option: its line and the lines up to the next option.
fn option_block(help: &str, flag: &str) -> String {
    let mut block = String::new();
    for line in help.lines() {
        let t = line.trim_start();
        if t.starts_with('-') {
            if !block.is_empty() {
                break;
            }
            if t.starts_with(&format!("{flag} ")) {
                block.push_str(t);
            }
        } else if !block.is_empty() {
            block.push(' ');
            block.push_str(t);
        }
    }
    assert!(!block.is_empty(), "{flag} not in --help:\n{help}");
    block
}

/// The defaults `--help` shows are not flags: a config file still overrides them, and a
/// flag typed on the command line still overrides the file.
#[test]
fn help_defaults_do_not_override_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, "listen = \"not-an-address\"\n").unwrap();
    let db = dir.path().join("p.db").to_string_lossy().into_owned();
    let out = command(&db)
        .args(["--config", file.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the file's listen must be read");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not-an-address"));
    let out = command(&db)
        .args([
            "--config",
            file.to_str().unwrap(),
            "migrate",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
