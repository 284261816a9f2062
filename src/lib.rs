//! driftgate: policy-as-code drift validation and SOC 2 evidence for contact-center
//! platforms (Genesys Cloud CX, NICE CXone).
//!
//! The pipeline: snapshot → [`normalize`] → [`schema`] gate → [`diff`] against a baseline →
//! [`policy`] evaluation → [`report`]. [`check::run_check`] runs it end to end.

pub mod alert;
pub mod audit;
pub mod baseline;
pub mod canonical;
pub mod catalog;
pub mod check;
pub mod clock;
pub mod collect;
pub mod config;
pub mod diff;
mod error;
pub mod evidence;
pub mod forensics;
pub mod fsutil;
pub mod input;
pub mod jobs;
pub mod normalize;
pub mod period;
pub mod platform;
pub mod policy;
pub mod report;
pub mod schema;
pub mod snapshot;

pub use error::{Error, Result};
