//! Stateful detectors written in code, for what a rule over one event
//! cannot see (guide §2.2, §3.4.3): they remember what they saw, raise
//! [`Alert`]s, and hand their memory to the state store so that it
//! survives restarts (`fnguard detect --state FILE`).

use crate::alert::Alert;
use crate::input::Event;
use serde_json::Value;

/// A detector fed every event in log order. Memory is bounded by the
/// detector (windows expire, maps are capped), never by the input size.
pub trait Detector {
    /// Stable name, used as the key of its state (`stolen-credentials`).
    fn name(&self) -> &'static str;
    /// Looks at one event; pushes any alert it raises.
    fn observe(&mut self, event: &Event, alerts: &mut Vec<Alert>);
    /// What must survive a restart, as JSON.
    fn save(&self) -> Value;
    /// Takes back what [`Detector::save`] wrote; a state it cannot read is
    /// an error (the caller reports it and starts the detector fresh).
    fn restore(&mut self, state: &Value) -> Result<(), String>;
    /// Strings one of which occurs, as written, in the raw text of every
    /// JSON record that may concern the detector (the reader need not
    /// parse the others for it); `None`: every record may. Records with
    /// `\u` escapes are parsed whatever this says (the caller's
    /// prefilter sees to it).
    fn raw_needles(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// The event fields it reads, as dotted paths (the reader builds only
    /// the fields someone reads); `None`: every field.
    fn fields_read(&self) -> Option<&'static [&'static str]> {
        None
    }
}

/// A detector's saved state, refused when a fnguard writing another
/// version of it saved it (read before the rest, so that the error says
/// so rather than naming a missing field).
pub(crate) fn read_state<T: serde::de::DeserializeOwned>(
    name: &str,
    state: &Value,
    version: u64,
) -> Result<T, String> {
    match state.get("version").and_then(Value::as_u64) {
        Some(found) if found == version => {}
        found => {
            let found = found.map_or("none".to_string(), |v| v.to_string());
            return Err(format!(
                "{name} state: version {found} (this fnguard writes {version})"
            ));
        }
    }
    T::deserialize(state).map_err(|e| format!("{name} state: {e}"))
}

/// An entry of a detector's capped map (functions, sources), which stamps
/// when it was last seen so that a full map forgets the least recent.
pub(crate) trait Recent: Default {
    fn last_seen(&self) -> u64;
    fn set_last_seen(&mut self, clock: u64);
}

/// The entry for `name`, made if new (forgetting the least recently seen
/// one when the map holds `max` already), stamped with `clock`.
pub(crate) fn recent_entry<'a, T: Recent>(
    map: &'a mut std::collections::HashMap<String, T>,
    max: usize,
    clock: u64,
    name: &str,
) -> &'a mut T {
    if !map.contains_key(name) {
        if map.len() >= max.max(1) {
            forget_least_recent(map);
        }
        map.insert(name.to_string(), T::default());
    }
    let entry = map.get_mut(name).expect("inserted above");
    entry.set_last_seen(clock);
    entry
}

/// Drops the least recently seen entry.
pub(crate) fn forget_least_recent<T: Recent>(map: &mut std::collections::HashMap<String, T>) {
    if let Some(oldest) = map
        .iter()
        .min_by_key(|(_, entry)| entry.last_seen())
        .map(|(name, _)| name.clone())
    {
        map.remove(&oldest);
    }
}

pub mod anomaly;
pub mod catalog;
mod cloudtrail;
pub mod destinations;
pub mod function_roles;
pub mod inventory;
pub mod stolen_credentials;

/// What a set of detectors wants of raw JSON records, compiled once: one
/// pass over the record for every detector's needles.
#[derive(Debug)]
pub enum RawInterest {
    /// A detector wants every record.
    Every,
    /// Records holding one of the needles: aho-corasick's packed (SIMD)
    /// searcher where the machine has it, else an automaton.
    Packed(aho_corasick::packed::Searcher),
    Needles(aho_corasick::AhoCorasick),
    /// No detector reads JSON records.
    Nothing,
}

impl RawInterest {
    pub fn of(detectors: &[Box<dyn Detector>]) -> RawInterest {
        let mut needles = Vec::new();
        for detector in detectors {
            match detector.raw_needles() {
                Some(theirs) => needles.extend_from_slice(theirs),
                None => return RawInterest::Every,
            }
        }
        if needles.is_empty() {
            return RawInterest::Nothing;
        }
        if let Some(searcher) = aho_corasick::packed::Searcher::new(&needles) {
            return RawInterest::Packed(searcher);
        }
        match aho_corasick::AhoCorasick::new(&needles) {
            Ok(automaton) => RawInterest::Needles(automaton),
            // Cannot happen with these few short needles; parsing every
            // record is the safe answer if it does.
            Err(_) => RawInterest::Every,
        }
    }

    pub fn wants(&self, raw: &[u8]) -> bool {
        match self {
            RawInterest::Every => true,
            RawInterest::Packed(searcher) => searcher.find(raw).is_some(),
            RawInterest::Needles(automaton) => automaton.is_match(raw),
            RawInterest::Nothing => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::function_roles::FunctionRoles;
    use super::stolen_credentials::StolenCredentials;
    use super::*;

    #[test]
    fn raw_interest_is_the_union_of_the_detectors_needles() {
        let detectors: Vec<Box<dyn Detector>> = vec![
            Box::new(StolenCredentials::default()),
            Box::new(FunctionRoles::default()),
        ];
        let interest = RawInterest::of(&detectors);
        assert!(interest.wants(br#"{"userIdentity":{"accessKeyId":"ASIAXYZ"}}"#));
        assert!(interest.wants(br#"{"eventName":"UpdateAssumeRolePolicy"}"#));
        assert!(interest.wants(br#"{"eventName":"CreateFunction20150331"}"#));
        assert!(
            !interest.wants(br#"{"eventName":"GetObject","userIdentity":{"accessKeyId":"AKIAX"}}"#)
        );
        assert!(matches!(RawInterest::of(&[]), RawInterest::Nothing));
    }
}
