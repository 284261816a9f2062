//! driftgate: policy-as-code drift validation and SOC 2 evidence for contact-center
//! platforms (Genesys Cloud CX, NICE CXone).
//!
//! The pipeline: snapshot → [`normalize`] → [`schema`] gate → [`diff`] against a baseline →
//! [`policy`] evaluation → [`report`]. [`check::run_check`] runs it end to end.

pub mod canonical;
pub mod catalog;
pub mod diff;
pub mod error;
pub mod input;
pub mod normalize;
pub mod policy;
pub mod schema;
pub mod snapshot;

pub use error::{Error, Result};
