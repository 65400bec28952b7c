//! `fnguard detect` (guide §3.4.1, §3.4.3, §2.1): attacks and anomalies in
//! CloudTrail, DNS, flow and function logs.

pub mod input;
