//! The fixture corpus: one packet per rule and per kind of bad input, each with a
//! `.expect` file holding the verdict and the exact findings (`LINE:COL RULE FIELD`).
//! The real binary judges each file; any difference fails with a diff.
//! `UPDATE_EXPECT=1 cargo test --test cases` rewrites the files (review the diff!).

mod support;

use support::{check_json, finding_lines, root};

#[test]
fn every_case_matches_its_expectation() {
    let dir = root().join("tests/fixtures/cases");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases folder")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e != "expect"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "corpus has only {} cases", cases.len());
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let rel = case
            .strip_prefix(root())
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let (code, json) = check_json(&root(), &[&rel]);
        let packet = &json["packets"][0];
        let mut actual = vec![format!(
            "verdict: {} (exit {code})",
            json["verdict"].as_str().unwrap_or("?")
        )];
        actual.extend(finding_lines(packet));
        let actual = actual.join("\n") + "\n";
        let expect_path = case.with_extension(format!(
            "{}.expect",
            case.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        if update {
            std::fs::write(&expect_path, &actual).expect("write expect");
            continue;
        }
        let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("--- {rel}\nexpected:\n{expected}actual:\n{actual}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
