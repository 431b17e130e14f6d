//! The XML parser and exclusive c14n never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provisiond::saml::xml::{parse, Limits};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits {
        max_bytes: 64 * 1024,
        ..Limits::default()
    };
    if let Ok(doc) = parse(text, &limits) {
        let _ = doc.root().attr("ID");
        let _ = provisiond::saml::response::peek_in_response_to(text, &limits);
    }
});
