//! Arbitrary bytes as the repository config (`.packetgate.yml`) and as a repository policy
//! file, loaded through `config::load_from` with an in-memory reader (no file system). A
//! config that loads judges the example packets and its own templates. See
//! `src/harness.rs` for the invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use packetgate_fuzz::harness;

// The built-in policies are read and their regexes compiled once, before the first input
// (which would otherwise be charged for it against the 1 s timeout).
fuzz_target!(init: { harness::warm_up(); }, |data: &[u8]| {
    let _ = harness::policy_and_config(data);
});
