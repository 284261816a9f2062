//! driftgate: policy-as-code drift validation and SOC 2 evidence for contact-center
//! platforms (Genesys Cloud CX, NICE CXone).
//!
//! The pipeline: snapshot → [`normalize`] → [`schema`] gate → [`diff`] against a baseline →
//! [`policy`] evaluation → [`report`]. [`check::run_check`] runs it end to end.

// Errors carry the source text and span of the file at fault so that miette can point
// into it; they are built once, on the way out, so their size costs nothing that matters.
#![allow(clippy::result_large_err)]

pub mod alert;
pub mod audit;
pub mod baseline;
pub mod canonical;
pub mod catalog;
pub mod check;
pub mod collect;
pub mod config;
pub mod diff;
pub mod error;
pub mod evidence;
pub mod forensics;
pub mod fsutil;
pub mod input;
pub mod jobs;
pub mod normalize;
pub mod platform;
pub mod policy;
pub mod report;
pub mod schema;
pub mod snapshot;

pub use error::{Error, Result};
