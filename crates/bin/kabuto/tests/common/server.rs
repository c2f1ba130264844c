//! A running `kabuto server` (the real binary on a loopback port) for end-to-end tests.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery staple";

/// The first stderr line starting with `prefix`, minus the prefix; the rest of stderr is
/// drained in the background so the process never blocks on a full pipe.
pub fn wait_for_line(child: &mut Child, prefix: &str) -> String {
    lines_until(child, prefix).1
}

/// The stderr lines before the first one starting with `prefix`, and that one minus the
/// prefix; the rest is drained as in [`wait_for_line`].
pub fn lines_until(child: &mut Child, prefix: &str) -> (Vec<String>, String) {
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let mut before = Vec::new();
    let found = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("the process stopped before printing {prefix:?}"))
            .expect("stderr line");
        match line.strip_prefix(prefix) {
            Some(rest) => break rest.to_owned(),
            None => before.push(line),
        }
    };
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if std::env::var_os("KABUTO_TEST_LOGS").is_some() {
                eprintln!("{line}")
            }
        }
    });
    (before, found)
}

/// `kabuto server` on a loopback port with `data_dir`.
fn server_command(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kabuto"));
    command
        .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir);
    command
}

/// A running `kabuto server` and its URL.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Server {
    pub fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[], &[])
    }

    /// A server with more flags and environment variables.
    pub fn start_with(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = server_command(data_dir);
        command
            .args(args)
            .envs(env.iter().copied())
            .env("KABUTO_ADMIN_PASSWORD", PASSWORD);
        Server::spawn(command).0
    }

    /// A server started without `KABUTO_ADMIN_PASSWORD`, and what it logged before it
    /// listened.
    pub fn start_without_password(data_dir: &Path) -> (Server, Vec<String>) {
        let mut command = server_command(data_dir);
        command.env_remove("KABUTO_ADMIN_PASSWORD");
        Server::spawn(command)
    }

    fn spawn(mut command: Command) -> (Server, Vec<String>) {
        let mut child = command
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start kabuto server");
        let (logged, url) = lines_until(&mut child, "kabuto server listening on ");
        (Server { child, url }, logged)
    }

    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, Value) {
        let mut request = ureq::request(method, &format!("{}{path}", self.url))
            .set("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        let result = match body {
            Some(body) => request.send_bytes(body),
            None => request.call(),
        };
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = response.status();
        (status, response.into_json().unwrap_or(Value::Null))
    }

    /// A session token of the administrator.
    pub fn session(&self) -> String {
        let login = json!({"id": "administrator", "password": PASSWORD}).to_string();
        let (status, session) = self.call("POST", "/api/v1/login", None, Some(login.as_bytes()));
        assert_eq!(status, 200, "{session}");
        session["token"].as_str().expect("token").to_owned()
    }

    /// An API token of the administrator.
    pub fn token(&self) -> String {
        self.token_for(None)
    }

    /// An API token of a new user with `role` (`None`: the administrator's own).
    pub fn token_for(&self, role: Option<&str>) -> String {
        let session = self.session();
        let user = role.map(|role| {
            let user = json!({"id": format!("{role}-user"), "role": role}).to_string();
            let (status, body) = self.call(
                "POST",
                "/api/v1/users",
                Some(&session),
                Some(user.as_bytes()),
            );
            assert_eq!(status, 201, "{body}");
            format!("{role}-user")
        });
        let request = json!({"name": "test", "user": user}).to_string();
        let (status, token) = self.call(
            "POST",
            "/api/v1/tokens",
            Some(&session),
            Some(request.as_bytes()),
        );
        assert_eq!(status, 201, "{token}");
        token["token"].as_str().expect("token").to_owned()
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        self.child.wait().expect("wait")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
