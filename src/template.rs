//! `packetgate new KIND`: a template packet generated from the policy's field docs, so a
//! repository that adds fields gets them in its template too. Values are `<PLACEHOLDERS>`,
//! which the gate treats as missing until filled in; optional fields are commented out.

use crate::config::policy::Policy;
use crate::rules::required::Required;
use std::fmt::Write;

fn required_fields(policy: &Policy) -> Vec<&str> {
    policy
        .rules
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|r| r.kind_as::<Required>())
        .flat_map(|req| &req.fields)
        .filter_map(|f| f.is_concrete().then(|| f.top_key()).flatten())
        .collect()
}

pub fn render(policy: &Policy, markdown: bool) -> String {
    let required = required_fields(policy);
    let mut out = String::new();
    if markdown {
        out.push_str("---\n");
    }
    let _ = writeln!(out, "packet: {}", policy.id);
    for f in policy.fields.iter().filter(|f| f.name != "packet") {
        let placeholder = format!("\"<{}>\"", f.name.to_ascii_uppercase());
        let comment = match &f.example {
            Some(e) => format!("{} (e.g. {e})", f.description),
            None => f.description.clone(),
        };
        let optional = if required.contains(&f.name.as_str()) {
            ""
        } else {
            "# "
        };
        let _ = writeln!(out, "{optional}{}: {placeholder}  # {comment}", f.name);
    }
    if markdown {
        out.push_str("---\n\n## What changed\n\n<Describe the change in a few sentences.>\n\n");
        out.push_str(
            "## What the smoke test showed\n\n<Happy path, error path, retries observed.>\n\n",
        );
        out.push_str("## What this does not prove\n\n<Exact future spend, rate limits, uptime, final billing totals …>\n");
    }
    out
}
