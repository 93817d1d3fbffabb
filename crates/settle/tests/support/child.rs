//! Runs `settle` as a child process under the limits a failure test needs, and measures it: the
//! peak resident memory of that one child (from `wait4`, so other tests' children running at
//! the same time do not count), its exit, and what it printed.

#![allow(unsafe_code)]

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use super::Backend;

/// A restriction put on the child before it starts.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// `ulimit -f`: no file may be written past this many bytes (a disk that is full there).
    FileSize(u64),
    /// Running as root, give up the capabilities that let root write files whatever their
    /// permissions say (without root they do not apply anyway).
    NoPermissionOverride,
}

/// What a measured child did.
#[derive(Debug)]
pub struct Measured {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set size, in KiB.
    pub peak_rss_kib: u64,
}

impl Measured {
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }
}

/// The capabilities by which root reads and writes any file: CAP_DAC_OVERRIDE,
/// CAP_DAC_READ_SEARCH, CAP_FOWNER.
const PERMISSION_CAPABILITIES: [libc::c_ulong; 3] = [1, 2, 3];

fn apply(limits: &[Limit]) -> std::io::Result<()> {
    for limit in limits {
        match *limit {
            Limit::FileSize(bytes) => {
                let rlimit = libc::rlimit {
                    rlim_cur: bytes as libc::rlim_t,
                    rlim_max: bytes as libc::rlim_t,
                };
                // SAFETY: setrlimit reads the struct we pass and changes only this process.
                if unsafe { libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) } != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Limit::NoPermissionOverride => {
                // SAFETY: geteuid has no preconditions.
                if unsafe { libc::geteuid() } != 0 {
                    continue;
                }
                for capability in PERMISSION_CAPABILITIES {
                    // Dropped from the bounding set, the capability is not regained when the
                    // child executes the program as root.
                    // SAFETY: prctl(PR_CAPBSET_DROP) takes integers and touches no memory.
                    if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0) } != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
            }
        }
    }
    Ok(())
}

/// A child started by [`spawn`], with the files its output goes to.
pub struct Running {
    pub child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

/// Starts `program args…` in `dir` under `limits`, its output going to files in `dir`.
pub fn spawn(dir: &Path, program: &str, args: &[&str], limits: &[Limit]) -> Running {
    let name = super::unique("child");
    let (stdout, stderr) = (
        dir.join(format!("{name}.out")),
        dir.join(format!("{name}.err")),
    );
    let limits = limits.to_vec();
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("SETTLE_DATABASE_URL")
        .env_remove("SETTLE_ENTITY")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"));
    // SAFETY: between fork and exec the closure only calls async-signal-safe functions
    // (setrlimit, geteuid, prctl) and allocates nothing.
    unsafe {
        command.pre_exec(move || apply(&limits));
    }
    Running {
        child: command.spawn().expect("the child starts"),
        stdout,
        stderr,
    }
}

impl Running {
    /// Waits for the child and measures it.
    pub fn wait(self) -> Measured {
        let pid = self.child.id() as libc::pid_t;
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero rusage is a valid value of that plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 writes into the two values we own; the pid is our child, not yet
        // reaped (std reaps only in its own wait, which is never called on it).
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        Measured {
            status: ExitStatus::from_raw(status),
            stdout: read(&self.stdout),
            stderr: read(&self.stderr),
            peak_rss_kib: usage.ru_maxrss as u64,
        }
    }
}

impl Backend {
    /// Starts `settle --db URL ARGS…` under `limits` without waiting for it.
    pub fn start(&self, args: &[&str], limits: &[Limit]) -> Running {
        let mut all = vec!["--db", self.url.as_str()];
        all.extend_from_slice(args);
        spawn(&self.dir, env!("CARGO_BIN_EXE_settle"), &all, limits)
    }

    /// Runs `settle --db URL ARGS…` under `limits` and measures it.
    pub fn run_limited(&self, args: &[&str], limits: &[Limit]) -> Measured {
        self.start(args, limits).wait()
    }
}
