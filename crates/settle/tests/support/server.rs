//! A running `settle serve` on a free loopback port, and a small HTTP client for it. The
//! server is stopped (SIGTERM, then waited for) when the handle is dropped.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::Backend;

/// The password of every user the tests add.
pub const PASSWORD: &str = "correct horse battery";

/// Adds a user with [`PASSWORD`] through `settle user add`.
pub fn add_user(backend: &Backend, name: &str, role: &str) {
    let mut child = backend
        .command(&["user", "add", name, "--role", role, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("settle runs");
    writeln!(child.stdin.take().expect("stdin"), "{PASSWORD}").expect("password written");
    let output = child.wait_with_output().expect("settle finishes");
    assert!(
        output.status.success(),
        "user add {name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub struct Server {
    child: Child,
    pub base: String,
    agent: ureq::Agent,
}

/// What came back: the status, the headers that tests look at, and the body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub replayed: bool,
    pub set_cookie: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Server {
    /// Starts the server on the backend's database with extra environment settings.
    pub fn start(backend: &Backend, env: &[(&str, &str)]) -> Server {
        let mut command = backend.command(&["serve", "--listen", "127.0.0.1:0"]);
        command
            .env("SETTLE_SECURE_COOKIES", "false")
            .env("RUST_LOG", "info")
            .env_remove("SETTLE_CONFIG")
            .stderr(Stdio::piped())
            .stdout(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("settle serve starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (found, address) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(rest) = line.split("address=").nth(1) {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = found.send(address.to_string());
                    sent = true;
                }
                if std::env::var_os("SETTLE_TEST_SERVER_LOG").is_some() {
                    eprintln!("server: {line}");
                }
            }
        });
        let address = address
            .recv_timeout(Duration::from_secs(30))
            .expect("the server says where it listens");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            // Every request on a connection of its own: a kept-alive connection can be closed
            // by the server just as the client sends the next request on it, which fails that
            // request with "peer disconnected" (seen twice on a loaded machine, in different
            // tests). HTTP/1.1 leaves retrying to the client, and these tests are about the
            // server's answers, not about connection reuse.
            .max_idle_connections(0)
            .build()
            .into();
        Server {
            child,
            base: format!("http://{address}"),
            agent,
        }
    }

    fn reply(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = response.expect("the server answers");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = response.status().as_u16();
        let content_type = header("content-type").unwrap_or_default();
        let replayed = header("idempotent-replayed").is_some();
        let set_cookie = header("set-cookie");
        let location = header("location");
        let body = response
            .body_mut()
            .read_to_string()
            .expect("a readable body");
        Reply {
            status,
            content_type,
            replayed,
            set_cookie,
            location,
            body,
        }
    }

    /// GET with an optional bearer token.
    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        Server::reply(request.call())
    }

    /// GET of a binary answer (a PDF): the status, the content type and the bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        self.get_bytes_with(path, None)
    }

    /// GET of a binary answer with an optional bearer token.
    pub fn get_bytes_with(&self, path: &str, token: Option<&str>) -> (u16, String, Vec<u8>) {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = request.call().expect("the server answers");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .expect("a readable body");
        (response.status().as_u16(), content_type, bytes)
    }

    /// GET with a cookie header, as a browser would.
    pub fn get_with_cookie(&self, path: &str, cookie: &str) -> Reply {
        Server::reply(
            self.agent
                .get(format!("{}{path}", self.base))
                .header("Cookie", cookie)
                .call(),
        )
    }

    /// POST (or another method) of a JSON body, with a token and an optional idempotency key.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        key: Option<&str>,
        body: &serde_json::Value,
    ) -> Reply {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json");
        let request = match key {
            Some(key) => request.header("Idempotency-Key", key),
            None => request,
        };
        let request = request
            .body(body.to_string())
            .expect("a well-formed request");
        Server::reply(self.agent.run(request))
    }

    /// POST of raw bytes (a bank file).
    pub fn upload(&self, path: &str, token: &str, bytes: Vec<u8>) -> Reply {
        Server::reply(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/octet-stream")
                .send(&bytes[..]),
        )
    }

    /// POST of a form, as a browser would.
    pub fn form(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let mut request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        Server::reply(request.send(body.join("&")))
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl Drop for Server {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: `kill` only sends a signal to the child this handle started.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}
