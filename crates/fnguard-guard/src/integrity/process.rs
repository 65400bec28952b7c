//! Integrity of the processes: the runtime replaced in memory (guide §2.3;
//! research runtime.md §2).
//!
//! The published persistence attack changes no file of the package: the
//! handler execs a binary from `/tmp` or a memfd in place of the runtime
//! (same pid), or a second process kills the runtime and starts a
//! replacement; another attack rewrites `AWS_LAMBDA_RUNTIME_API` so that
//! the runtime talks to a man in the middle. [`ProcessGuard::check`], run
//! before each invocation, looks for each:
//!
//! - **The runtime** (recorded by [`ProcessGuard::record_runtime`] when it
//!   first connects to the proxy) is the same process: same pid, same start
//!   time (`/proc/PID/stat` field 22: a reused pid has another), same
//!   executable (device and inode through `/proc/PID/exe`: an exec in place
//!   keeps the pid but not the executable) and same command line; its
//!   executable is not a memfd, a deleted file or a file under a tmp folder;
//!   its environment's `AWS_LAMBDA_RUNTIME_API` is the proxy's address; and
//!   the process that called the proxy, when the caller tells, is the
//!   runtime.
//! - **No unexpected process.** The baseline is every process alive at
//!   [`ProcessGuard::init`] (in Lambda: init/rapid, the extensions, the
//!   guard) and at [`ProcessGuard::record_runtime`] (by then every extension
//!   has registered, since Lambda starts the runtime only after, and the
//!   function's init code has run). Before an invocation the previous one
//!   has ended, so a live process that is neither in the baseline (same pid
//!   and start time) nor the runtime is unexpected, whoever its parent:
//!   what the handler started and waited for is gone, and a process left
//!   running between invocations is how the second attack persists. Exited
//!   processes not yet reaped (zombies) run nothing and are ignored, and so
//!   are kernel threads. A baseline process now running another executable
//!   (an extension exec-ed in place) is reported too.
//! - **No new executable in the tmp folders** (see [`clean_tmp`]): an ELF
//!   file, a `#!` script or a file with an execute bit that was not there,
//!   unchanged, at init. The folders are watched with inotify: while nothing
//!   happens in them a check does not walk them.
//!
//! Which processes are looked at is the [`Scope`]: in Lambda every process
//! of the sandbox's pid namespace; elsewhere (tests, a shared machine) the
//! descendants of one process.
//!
//! ```no_run
//! use fnguard_guard::integrity::process::{
//!     clean_tmp, make_non_dumpable, pid_of_peer, ProcessConfig, ProcessGuard,
//! };
//! use std::net::SocketAddr;
//! use std::path::Path;
//!
//! // Extension init: before anything else runs.
//! make_non_dumpable().expect("prctl");
//! let cleaned = clean_tmp(Path::new("/tmp")); // log cleaned.removed, cleaned.failed
//! let mut guard = ProcessGuard::init(std::process::id(), ProcessConfig::lambda("127.0.0.1:9009"));
//!
//! // The proxy accepted a connection: who is it?
//! # let (local, peer): (SocketAddr, SocketAddr) = ("127.0.0.1:9009".parse().unwrap(), "127.0.0.1:40000".parse().unwrap());
//! let first: Vec<u32> = guard.runtime_pid().into_iter().collect();
//! let caller = pid_of_peer(local, peer, &first);
//! if guard.runtime_pid().is_none() {
//!     if let Some(pid) = caller {
//!         guard.record_runtime(pid).ok(); // Err: a Violation to log
//!     }
//! }
//! // Before handing each invocation to the runtime:
//! for violation in guard.check(caller) {
//!     // log violation.control, violation.reason, violation.details;
//!     // enforce mode: fail closed
//! }
//! ```

mod allow;
mod peer;
pub(crate) mod procfs;
mod tmp;

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;

use serde_json::json;

pub use allow::AllowedExe;
pub use peer::pid_of_peer;
pub use tmp::{clean_tmp, Cleaned, ExecKind};

use crate::integrity::Violation;
use procfs::ExeId;

