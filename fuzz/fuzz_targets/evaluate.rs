//! Structured packets (see `src/generate.rs`): real field names, enumerated values, dates
//! around the clock, URLs, claims and secrets, mostly as edits of the example packets; judged
//! by the full rule evaluation of `packetgate check --offline`, with the clock, fail level
//! and freshness window also drawn from the input. See `src/harness.rs` for the invariants.
//!
//! To see the packet an input stands for (a crash's, for a regression fixture), run the
//! target on it with `PACKETGATE_FUZZ_DUMP=FOLDER`: the packet file and its judging options
//! are written there.
#![no_main]

use libfuzzer_sys::fuzz_target;
use packetgate::finding::Severity;
use packetgate_fuzz::{generate, harness};

// The built-in policies are read and their regexes compiled once, before the first input
// (which would otherwise be charged for it against the 1 s timeout).
fuzz_target!(init: { harness::warm_up(); }, |input: generate::Input| {
    let (path, bytes) = generate::render(&input);
    let fail_on = if input.fail_on_warning {
        Severity::Warning
    } else {
        Severity::Error
    };
    let opts = harness::options(
        generate::today(&input),
        fail_on,
        input.max_age_days.map(u32::from),
    );
    let assigned = input
        .assigned
        .map(|bc| if bc { "budget-change" } else { "cost-trace" });
    generate::dump(&path, &bytes, &opts, assigned);
    harness::judge(
        harness::builtin(),
        &harness::candidate(&path, assigned),
        &bytes,
        &opts,
    );
});
