//! The decision log: one JSON object per line, written by its own thread so
//! that a slow disk never holds up an answer. When the writer falls behind
//! by more than `QUEUE` lines, lines are dropped and counted
//! (`fnguard_dns_log_dropped_total`), never queries.

use super::config::LogTarget;
use serde::Serialize;
use std::io::Write;
use std::sync::mpsc::{sync_channel, RecvTimeoutError, SyncSender, TrySendError};
use std::time::Duration;

const QUEUE: usize = 65_536;

#[derive(Serialize)]
pub struct Line<'a> {
    pub time: String,
    pub client: String,
    pub proto: &'static str,
    pub name: &'a str,
    #[serde(rename = "type")]
    pub qtype: String,
    pub decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    pub rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<&'a str>,
}

pub struct DecisionLog {
    sender: SyncSender<String>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl DecisionLog {
    pub fn open(target: &LogTarget) -> std::io::Result<DecisionLog> {
        let mut out: Box<dyn Write + Send> = match target {
            LogTarget::Stdout => Box::new(std::io::stdout()),
            LogTarget::File(path) => Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                    })?,
            ),
        };
        let (sender, receiver) = sync_channel::<String>(QUEUE);
        let writer = std::thread::Builder::new()
            .name("fnguard-dns-log".into())
            .spawn(move || {
                let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, &mut out);
                loop {
                    // Flushed once a second when quiet, so that `tail -f`
                    // shows decisions promptly.
                    match receiver.recv_timeout(Duration::from_secs(1)) {
                        Ok(line) => {
                            let _ = buffered.write_all(line.as_bytes());
                        }
                        Err(RecvTimeoutError::Timeout) => {
                            let _ = buffered.flush();
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
                let _ = buffered.flush();
            })?;
        Ok(DecisionLog {
            sender,
            writer: Some(writer),
        })
    }

    /// Queues a line; false when the queue is full and it was dropped.
    pub fn write(&self, line: &Line) -> bool {
        let mut text = serde_json::to_string(line).unwrap_or_default();
        text.push('\n');
        !matches!(self.sender.try_send(text), Err(TrySendError::Full(_)))
    }

    /// Writes out what is queued and stops the writer.
    pub fn close(mut self) {
        let (sender, _) = sync_channel(1);
        drop(std::mem::replace(&mut self.sender, sender));
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