/// The variable that tells a runtime where the Runtime API is.
pub const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// Which processes [`ProcessGuard`] watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every process in `/proc` (in Lambda, the sandbox).
    All,
    /// This process and its descendants.
    DescendantsOf(u32),
}

/// What [`ProcessGuard`] needs to know besides its own pid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessConfig {
    /// The proxy's address as the runtime must see it in
    /// `AWS_LAMBDA_RUNTIME_API` (`127.0.0.1:9009`).
    pub runtime_api: String,
    /// Writable folders watched for new executables; an executable under
    /// one of them is a red flag. Missing ones are skipped.
    pub tmp_dirs: Vec<PathBuf>,
    /// Entries of the tmp folders looked at per check, at most; beyond it
    /// the check reports that it could not see everything.
    pub max_tmp_entries: usize,
    pub scope: Scope,
    /// Executables accepted as processes left running between invocations
    /// and as new files in the tmp folders (never as the runtime itself).
    pub allow: Vec<AllowedExe>,
}

impl ProcessConfig {
    /// Lambda's defaults: `/tmp` and `/dev/shm`, 10,000 entries, every
    /// process.
    pub fn lambda(runtime_api: impl Into<String>) -> ProcessConfig {
        ProcessConfig {
            runtime_api: runtime_api.into(),
            tmp_dirs: vec![PathBuf::from("/tmp"), PathBuf::from("/dev/shm")],
            max_tmp_entries: 10_000,
            scope: Scope::All,
            allow: Vec::new(),
        }
    }
}

/// A process of the baseline.
#[derive(Clone, Copy, Debug)]
struct Known {
    start_time: u64,
    /// `None` when its executable could not be read (another user's).
    exe: Option<ExeId>,
}

/// The runtime as recorded.
#[derive(Clone, Debug)]
struct Runtime {
    pid: u32,
    start_time: u64,
    exe: ExeId,
    exe_path: PathBuf,
    cmdline: Vec<u8>,
}

/// The guard of the processes (see the module documentation).
#[derive(Debug)]
pub struct ProcessGuard {
    self_pid: u32,
    config: ProcessConfig,
    /// The tmp folders resolved (symlinks followed), as `/proc/PID/exe`
    /// shows paths.
    tmp_real: Vec<PathBuf>,
    baseline: HashMap<u32, Known>,
    runtime: Option<Runtime>,
    tmp: tmp::TmpWatch,
}

impl ProcessGuard {
    /// Records the baseline: every process in scope now, and what the tmp
    /// folders hold. Call [`clean_tmp`] first to start from a clean `/tmp`.
    pub fn init(self_pid: u32, config: ProcessConfig) -> ProcessGuard {
        let tmp_real = config
            .tmp_dirs
            .iter()
            .map(|dir| dir.canonicalize().unwrap_or_else(|_| dir.clone()))
            .collect();
        let tmp = tmp::TmpWatch::new(
            config.tmp_dirs.clone(),
            config.max_tmp_entries,
            config.allow.clone(),
        );
        let mut guard = ProcessGuard {
            self_pid,
            config,
            tmp_real,
            baseline: HashMap::new(),
            runtime: None,
            tmp,
        };
        guard.extend_baseline();
        guard
    }

    /// Records the runtime (the process found behind its first connection
    /// to the proxy, see [`pid_of_peer`]) and adds every process alive now
    /// to the baseline. Fails when the process cannot be read.
    pub fn record_runtime(&mut self, pid: u32) -> Result<(), Violation> {
        let unreadable = |what: &str, error: String| {
            Violation::process(
                "runtime process cannot be read",
                json!({"pid": pid, "what": what, "error": error}),
            )
        };
        let stat = procfs::stat(pid)
            .filter(|stat| !stat.exited)
            .ok_or_else(|| unreadable("stat", "no such process".into()))?;
        let exe = procfs::exe_id(pid).map_err(|e| unreadable("exe", e.to_string()))?;
        let exe_path = procfs::exe_path(pid).map_err(|e| unreadable("exe", e.to_string()))?;
        let cmdline = procfs::cmdline(pid).map_err(|e| unreadable("cmdline", e.to_string()))?;
        self.runtime = Some(Runtime {
            pid,
            start_time: stat.start_time,
            exe,
            exe_path,
            cmdline,
        });
        self.extend_baseline();
        Ok(())
    }

