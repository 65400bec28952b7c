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
}

pub mod anomaly;
pub mod catalog;
mod cloudtrail;
pub mod destinations;
pub mod function_roles;
pub mod inventory;
pub mod stolen_credentials;
