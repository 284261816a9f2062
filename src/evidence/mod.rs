//! Evidence: the seventh stage. Each run's raw and normalized snapshot, report, rendered
//! reports and quarantine are written once into a store, listed with their hashes in a
//! signed manifest, and chained per tenant (each manifest holds the previous one's hash),
//! so that an auditor can verify completeness and integrity without trusting driftgate.

pub mod keys;
pub mod manifest;
mod package;
pub mod store;
pub mod verify;
pub mod witness;

pub use keys::{PublicKey, Signer25519};
pub use manifest::{ChainEntry, Manifest};
pub use package::{
    daily_package_files, roll_forward, write_package, PackageInput, Written, NORMALIZED_SNAPSHOT_FILE, QUARANTINE_DIR,
    RAW_SNAPSHOT_FILE, VERIFIER_SCRIPT,
};
pub use verify::{verify_store, Problem, VerifyOptions, VerifyReport, WitnessHead};
pub use witness::WitnessConfig;
