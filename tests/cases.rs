//! The fixture corpus: one packet per rule and per kind of bad input, each with a
//! `.expect` file holding the packet's verdict and its exact findings
//! (`LINE:COL RULE FIELD`, `-` for prose and file-level findings).
//! The real binary judges the whole corpus in one run, the way a user would name files on
//! the command line; any difference fails with every differing case listed.
//! `UPDATE_EXPECT=1 cargo test --test cases` rewrites the files (review the diff!).

mod support;

use support::{check_json, finding_lines, root};

#[test]
fn every_case_matches_its_expectation() {
    let dir = root().join("tests/fixtures/cases");
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .expect("cases folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".expect"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "corpus has only {} cases", cases.len());
    let args: Vec<&str> = cases.iter().map(String::as_str).collect();
    let (code, json) = check_json(&dir, &args);
    let packets = json["packets"].as_array().expect("packets array");
    assert_eq!(packets.len(), cases.len(), "one report entry per case");
    let any_fail = packets.iter().any(|p| p["verdict"] == "fail");
    assert_eq!(code, i32::from(any_fail), "exit code follows the verdicts");

    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for (name, packet) in cases.iter().zip(packets) {
        assert_eq!(packet["path"].as_str(), Some(name.as_str()), "report order");
        let mut actual = vec![format!(
            "verdict: {}",
            packet["verdict"].as_str().unwrap_or("?")
        )];
        actual.extend(finding_lines(packet));
        let actual = actual.join("\n") + "\n";
        let expect_path = dir.join(format!("{name}.expect"));
        if update {
            std::fs::write(&expect_path, &actual).expect("write expect");
            continue;
        }
        let expected = std::fs::read_to_string(&expect_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "--- {name}\nexpected:\n{expected}actual:\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