    /// Whether inotify watches the tmp folders (else every check walks
    /// them, one `lstat` per file: worth a note in the log).
    pub fn tmp_watched(&self) -> bool {
        self.tmp.watched()
    }

    /// The recorded runtime's pid.
    pub fn runtime_pid(&self) -> Option<u32> {
        self.runtime.as_ref().map(|runtime| runtime.pid)
    }

    /// What the event's delivery depends on, cheaply, after a
    /// [`ProcessGuard::check`] in the post-invoke phase: the process that
    /// will read the event is the recorded runtime, alive, with the same
    /// executable (an exec in place keeps the pid and can keep a socket open
    /// without close-on-exec), and the tmp folders had no event. A process
    /// started since that check cannot take the event (it would have to ask
    /// on a connection of its own, which gets the whole check) and is found
    /// by the next check, at the end of this invocation. Anything unusual
    /// (another caller, no runtime yet) runs the whole check.
    pub fn recheck(&mut self, caller: Option<u32>) -> Vec<Violation> {
        // The start time is not read again (12 µs of /proc/PID/stat): the
        // check just made confirmed it, and for the pid to belong to
        // another process now the runtime would have to die and the pid
        // space wrap around in between; /proc/PID/exe of a dead runtime
        // fails, and its connection would be closed.
        let same_runtime = self.runtime.as_ref().is_some_and(|runtime| {
            caller == Some(runtime.pid)
                && procfs::exe_id(runtime.pid).is_ok_and(|exe| exe == runtime.exe)
        });
        if !same_runtime {
            return self.check(caller);
        }
        self.tmp.check()
    }

    /// Everything the module documentation lists. `caller`: the pid behind
    /// the connection that asked for the next invocation (see
    /// [`pid_of_peer`]), when known.
    pub fn check(&mut self, caller: Option<u32>) -> Vec<Violation> {
        let mut violations = Vec::new();
        let processes = match self.processes_in_scope() {
            Ok(processes) => processes,
            Err(error) => {
                violations.push(Violation::process(
                    "processes cannot be listed",
                    json!({"error": error.to_string()}),
                ));
                Vec::new()
            }
        };
        if let Some(runtime) = &self.runtime {
            self.check_runtime(runtime, caller, &mut violations);
        }
        let runtime_pid = self.runtime_pid();
        for (pid, stat) in &processes {
            if *pid == self.self_pid || Some(*pid) == runtime_pid {
                continue;
            }
            match self.baseline.get(pid) {
                Some(known) if known.start_time == stat.start_time => {
                    let Some(expected) = known.exe else { continue };
                    match procfs::exe_id(*pid) {
                        Ok(now) if now == expected => {}
                        // Ended since the listing.
                        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                        _ => violations.push(Violation::process(
                            "known process runs another executable",
                            json!({"pid": pid, "comm": stat.comm, "exe": exe_for_log(*pid)}),
                        )),
                    }
                }
                _ if procfs::exe_path(*pid)
                    .is_ok_and(|exe| allow::allowed(&self.config.allow, &exe)) => {}
                _ => violations.push(Violation::process(
                    "unexpected process",
                    json!({"pid": pid, "ppid": stat.ppid, "comm": stat.comm, "exe": exe_for_log(*pid)}),
                )),
            }
        }
        violations.extend(self.tmp.check());
        violations
    }

