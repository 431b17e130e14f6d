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
/// String literals are skipped, so their content is never rewritten.
pub(super) fn tolerate_quirks(input: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(input);
    if let Some(fixed) = space_after_not(&out) {
        out = std::borrow::Cow::Owned(fixed);
    }
    // Each rewrite removes one `].sub` suffix; bound the loop by the bracket count.
    for _ in 0..input.matches(']').count() {
        match hoist_value_path_sub_attr(&out) {
            Some(fixed) => out = std::borrow::Cow::Owned(fixed),
            None => break,
        }
    }
    out
}

/// Byte index just past the string literal opening at `start` (a `"`), or the end.
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
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

/// Rewrite the first `attr[inner].sub op value` into `attr[(inner) and sub op value]`.
fn hoist_value_path_sub_attr(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut opens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b.get(i) {
            Some(b'"') => {
                i = skip_string(b, i);
                continue;
            }
            Some(b'[') => opens.push(i),
            Some(b']') => {
                let open = opens.pop()?;
                if b.get(i + 1) == Some(&b'.') {
                    let sub_start = i + 2;
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
                    let inner = s.get(open + 1..i)?;
                    let sub = s.get(sub_start..sub_end)?;
                    let comparison = s.get(op_start..end)?;
                    return Some(format!(
                        "{}[({inner}) and {sub} {comparison}]{}",
                        s.get(..open)?,
                        s.get(end..)?
                    ));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}
