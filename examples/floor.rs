//! The floor the benchmark compares `check` against: read the snapshot, parse it as JSON,
//! and hash it with SHA-256, nothing else.
//!
//! cargo run --release --example floor -- FILE     prints milliseconds and bytes

use sha2::Digest;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: floor FILE");
        std::process::exit(2);
    };
    let t = std::time::Instant::now();
    let bytes = std::fs::read(&path).expect("read");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let digest = sha2::Sha256::digest(&bytes);
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box((&value, digest));
    println!("{ms:.1} ms {} bytes", bytes.len());
}
