//! The quirk rewriter: what it rewrites, and that its work is linear in the input.

use std::cell::Cell;

use super::tolerate_quirks;

thread_local! {
    pub(super) static STEPS: Cell<usize> = const { Cell::new(0) };
}

fn steps_for(input: &str) -> (String, usize) {
    STEPS.with(|s| s.set(0));
    let out = tolerate_quirks(input).into_owned();
    (out, STEPS.with(Cell::get))
}

#[test]
fn rewrites_entra_value_paths_and_not_without_space() {
    let cases = [
        (
            r#"emails[type eq "work"].value eq "x""#,
            r#"emails[(type eq "work") and value eq "x"]"#,
        ),
        (
            r#"emails[type eq "work"].value pr and userName sw "b""#,
            r#"emails[(type eq "work") and value pr] and userName sw "b""#,
        ),
        (
            r#"(emails[type eq "a"].value ew ".com") or addresses[type eq "b"].region eq x"#,
            r#"(emails[(type eq "a") and value ew ".com"]) or addresses[(type eq "b") and region eq x]"#,
        ),
        (r#"not(title pr)"#, r#"not (title pr)"#),
        (r#"title eq "not(x)""#, r#"title eq "not(x)""#),
        (
            r#"emails[type eq "]."].value eq "a\"]b""#,
            r#"emails[(type eq "].") and value eq "a\"]b"]"#,
        ),
        (r#"emails[type eq "work"]"#, r#"emails[type eq "work"]"#),
        // Garbage stays garbage for the parser to reject, without a panic.
        (r#"]].x eq 1 [a"#, r#"]].x eq 1 [a"#),
        (r#"a[].b eq 1"#, r#"a[() and b eq 1]"#),
    ];
    for (input, want) in cases {
        assert_eq!(tolerate_quirks(input), want, "{input}");
    }
}

/// The defence against the quadratic rescan: many value paths cost a bounded number of
/// scanned bytes per input byte. Looping a whole-string rewrite once per bracket (the
/// old code) scans about `paths × length` bytes and fails this.
#[test]
fn many_value_paths_cost_linear_work() {
    let one = r#"emails[type eq "work"].value eq "a@b.c" or "#;
    for n in [10usize, 400] {
        let input = format!("{}userName pr", one.repeat(n));
        let (out, steps) = steps_for(&input);
        assert_eq!(out.matches(") and value eq").count(), n);
        assert!(
            steps <= 3 * input.len(),
            "{n} value paths: {steps} steps for {} bytes",
            input.len()
        );
    }
    // Nested brackets and long strings are linear too.
    let nested = format!("{}x{}", "[".repeat(5000), "].v eq 1".repeat(5000));
    let (_, steps) = steps_for(&nested);
    assert!(steps <= 3 * nested.len(), "{steps} for {}", nested.len());
}
