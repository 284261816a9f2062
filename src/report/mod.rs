//! Reports: the sixth stage. [`build`] assembles the `driftgate.report/v1` document from
//! what the other stages produced; renderers (one file each under `render/`, behind the
//! [`Render`] trait) turn it into the formats people and CI systems read.

mod build;
mod model;
pub mod render;
pub mod source;

pub use build::{build, gate, ReportInputs};
pub use model::*;
pub use render::{formats, renderer, Render};
