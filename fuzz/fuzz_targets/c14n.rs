//! Canonicalization (inclusive and exclusive, with an InclusiveNamespaces list) never
//! panics on any parsed document, and its work stays linear in the input: the namespace
//! bindings it looks at and the bytes it writes are bounded by the input size (issue
//! #12; a scope copied per element, or output re-rendering long URIs, would trip this).
#![no_main]

use libfuzzer_sys::fuzz_target;
use provisiond::saml::c14n::{budget_for, canonicalize_within, Method};
use provisiond::saml::work::measure;
use provisiond::saml::xml::{parse, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits {
        max_bytes: 64 * 1024,
        ..Limits::default()
    };
    let Ok(doc) = parse(text, &limits) else {
        return;
    };
    let methods = [
        Method::Inclusive {
            with_comments: true,
        },
        Method::Exclusive {
            with_comments: false,
            inclusive_prefixes: vec!["#default".into(), "a".into(), "saml".into()],
        },
    ];
    let budget = budget_for(text.len());
    let child = doc.root().child_elements().next();
    for method in &methods {
        for apex in std::iter::once(doc.root()).chain(child) {
            let (out, work) = measure(|| canonicalize_within(&doc, apex, method, None, budget));
            assert!(
                work.ns_checks <= 2 * text.len() as u64 + 256,
                "namespace work not linear: {work:?} for {} bytes",
                text.len()
            );
            if let Ok(out) = out {
                assert!(out.len() <= budget);
            }
        }
    }
});
