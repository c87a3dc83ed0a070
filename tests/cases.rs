//! The fixture corpus: one packet per rule and per kind of bad input, each with a
//! `.expect` file holding the packet's verdict and its exact findings
//! (`LINE:COL RULE FIELD`, `-` for prose and file-level findings).
//! The real binary judges the whole corpus in one run, the way a user would name files on
//! the command line; any difference fails with every differing case listed.
//! `UPDATE_EXPECT=1 cargo test --test cases` rewrites the files (review the diff!).

mod support;

use support::{check_json, compare_with_expect_files, fixture_names, root};

#[test]
fn every_case_matches_its_expectation() {
    let dir = root().join("tests/fixtures/cases");
    let cases = fixture_names(&dir);
    assert!(cases.len() >= 40, "corpus has only {} cases", cases.len());
    let args: Vec<&str> = cases.iter().map(String::as_str).collect();
    let (code, json) = check_json(&dir, &args);
    let packets = json["packets"].as_array().expect("packets array");
    let any_fail = packets.iter().any(|p| p["verdict"] == "fail");
    assert_eq!(code, i32::from(any_fail), "exit code follows the verdicts");
    compare_with_expect_files(&dir, &cases, packets);
}
