//! The `driftgate` binary: argument parsing and wiring only; the work is in the library.

// Errors carry the source text and span of the file at fault so that miette can point
// into it; they are built once, on the way out, so their size costs nothing that matters.
#![allow(clippy::result_large_err)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
