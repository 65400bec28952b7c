//! Writing to the terminal and files. A closed pipe (`fnguard ... | head`)
//! is a reader that has seen enough, not a failure.

use std::io::{self, IsTerminal, Write};

/// Write `text` to standard output; a broken pipe counts as success.
pub fn stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let result = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Write `text` to standard output for a command that is then done:
/// `Clean`, or `Error` after saying why the write failed.
pub fn print(text: &str) -> crate::ExitCode {
    match stdout(text) {
        Ok(()) => crate::ExitCode::Clean,
        Err(e) => {
            stderr_line(&format!("error: cannot write standard output: {e}"));
            crate::ExitCode::Error
        }
    }
}

/// Rows of cells as aligned columns: every column but the last padded to
/// its widest cell (in characters) and followed by two spaces; trailing
/// blanks trimmed.
pub fn columns<S: AsRef<str>>(rows: &[Vec<S>]) -> String {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..count)
        .map(|i| {
            rows.iter()
                .filter_map(|row| row.get(i))
                .map(|cell| cell.as_ref().chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let cell = cell.as_ref();
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Stream to standard output through a buffer; a broken pipe counts as
/// success.
pub fn stdout_with(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let result = write(&mut out).and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Messages for people go to standard error; losing them to a closed pipe
/// must not change the outcome.
pub fn stderr_line(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Colours only for a person at a terminal who has not opted out.
pub fn use_color(no_color_flag: bool, writing_to_file: bool) -> bool {
    let opted_out = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color_flag && !writing_to_file && !opted_out && io::stdout().is_terminal()
}

/// `error: path:line:col: message`, without the position when there is none.
pub fn located(path: &str, line: u32, col: u32, message: &str) -> String {
    if line == 0 {
        format!("{path}: {message}")
    } else {
        format!("{path}:{line}:{col}: {message}")
    }
}
