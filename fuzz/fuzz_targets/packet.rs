//! Arbitrary bytes as a packet file: decoding (UTF-8, BOMs, UTF-16), front matter, YAML with
//! spans, the kind, exactly as the engine loads a file; then the whole check of the bytes as
//! a YAML and as a Markdown packet. See `src/harness.rs` for the invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use packetgate::finding::Severity;
use packetgate_fuzz::harness;

// The built-in policies are read and their regexes compiled once, before the first input
// (which would otherwise be charged for it against the 1 s timeout).
fuzz_target!(init: { harness::warm_up(); }, |data: &[u8]| {
    harness::load_packet(data);
    let opts = harness::options(harness::today(), Severity::Error, None);
    for path in ["fuzz.yaml", "fuzz.md"] {
        harness::judge(harness::builtin(), &harness::candidate(path, None), data, &opts);
    }
});
