//! The executables the process checks accept besides the runtime: helpers a
//! function legitimately keeps running between invocations, or extracts to
//! `/tmp` (a headless browser, ffmpeg). `FNGUARD_PROCESS_ALLOW` or
//! `[process] allow` in guard.toml.

use std::path::{Component, Path, PathBuf};

/// One allowlist entry: an absolute path, `DIR/*` (a file directly in DIR)
/// or `DIR/**` (a file anywhere below DIR).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedExe {
    Exact(PathBuf),
    InFolder(PathBuf),
    Below(PathBuf),
}

impl AllowedExe {
    /// Parses one entry; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<AllowedExe, String> {
        let text = text.trim();
        let (base, make): (&str, fn(PathBuf) -> AllowedExe) =
            if let Some(folder) = text.strip_suffix("/**") {
                (folder, AllowedExe::Below)
            } else if let Some(folder) = text.strip_suffix("/*") {
                (folder, AllowedExe::InFolder)
            } else {
                (text, AllowedExe::Exact)
            };
        if base.contains('*') {
            return Err(format!(
                "{text:?}: a wildcard may only end an entry, as DIR/* or DIR/**"
            ));
        }
        let path = Path::new(base);
        if !path.is_absolute() || base.len() < 2 {
            return Err(format!(
                "{text:?}: an absolute path to an executable (or DIR/*, DIR/**) is expected"
            ));
        }
        if path
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
        {
            return Err(format!("{text:?}: no . or .. in an allowed path"));
        }
        Ok(make(path.to_path_buf()))
    }

    /// Whether `path` (an executable as `/proc/PID/exe` or a tmp folder's
    /// walk shows it) is allowed by this entry. A deleted file or a memfd
    /// (`/memfd:name (deleted)`) never is: its path no longer names it.
    pub fn matches(&self, path: &Path) -> bool {
        if path.to_string_lossy().ends_with(" (deleted)") {
            return false;
        }
        match self {
            AllowedExe::Exact(allowed) => path == allowed,
            AllowedExe::InFolder(folder) => path.parent() == Some(folder.as_path()),
            AllowedExe::Below(folder) => path.starts_with(folder) && path != folder,
        }
    }
}

/// Whether any entry allows `path`.
pub fn allowed(list: &[AllowedExe], path: &Path) -> bool {
    list.iter().any(|entry| entry.matches(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_and_match_as_documented() {
        let exact = AllowedExe::parse("/opt/bin/helper").unwrap();
        assert!(exact.matches(Path::new("/opt/bin/helper")));
        assert!(!exact.matches(Path::new("/opt/bin/helper2")));
        let folder = AllowedExe::parse("/opt/bin/*").unwrap();
        assert!(folder.matches(Path::new("/opt/bin/helper")));
        assert!(!folder.matches(Path::new("/opt/bin/sub/helper")));
        assert!(!folder.matches(Path::new("/opt/binary")));
        let below = AllowedExe::parse("/tmp/chromium/**").unwrap();
        assert!(below.matches(Path::new("/tmp/chromium/chrome")));
        assert!(below.matches(Path::new("/tmp/chromium/lib/x.so")));
        assert!(!below.matches(Path::new("/tmp/chromium")));
        assert!(!below.matches(Path::new("/tmp/chromium-evil/chrome")));
        assert!(allowed(&[exact, folder], Path::new("/opt/bin/other")));
    }

    #[test]
    fn a_deleted_file_or_a_memfd_is_never_allowed() {
        let folder = AllowedExe::parse("/tmp/*").unwrap();
        assert!(!folder.matches(Path::new("/tmp/helper (deleted)")));
        let root = AllowedExe::parse("/**").unwrap_err();
        assert!(root.contains("absolute path"), "{root}");
        // A memfd shows as `/memfd:NAME (deleted)`, whatever NAME says.
        assert!(!AllowedExe::parse("/memfd:x")
            .unwrap()
            .matches(Path::new("/memfd:x (deleted)")));
    }

    #[test]
    fn bad_entries_say_why() {
        for (entry, why) in [
            ("bin/helper", "absolute path"),
            ("/opt/*/helper", "wildcard may only end"),
            ("/opt/bin/h*", "wildcard may only end"),
            ("/opt/../tmp/x", "no . or .."),
            ("", "absolute path"),
        ] {
            let error = AllowedExe::parse(entry).unwrap_err();
            assert!(error.contains(why), "{entry}: {error}");
        }
    }
}
