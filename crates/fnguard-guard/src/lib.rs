//! `fnguard guard`: the Lambda extension that protects a function while it
//! runs (guide §2.3, §3.2.3, §3.3.3, §3.3.4, §3.4.2).
//!
//! - [`config`]: settings from `FNGUARD_*` variables and a TOML file; each
//!   control enforce, report or off.
//! - [`log`]: the security log (schema `fnguard.guard/1`), one JSON line per
//!   decision on stdout (CloudWatch), never an event body or a secret.
//! - [`extension`]: the Extensions API client (register, next event, errors).
//! - [`proxy`]: the Runtime API proxy between the runtime and Lambda, where
//!   every invocation is checked before the handler sees it.
//! - [`validate`]: event validation against a JSON Schema.
//! - [`integrity`]: files (the signed manifest of `/var/task` and `/opt`) and
//!   processes (the runtime replaced in memory, executables in `/tmp`).
//! - [`egress`]: the HTTP and CONNECT proxy that allows only listed
//!   destinations.
//! - [`run`]: the extension's life, wiring all of the above.
//! - [`layer`]: the Lambda layer that installs it (`fnguard guard package`).

pub mod config;
pub mod egress;
pub mod extension;
pub mod integrity;
pub mod layer;
pub mod log;
pub mod proxy;
pub mod run;
pub mod validate;
