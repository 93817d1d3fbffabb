//! The server's settings: built-in defaults, then a TOML file, then the environment, then the
//! command line, each overriding the one before. The database and the entity are named as for
//! every other command (`--db`, `--entity` or their environment variables).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{variable}: {message}")]
    Environment { variable: String, message: String },
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The address people reach the server at; portal links are built on it.
    pub public_url: String,
    pub log_format: LogFormat,
    /// Mark cookies `Secure` (sent over HTTPS only). On by default; off only for a server
    /// reached over plain HTTP on a trusted network.
    pub secure_cookies: bool,
    /// How long a signed-in browser session lasts without use, in minutes.
    pub session_idle_minutes: u64,
    /// The longest a kept worklist ranking is shown before it is ranked again, in seconds
    /// (writes through the server start a new ranking sooner).
    pub worklist_refresh_seconds: u64,
    pub jobs: JobsConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// A folder watched for bank files and invoice CSVs to import; off when absent.
    pub drop_folder: Option<PathBuf>,
    /// Seconds between two rounds of the background jobs.
    pub interval_seconds: u64,
    /// Match payments with unapplied cash after each import round.
    pub matching: bool,
    /// Run dunning once a day.
    pub dunning: bool,
    /// Send the outbox through this SMTP server (`smtp://host:port`); off when absent.
    pub smtp_url: Option<String>,
    /// The sender of outbox messages.
    pub smtp_from: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            log_format: LogFormat::Text,
            secure_cookies: true,
            session_idle_minutes: 8 * 60,
            worklist_refresh_seconds: 60,
            jobs: JobsConfig::default(),
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            drop_folder: None,
            interval_seconds: 60,
            matching: true,
            dunning: false,
            smtp_url: None,
            smtp_from: None,
        }
    }
}

impl ServerConfig {
    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<ServerConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        ServerConfig::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Reads TOML text over the defaults; the error names the line and the key.
    pub fn from_toml(text: &str) -> Result<ServerConfig, String> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start].matches('\n').count() + 1);
            match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_string(),
            }
        })
    }

    /// Applies `SETTLE_LISTEN`, `SETTLE_PUBLIC_URL`, `SETTLE_LOG_FORMAT`,
    /// `SETTLE_SECURE_COOKIES`, `SETTLE_DROP_FOLDER`, `SETTLE_SMTP_URL` and `SETTLE_SMTP_FROM`.
    pub fn with_environment(
        mut self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ServerConfig, ConfigError> {
        let bad = |variable: &str, message: String| ConfigError::Environment {
            variable: variable.to_string(),
            message,
        };
        if let Some(listen) = var("SETTLE_LISTEN") {
            self.listen = listen
                .parse()
                .map_err(|e| bad("SETTLE_LISTEN", format!("{listen:?}: {e}")))?;
        }
        if let Some(url) = var("SETTLE_PUBLIC_URL") {
            self.public_url = url;
        }
        if let Some(format) = var("SETTLE_LOG_FORMAT") {
            self.log_format = match format.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(bad(
                        "SETTLE_LOG_FORMAT",
                        format!("{other:?} is neither text nor json"),
                    ));
                }
            };
        }
        if let Some(secure) = var("SETTLE_SECURE_COOKIES") {
            self.secure_cookies = match secure.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    return Err(bad(
                        "SETTLE_SECURE_COOKIES",
                        format!("{other:?} is neither true nor false"),
                    ));
                }
            };
        }
        if let Some(folder) = var("SETTLE_DROP_FOLDER") {
            self.jobs.drop_folder = Some(PathBuf::from(folder));
        }
        if let Some(url) = var("SETTLE_SMTP_URL") {
            self.jobs.smtp_url = Some(url);
        }
        if let Some(from) = var("SETTLE_SMTP_FROM") {
            self.jobs.smtp_from = Some(from);
        }
        Ok(self)
    }

    pub fn worklist_refresh(&self) -> Duration {
        Duration::from_secs(self.worklist_refresh_seconds)
    }

    pub fn job_interval(&self) -> Duration {
        Duration::from_secs(self.jobs.interval_seconds.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_defaults_and_the_environment_overrides_the_file() {
        let config = ServerConfig::from_toml(
            "listen = \"0.0.0.0:9000\"\nlog_format = \"json\"\n[jobs]\ninterval_seconds = 5\n",
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.jobs.interval_seconds, 5);
        assert!(config.jobs.matching, "unset keys keep their defaults");
        let config = config
            .with_environment(|name| (name == "SETTLE_LISTEN").then(|| "127.0.0.1:7000".into()))
            .unwrap();
        assert_eq!(config.listen.port(), 7000);
    }

    #[test]
    fn a_bad_file_names_the_line_and_the_key() {
        let error =
            ServerConfig::from_toml("listen = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap_err();
        assert!(error.starts_with("line 2:"), "{error}");
        assert!(error.contains("listen_port"), "{error}");
        let error = ServerConfig::default()
            .with_environment(|name| (name == "SETTLE_LOG_FORMAT").then(|| "xml".into()))
            .unwrap_err();
        assert!(error.to_string().contains("SETTLE_LOG_FORMAT"), "{error}");
    }
}
