//! App instances as child processes, and what `/proc` says about them.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How to start one app instance: a program that runs
/// [`serve`](super::serve), e.g. the `soak_server` binary or
/// `xsrf-bench soak-server`.
#[derive(Debug, Clone)]
pub struct ServerCommand {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

/// A running instance; killed and reaped on drop.
#[derive(Debug)]
pub(crate) struct Instance {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl Instance {
    /// Starts one and waits for its `listening on PORT` line.
    pub(crate) fn spawn(
        command: &ServerCommand,
        env: &[(&'static str, String)],
    ) -> Result<Self, String> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", command.program.display()))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("no stdout pipe".to_owned());
        };
        let (tx, rx) = mpsc::channel();
        // The reader keeps draining after the first line, so the pipe
        // never fills and blocks the instance.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let port = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(Ok(line))) => line
                .strip_prefix("listening on ")
                .and_then(|p| p.trim().parse::<u16>().ok())
                .ok_or_else(|| format!("unexpected first line {line:?}")),
            Ok(_) => Err("the instance exited before listening".to_owned()),
            Err(_) => Err("the instance did not listen within 60 s".to_owned()),
        };
        match port {
            Ok(port) => Ok(Self {
                child,
                addr: SocketAddr::from(([127, 0, 0, 1], port)),
            }),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }

    /// Whether the process is still running.
    pub(crate) fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Resident memory (`VmRSS` of `/proc/PID/status`), in KiB.
    pub(crate) fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }

    /// Open file descriptors (entries of `/proc/PID/fd`).
    pub(crate) fn open_fds(&self) -> Option<u64> {
        let dir = std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).ok()?;
        Some(dir.count() as u64)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
