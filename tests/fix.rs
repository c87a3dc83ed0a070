//! `check --fix` and `--diff` with the real binary on real files: the mechanical repairs
//! (tracking parameters, enum case, `https://` for provider docs hosts) are made where the
//! findings point and nowhere else; comments, order, quoting, CRLF line endings and a
//! byte-order mark survive; the diff is one `git apply` accepts; and every example is tried.

mod support;

use std::fs;
use std::path::Path;
use support::{root, run_in, scratch, TODAY};

fn check(dir: &Path, args: &[&str]) -> support::Run {
    let mut all = vec!["check", "--offline", "--today", TODAY];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// A passing example, broken only in ways `--fix` repairs, with a comment on each line.
fn broken() -> (String, String) {
    let good =
        fs::read_to_string(root().join("examples/valid/budget-change-new-request-class.yaml"))
            .unwrap();
    let bad = good
        .replace(
            "environment: test\n",
            "environment: \"Test\"  # tested in test\n",
        )
        .replace(
            "  - url: https://apidoc.cometapi.com/\n",
            "  - url: http://apidoc.cometapi.com/?utm_source=newsletter&lang=en#intro # the docs\n",
        )
        .replace(
            "  - url: https://www.finops.org/framework/capabilities/unit-economics/\n",
            "  - url: 'https://www.finops.org/framework/capabilities/unit-economics/?fbclid=abc'\n",
        );
    let fixed = good
        .replace(
            "environment: test\n",
            "environment: \"test\"  # tested in test\n",
        )
        .replace(
            "  - url: https://apidoc.cometapi.com/\n",
            "  - url: https://apidoc.cometapi.com/?lang=en#intro # the docs\n",
        )
        .replace(
            "  - url: https://www.finops.org/framework/capabilities/unit-economics/\n",
            "  - url: 'https://www.finops.org/framework/capabilities/unit-economics/'\n",
        );
    assert_ne!(bad, good);
    (bad, fixed)
}

#[test]
fn fix_repairs_in_place_and_keeps_everything_else() {
    for (name, bom, crlf) in [
        ("plain", false, false),
        ("crlf", false, true),
        ("bom", true, false),
        ("bom-crlf", true, true),
    ] {
        let dir = scratch(&format!("fix-{name}"));
        let (bad, fixed) = broken();
        let dress = |t: &str| {
            let t = if crlf {
                t.replace('\n', "\r\n")
            } else {
                t.to_string()
            };
            if bom {
                format!("\u{feff}{t}")
            } else {
                t
            }
        };
        fs::write(dir.join("p.yaml"), dress(&bad)).unwrap();
        let before = check(&dir, &["p.yaml"]);
        assert_eq!(before.code, 1, "{name}: {}", before.stdout);
        let r = check(&dir, &["--fix", "p.yaml"]);
        assert_eq!(
            r.code, 0,
            "{name}: after the fix it passes:\n{}{}",
            r.stdout, r.stderr
        );
        assert!(
            r.stderr.contains("fixed 3 findings in 1 file"),
            "{name}: {}",
            r.stderr
        );
        assert_eq!(
            fs::read_to_string(dir.join("p.yaml")).unwrap(),
            dress(&fixed),
            "{name}: exactly the repairs, nothing else"
        );
        // Nothing left to do.
        let again = check(&dir, &["--diff", "p.yaml"]);
        assert_eq!((again.code, again.stdout.as_str()), (0, ""), "{name}");
    }
}

#[test]
fn diff_writes_nothing_and_git_applies_it() {
    let dir = scratch("fix-diff");
    let (bad, fixed) = broken();
    fs::write(dir.join("p.yaml"), &bad).unwrap();
    let r = check(&dir, &["--diff", "p.yaml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("--- a/p.yaml\n+++ b/p.yaml\n@@ "),
        "{}",
        r.stdout
    );
    assert_eq!(
        fs::read_to_string(dir.join("p.yaml")).unwrap(),
        bad,
        "nothing written"
    );
    fs::write(dir.join("fix.patch"), &r.stdout).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["apply", "fix.patch"]);
    assert_eq!(fs::read_to_string(dir.join("p.yaml")).unwrap(), fixed);
}

/// Every example: `--fix` changes only lines that had a repairable finding, the result still
/// parses, and no repairable finding is left; passing examples are untouched.
#[test]
fn fix_on_every_example() {
    let dir = scratch("fix-examples");
    let mut names = Vec::new();
    for sub in ["valid", "invalid"] {
        for e in fs::read_dir(root().join("examples").join(sub)).unwrap() {
            let e = e.unwrap();
            let name = format!("{sub}-{}", e.file_name().to_string_lossy());
            fs::copy(e.path(), dir.join(&name)).unwrap();
            names.push(name);
        }
    }
    let originals: Vec<String> = names
        .iter()
        .map(|n| fs::read_to_string(dir.join(n)).unwrap())
        .collect();
    let (_, before) = support::check_json(&dir, &["."]);
    let r = check(&dir, &["--fix", "."]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    let (_, after) = support::check_json(&dir, &["."]);
    let repairable = ["url-tracking", "bc-environment", "ct-decision"];
    for (name, original) in names.iter().zip(&originals) {
        let now = fs::read_to_string(dir.join(name)).unwrap();
        let packet = |report: &serde_json::Value| {
            report["packets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["path"].as_str().unwrap().ends_with(name.as_str()))
                .cloned()
                .unwrap()
        };
        let lines_with = |p: &serde_json::Value| -> Vec<u64> {
            p["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| {
                    repairable.contains(&f["rule"].as_str().unwrap()) || f["rule"] == "url-https"
                })
                .map(|f| f["line"].as_u64().unwrap())
                .collect()
        };
        let allowed = lines_with(&packet(&before));
        for (i, (a, b)) in original.lines().zip(now.lines()).enumerate() {
            if a != b {
                assert!(
                    allowed.contains(&(i as u64 + 1)),
                    "{name}:{} changed without a repairable finding there:\n-{a}\n+{b}",
                    i + 1
                );
            }
        }
        assert_eq!(original.lines().count(), now.lines().count(), "{name}");
        if name.starts_with("valid-") {
            assert_eq!(&now, original, "{name}: a passing example is not touched");
        }
        let left = packet(&after);
        assert!(
            !left["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "url-tracking"),
            "{name}: tracking parameters left"
        );
        assert!(
            !left["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["rule"] == "yaml-syntax"),
            "{name}: the fix broke the YAML"
        );
    }
    assert!(
        originals
            .iter()
            .zip(&names)
            .any(|(o, n)| *o != fs::read_to_string(dir.join(n)).unwrap()),
        "some example had something to repair"
    );
}
