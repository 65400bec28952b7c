//! `fnguard detect` (guide §3.4.1, §3.4.3, §2.1): attacks and anomalies in
//! CloudTrail, DNS, flow and function logs. `input` streams events from
//! logs; `sigma` compiles Sigma rules once and matches them.

pub mod alert;
pub mod detectors;
pub mod input;
pub mod output;
pub mod pack;
pub mod sigma;
pub mod state;
