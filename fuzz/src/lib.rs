//! Shared code of the fuzz targets: the harness (what runs and which invariants hold; also
//! used by `tests/fuzz_regressions.rs`) and the structured packet generator.

pub mod generate;
pub mod harness;
