//! A real SMTP server for tests: `smtp_sink.py` (aiosmtpd) as a child process, keeping every
//! message it accepts as a JSON file in a folder. A missing aiosmtpd fails the test that starts
//! it; it never skips it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::Value;

/// A running SMTP sink; stopped when dropped.
pub struct Sink {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    dir: PathBuf,
}

impl Sink {
    /// Starts the sink keeping messages in `dir`; `options` are `smtp_sink.py`'s
    /// (`--delay-ms N`, `--reject ADDRESS`, …).
    pub fn start(dir: &Path, options: &[&str]) -> Sink {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("--dir")
            .arg(dir)
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs (the email tests need python3 with aiosmtpd)");
        let stdin = child.stdin.take().expect("stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the sink prints its port");
        let port = match line.trim().strip_prefix("PORT ") {
            Some(port) => port.parse().expect("a port number"),
            None => {
                let output = child.wait_with_output().expect("the sink ended");
                panic!(
                    "the SMTP sink did not start (the email tests need `pip install aiosmtpd`):\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        };
        Sink {
            child,
            _stdin: stdin,
            port,
            dir: dir.to_path_buf(),
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in the order received.
    pub fn received(&self) -> Vec<Value> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .expect("the sink's folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