    fn check_runtime(
        &self,
        runtime: &Runtime,
        caller: Option<u32>,
        violations: &mut Vec<Violation>,
    ) {
        let pid = runtime.pid;
        if let Some(caller) = caller.filter(|&caller| caller != pid) {
            violations.push(Violation::process(
                "runtime api called by a process other than the runtime",
                json!({"runtime_pid": pid, "caller_pid": caller, "caller_exe": exe_for_log(caller)}),
            ));
        }
        match procfs::stat(pid) {
            Some(stat) if !stat.exited && stat.start_time == runtime.start_time => {}
            Some(stat) if !stat.exited => {
                violations.push(Violation::process(
                    "runtime pid now belongs to another process",
                    json!({"pid": pid, "comm": stat.comm}),
                ));
                return;
            }
            _ => {
                violations.push(Violation::process(
                    "runtime process is gone",
                    json!({"pid": pid, "exe": runtime.exe_path.display().to_string()}),
                ));
                return;
            }
        }
        let exe_path = procfs::exe_path(pid);
        match procfs::exe_id(pid) {
            Ok(exe) if exe == runtime.exe => {}
            Ok(_) => violations.push(Violation::process(
                "runtime executable replaced",
                json!({
                    "pid": pid,
                    "expected_exe": runtime.exe_path.display().to_string(),
                    "exe": exe_for_log(pid),
                }),
            )),
            Err(error) => violations.push(Violation::process(
                "runtime executable cannot be read",
                json!({"pid": pid, "error": error.to_string()}),
            )),
        }
        if let Ok(path) = &exe_path {
            if let Some(why) = procfs::suspicious_exe(path, &self.tmp_real) {
                violations.push(Violation::process(
                    "runtime executable is suspicious",
                    json!({"pid": pid, "exe": path.display().to_string(), "why": why}),
                ));
            }
        }
        match procfs::cmdline(pid) {
            Ok(cmdline) if cmdline == runtime.cmdline => {}
            Ok(cmdline) => violations.push(Violation::process(
                "runtime command line changed",
                json!({
                    "pid": pid,
                    "expected_program": procfs::program_name(&runtime.cmdline),
                    "program": procfs::program_name(&cmdline),
                }),
            )),
            Err(error) => violations.push(Violation::process(
                "runtime command line cannot be read",
                json!({"pid": pid, "error": error.to_string()}),
            )),
        }
        match procfs::environ_var(pid, RUNTIME_API_VAR) {
            Ok(Some(value)) if value == self.config.runtime_api.as_bytes() => {}
            // The value is not logged: only whether it is the proxy.
            Ok(found) => violations.push(Violation::process(
                "runtime api variable does not point at the proxy",
                json!({"pid": pid, "variable": RUNTIME_API_VAR, "present": found.is_some()}),
            )),
            Err(error) => violations.push(Violation::process(
                "runtime environment cannot be read",
                json!({"pid": pid, "error": error.to_string()}),
            )),
        }
    }

    /// Live processes in scope (no kernel threads, no zombies).
    fn processes_in_scope(&self) -> io::Result<Vec<(u32, procfs::Stat)>> {
        let mut all: Vec<(u32, procfs::Stat)> = procfs::pids()?
            .into_iter()
            .filter_map(|pid| procfs::stat(pid).map(|stat| (pid, stat)))
            .filter(|(_, stat)| !stat.kernel_thread && !stat.exited)
            .collect();
        if let Scope::DescendantsOf(root) = self.config.scope {
            let mut inside: HashSet<u32> = HashSet::from([root]);
            // Parents before children is not guaranteed by pid order (pids
            // wrap): repeat until nothing joins.
            loop {
                let before = inside.len();
                for (pid, stat) in &all {
                    if inside.contains(&stat.ppid) {
                        inside.insert(*pid);
                    }
                }
                if inside.len() == before {
                    break;
                }
            }
            all.retain(|(pid, _)| inside.contains(pid));
        }
        Ok(all)
    }

    /// Adds every live process in scope to the baseline.
    fn extend_baseline(&mut self) {
        // A listing that fails leaves the baseline as it was: later checks
        // report what they cannot list.
        let Ok(processes) = self.processes_in_scope() else {
            return;
        };
        for (pid, stat) in processes {
            self.baseline.insert(
                pid,
                Known {
                    start_time: stat.start_time,
                    exe: procfs::exe_id(pid).ok(),
                },
            );
        }
    }
}

/// The executable path of `pid` for the log, or why it is unknown.
fn exe_for_log(pid: u32) -> String {
    match procfs::exe_path(pid) {
        Ok(path) => path.display().to_string(),
        Err(error) => format!("unknown ({error})"),
    }
}

/// Makes the guard non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`): a process of
/// the same user can no longer ptrace it, read or write its memory
/// (`process_vm_writev`, `/proc/PID/mem`) or read its environment.
pub fn make_non_dumpable() -> io::Result<()> {
    rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)?;
    Ok(())
}
