//! Answers from upstream, kept for their TTL. An entry is the upstream's
//! message in wire form, without its OPT, with the offsets of its TTLs:
//! a hit is a copy, the client's id and question spliced in, and the TTLs
//! lowered by the time spent in the cache. No parse on the hot path.

use super::wire::{self, Query, HEADER_LEN};
use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SHARDS: usize = 16;
/// How long an expired answer may still be served when the upstreams are
/// down and the firewall fails open (RFC 8767 suggests 1 to 3 days).
const STALE_FOR: Duration = Duration::from_secs(86_400);
/// The TTL of a stale answer (RFC 8767 §4).
const STALE_TTL: u32 = 30;

pub struct Entry {
    /// Header and question as upstream sent them (id and case replaced on
    /// each hit), then the records.
    wire: Box<[u8]>,
    ttl_offsets: Box<[u16]>,
    stored: Instant,
    expires: Instant,
}

/// Entries by lowercased question.
type Shard = Mutex<HashMap<Box<[u8]>, Arc<Entry>>>;

pub struct Cache {
    shards: Vec<Shard>,
    per_shard: usize,
    hasher: RandomState,
}

/// Whether a lookup may return an expired answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale,
}

impl Cache {
    pub fn new(entries: usize) -> Cache {
        Cache {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: entries.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
        }
    }

    fn shard(&self, key: &[u8]) -> &Shard {
        &self.shards[self.hasher.hash_one(key) as usize % SHARDS]
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |s| s.len()))
            .sum()
    }

    /// The answer to `query` from the cache, if there is one.
    pub fn answer(
        &self,
        key: &[u8],
        query: &Query,
        now: Instant,
        freshness: Freshness,
    ) -> Option<Vec<u8>> {
        let entry = {
            let shard = self.shard(key).lock().ok()?;
            Arc::clone(shard.get(key)?)
        };
        let ttl_override = if now < entry.expires {
            None
        } else if freshness == Freshness::Stale && now < entry.expires + STALE_FOR {
            Some(STALE_TTL)
        } else {
            return None;
        };
        Some(entry.reply(query, now, ttl_override))
    }

    /// Keeps `entry` under `key` (the lowercased question).
    pub fn insert(&self, key: &[u8], entry: Arc<Entry>) {
        let Ok(mut shard) = self.shard(key).lock() else {
            return;
        };
        if shard.len() >= self.per_shard && !shard.contains_key(key) {
            // Full: drop what has been stale longest among a few, else
            // any one (the map's order is random). Cheaper than an LRU
            // list, and a DNS cache's working set turns over by TTL anyway.
            let victim = shard
                .iter()
                .take(8)
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone());
            if let Some(victim) = victim {
                shard.remove(&victim);
            }
        }
        shard.insert(key.into(), entry);
    }
}

impl Entry {
    /// `message`: a checked upstream answer without OPT, its question
    /// lowercased; kept for `ttl` seconds.
    pub fn new(message: Vec<u8>, ttl_offsets: Vec<u16>, ttl: u32) -> Entry {
        let now = Instant::now();
        Entry {
            wire: message.into_boxed_slice(),
            ttl_offsets: ttl_offsets.into_boxed_slice(),
            stored: now,
            expires: now + Duration::from_secs(u64::from(ttl)),
        }
    }

    /// The answer to `query` (whose question is the entry's, in any case).
    pub fn reply(&self, query: &Query, now: Instant, ttl_override: Option<u32>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire.len() + 11);
        out.extend_from_slice(&self.wire);
        out[..2].copy_from_slice(&query.id.to_be_bytes());
        // RD and CD as the client asked; TC never (the cached message is
        // whole); the rest (AA, RA, AD, rcode) as upstream answered.
        out[2] = (out[2] & !0x03) | u8::from(query.rd);
        out[3] = (out[3] & !0x10) | if query.cd { 0x10 } else { 0 };
        let question_end = HEADER_LEN + query.question.len();
        if let Some(question) = out.get_mut(HEADER_LEN..question_end) {
            question.copy_from_slice(query.question);
        }
        let elapsed = now.saturating_duration_since(self.stored).as_secs() as u32;
        for &offset in self.ttl_offsets.iter() {
            let at = offset as usize;
            let Some(field) = out.get_mut(at..at + 4) else {
                continue;
            };
            let stored = u32::from_be_bytes([field[0], field[1], field[2], field[3]]);
            let ttl = ttl_override.unwrap_or(stored.saturating_sub(elapsed));
            field.copy_from_slice(&ttl.to_be_bytes());
        }
        if query.edns.is_some() {
            wire::push_opt(&mut out, 0, None);
            let arcount = u16::from_be_bytes([out[10], out[11]]).saturating_add(1);
            out[10..12].copy_from_slice(&arcount.to_be_bytes());
        }
        out
    }
}
