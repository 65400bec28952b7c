//! What `/proc` says about a process: parsed defensively (a process can end
//! between two reads, its name can hold spaces and parentheses).

use std::fs;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// `PF_KTHREAD` in `/proc/PID/stat` field 9: a kernel thread, which runs no
/// program of ours or of an attacker's.
const PF_KTHREAD: u64 = 0x0020_0000;

/// The fields of `/proc/PID/stat` the guard uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    pub ppid: u32,
    /// Field 22: clock ticks after boot. With the pid, it names one
    /// process: a pid reused later has a later start time.
    pub start_time: u64,
    /// Zombie or dead: exited, running nothing.
    pub exited: bool,
    pub kernel_thread: bool,
    /// The kernel's 15-byte name (`comm`).
    pub comm: String,
}

/// Parses the text of `/proc/PID/stat`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    // Fields after the name start at field 3 (state).
    let fields: Vec<&str> = text.get(close + 1..)?.split_ascii_whitespace().collect();
    let field = |number: usize| fields.get(number - 3).copied();
    let state = field(3)?;
    Some(Stat {
        ppid: field(4)?.parse().ok()?,
        start_time: field(22)?.parse().ok()?,
        exited: matches!(state, "Z" | "X" | "x"),
        kernel_thread: field(9)?.parse::<u64>().ok()? & PF_KTHREAD != 0,
        comm,
    })
}

pub(crate) fn stat(pid: u32) -> Option<Stat> {
    let bytes = read_all(&format!("/proc/{pid}/stat")).ok()?;
    parse_stat(std::str::from_utf8(&bytes).ok()?)
}

/// Reads a `/proc` file to its end. `fs::read` asks the file's size first
/// (a `statx` more per read, and `/proc` files say 0): with a hundred
/// processes that is a tenth of a check.
fn read_all(path: &str) -> io::Result<Vec<u8>> {
    let mut file = fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    loop {
        match file.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// Every pid in `/proc`.
pub(crate) fn pids() -> io::Result<Vec<u32>> {
    let mut pids = Vec::new();
    for item in fs::read_dir("/proc")? {
        if let Some(pid) = item?.file_name().to_str().and_then(|n| n.parse().ok()) {
            pids.push(pid);
        }
    }
    Ok(pids)
}

/// The identity of a running program: the device and inode of the file
/// the process executes (`stat` through `/proc/PID/exe`, which works for a
/// deleted file and a memfd too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExeId {
    pub dev: u64,
    pub ino: u64,
}

pub(crate) fn exe_id(pid: u32) -> io::Result<ExeId> {
    let stat = rustix::fs::stat(format!("/proc/{pid}/exe"))?;
    Ok(ExeId {
        dev: stat.st_dev,
        ino: stat.st_ino,
    })
}

/// The path the kernel shows for the executable: `/memfd:NAME (deleted)`
/// for a memfd, `PATH (deleted)` for a removed file.
pub(crate) fn exe_path(pid: u32) -> io::Result<PathBuf> {
    fs::read_link(format!("/proc/{pid}/exe"))
}

pub(crate) fn cmdline(pid: u32) -> io::Result<Vec<u8>> {
    read_all(&format!("/proc/{pid}/cmdline"))
}

/// `argv[0]`, the only part of a command line the log shows (arguments can
/// hold secrets).
pub(crate) fn program_name(cmdline: &[u8]) -> String {
    let first = cmdline.split(|&b| b == 0).next().unwrap_or_default();
    String::from_utf8_lossy(first).into_owned()
}

/// The value of `name` in the process's initial environment (as exec gave
/// it, or as rewritten in place in its memory).
pub(crate) fn environ_var(pid: u32, name: &str) -> io::Result<Option<Vec<u8>>> {
    let environ = read_all(&format!("/proc/{pid}/environ"))?;
    Ok(find_var(&environ, name.as_bytes()).map(<[u8]>::to_vec))
}

pub(crate) fn find_var<'a>(environ: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    environ.split(|&b| b == 0).find_map(|pair| {
        pair.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(b"="))
    })
}

/// Why an executable path is a red flag, if it is: a memfd, a deleted file,
/// or a file under one of `tmp_dirs`.
pub(crate) fn suspicious_exe(path: &Path, tmp_dirs: &[PathBuf]) -> Option<&'static str> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.starts_with(b"/memfd:") {
        return Some("memfd");
    }
    if bytes.ends_with(b" (deleted)") {
        return Some("deleted");
    }
    tmp_dirs
        .iter()
        .any(|tmp| path.starts_with(tmp))
        .then_some("tmp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_and_parentheses_in_the_name_parses() {
        let text = "4242 (a) b (c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        let stat = parse_stat(text).unwrap();
        assert_eq!(stat.comm, "a) b (c");
        assert_eq!(stat.ppid, 17);
        assert_eq!(stat.start_time, 987_654);
        assert!(!stat.exited);
        assert!(!stat.kernel_thread);
    }

    #[test]
    fn kernel_threads_and_zombies_are_told() {
        let kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 1 0 0 0 0 0\n";
        assert!(parse_stat(kthread).unwrap().kernel_thread);
        let zombie = "77 (sh) Z 1 77 77 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        assert!(parse_stat(zombie).unwrap().exited);
    }

    #[test]
    fn truncated_or_garbled_stat_is_refused_without_panic() {
        for bad in [
            "",
            "1 (x",
            "1 x) S",
            "1 (x) S 1 2 3",
            "1 (x) S notanumber 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5\n",
        ] {
            assert_eq!(parse_stat(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn environment_variables_are_found_by_exact_name() {
        let environ = b"AWS_LAMBDA_RUNTIME_API_X=1\0AWS_LAMBDA_RUNTIME_API=127.0.0.1:9009\0";
        assert_eq!(
            find_var(environ, b"AWS_LAMBDA_RUNTIME_API"),
            Some(&b"127.0.0.1:9009"[..])
        );
        assert_eq!(find_var(environ, b"AWS_LAMBDA"), None);
    }

    #[test]
    fn memfd_deleted_and_tmp_executables_are_red_flags() {
        let tmp = [PathBuf::from("/tmp")];
        assert_eq!(
            suspicious_exe(Path::new("/memfd:x (deleted)"), &tmp),
            Some("memfd")
        );
        assert_eq!(
            suspicious_exe(Path::new("/var/lang/bin/python3 (deleted)"), &tmp),
            Some("deleted")
        );
        assert_eq!(suspicious_exe(Path::new("/tmp/a/rt"), &tmp), Some("tmp"));
        assert_eq!(suspicious_exe(Path::new("/tmpx/rt"), &tmp), None);
        assert_eq!(
            suspicious_exe(Path::new("/var/lang/bin/python3"), &tmp),
            None
        );
    }

    #[test]
    fn only_the_program_name_of_a_command_line_is_shown() {
        assert_eq!(program_name(b"/bin/app\0--token\0s3cret\0"), "/bin/app");
        assert_eq!(program_name(b""), "");
    }
}
