//! Running the real `provisiond` binary as a child process, for CLI and signal tests.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_provisiond");

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `provisiond` command with a clean environment pointing at `database_url`, allowed
/// to deliver to receivers on 127.0.0.1. On PostgreSQL it gets the test secret key; on
/// SQLite none, so the binary generates its key file next to the database as a first
/// `cargo run` does.
pub fn command(database_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("PROVISIOND_LOG_LEVEL", "warn")
        .env(
            "PROVISIOND_OUTBOUND_ALLOWED_CIDRS",
            super::TEST_OUTBOUND_CIDRS,
        );
    if database_url.starts_with("postgres") {
        cmd.env("PROVISIOND_SECRET_KEY", super::SECRET_KEY);
    }
    cmd
}

pub struct ServerProcess {
    pub child: Child,
    pub port: u16,
}

impl ServerProcess {
    /// Starts `provisiond serve` and waits until `/healthz` answers.
    pub fn start(database_url: &str, admin_key: &str) -> ServerProcess {
        Self::start_with(database_url, admin_key, &[])
    }

    /// Like [`ServerProcess::start`], with extra environment variables.
    pub fn start_with(database_url: &str, admin_key: &str, env: &[(&str, &str)]) -> ServerProcess {
        let port = free_port();
        let child = command(database_url)
            .envs(env.iter().copied())
            .env("PROVISIOND_LISTEN", format!("127.0.0.1:{port}"))
            .env("PROVISIOND_BOOTSTRAP_ADMIN_KEY", admin_key)
            .env("PROVISIOND_SHUTDOWN_TIMEOUT_SECS", "20")
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = ServerProcess { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if client
                .get(server.url("/healthz"))
                .send()
                .is_ok_and(|r| r.status() == 200)
            {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("provisiond did not become healthy");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Sends SIGTERM to this child (by its PID) and waits for it to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "provisiond did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl ServerProcess {
    /// Kills this child (by its PID) with SIGKILL: a crash, no graceful shutdown.
    pub fn crash(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
