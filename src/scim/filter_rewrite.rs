//! Pre-parse rewrites of filter text that real clients send but `scim_v2`'s grammar
//! rejects (see [`tolerate_quirks`]). Pure string work; string literals are never touched.

/// Rewrite two forms real clients send that `scim_v2`'s grammar rejects, before parsing:
///
/// - `not(` without a space: RFC 7644 §3.4.2.2's ABNF (`"not" "(" FILTER ")"`) allows it,
///   the crate's lexer requires whitespace.
/// - `emails[type eq "work"].value eq "x"`: not in the RFC filter grammar, but Entra sends
///   it when the matching attribute is mapped to the work email. It means "an element
///   with type work whose value is x", which is exactly `emails[(type eq "work") and
///   value eq "x"]`.
///
/// String literals are skipped, so their content is never rewritten. Each rewrite is one
/// pass over the text: the cost is linear in the input's length whatever it holds.
pub(super) fn tolerate_quirks(input: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(input);
    if let Some(fixed) = space_after_not(&out) {
        out = std::borrow::Cow::Owned(fixed);
    }
    if let Some(fixed) = hoist_value_path_sub_attrs(&out) {
        out = std::borrow::Cow::Owned(fixed);
    }
    out
}

/// Byte index just past the string literal opening at `start` (a `"`), or the end.
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        step();
        match b.get(i) {
            Some(b'\\') => i += 2,
            Some(b'"') => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn space_after_not(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut inserts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b.get(i) == Some(&b'"') {
            i = skip_string(b, i);
            continue;
        }
        let boundary = i == 0
            || matches!(b.get(i.wrapping_sub(1)), Some(c) if c.is_ascii_whitespace() || *c == b'(' || *c == b'[');
        if boundary
            && b.get(i..i + 3)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"not"))
            && b.get(i + 3) == Some(&b'(')
        {
            inserts.push(i + 3);
        }
        i += 1;
    }
    if inserts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len() + inserts.len());
    let mut last = 0;
    for at in inserts {
        out.push_str(s.get(last..at)?);
        out.push(' ');
        last = at;
    }
    out.push_str(s.get(last..)?);
    Some(out)
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Rewrite every `attr[inner].sub op value` into `attr[(inner) and sub op value]`, in one
/// left-to-right pass (linear in the input: each byte is looked at a bounded number of
/// times). The edits are collected as positions in the input and applied once at the
/// end, so a rewrite never copies or rescans what it has already seen (rescanning the
/// whole string per bracket was quadratic in hostile input; docs/security.md).
fn hoist_value_path_sub_attrs(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // (position, end, text): replace `s[position..end]` by `text` (`end == position` is an
    // insertion). Ranges never overlap: the scan resumes after each replaced range.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut opens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        step();
        match b.get(i) {
            Some(b'"') => {
                i = skip_string(b, i);
                continue;
            }
            Some(b'[') => opens.push(i),
            Some(b']') => {
                let Some(open) = opens.pop() else {
                    // Unbalanced: the parser rejects it whatever we do.
                    i += 1;
                    continue;
                };
                if let Some((end, text)) = sub_attr_comparison(s, i) {
                    edits.push((open + 1, open + 1, "(".to_owned()));
                    edits.push((i, end, text));
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if edits.is_empty() {
        return None;
    }
    // An inner bracket's edits are found before its outer bracket's insertion; order by
    // position (an insertion before a replacement starting at the same place).
    edits.sort_by_key(|(at, end, _)| (*at, *end));
    let mut out = String::with_capacity(s.len() + 8 * edits.len());
    let mut last = 0;
    for (at, end, text) in edits {
        out.push_str(s.get(last..at)?);
        out.push_str(&text);
        last = end;
    }
    out.push_str(s.get(last..)?);
    Some(out)
}

/// At `close` (a `]`), the `.sub op value` that follows, as the end of that text and its
/// replacement `) and sub op value]`; `None` when no sub-attribute follows.
fn sub_attr_comparison(s: &str, close: usize) -> Option<(usize, String)> {
    let b = s.as_bytes();
    if b.get(close + 1) != Some(&b'.') {
        return None;
    }
    let sub_start = close + 2;
    let mut j = sub_start;
    while b.get(j).is_some_and(|c| is_name_byte(*c)) {
        j += 1;
    }
    let sub_end = j;
    if sub_end == sub_start {
        return None;
    }
    while b.get(j).is_some_and(u8::is_ascii_whitespace) {
        j += 1;
    }
    let op_start = j;
    while b.get(j).is_some_and(u8::is_ascii_alphabetic) {
        j += 1;
    }
    let op = s.get(op_start..j)?;
    let end = if op.eq_ignore_ascii_case("pr") {
        j
    } else {
        while b.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if b.get(j) == Some(&b'"') {
            skip_string(b, j)
        } else {
            while b
                .get(j)
                .is_some_and(|c| !c.is_ascii_whitespace() && *c != b')')
            {
                j += 1;
            }
            j
        }
    };
    let sub = s.get(sub_start..sub_end)?;
    let comparison = s.get(op_start..end)?;
    Some((end, format!(") and {sub} {comparison}]")))
}

/// Counts scanned bytes in tests, so a test can prove the rewrite stays linear without
/// timing anything; nothing in other builds.
#[cfg(test)]
fn step() {
    tests::STEPS.with(|s| s.set(s.get() + 1));
}

#[cfg(not(test))]
fn step() {}

#[cfg(test)]
#[path = "filter_rewrite_tests.rs"]
mod tests;
