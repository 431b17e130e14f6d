//! Counts of the expensive operations one validation performs (canonical bytes,
//! namespace checks, digested bytes, RSA/EC operations, parses), kept per thread.
//!
//! Issue #12 asks that anything an anonymous POST reaches does work linear in its size
//! and bounded before trust. Timings are noisy on a shared machine and have no place in
//! tests, so the defences are tested on these counts instead: "the worst input within the
//! limits does no RSA operation", "canonicalization touches each namespace declaration a
//! bounded number of times". Counting is a thread-local add per operation (not per
//! byte), far below the noise of the work it counts.

use std::cell::Cell;

/// Work done on the current thread since the last [`measure`] began.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Documents parsed (`xml::parse`, `xml::parse_in_context`).
    pub parses: u64,
    /// Elements created by the parser.
    pub parsed_elements: u64,
    /// Bytes written by canonicalization.
    pub canonical_bytes: u64,
    /// Namespace bindings canonicalization looked at or changed (declarations,
    /// prefixes in use, inclusive prefixes): the quantity that is quadratic when a scope
    /// is copied per element.
    pub ns_checks: u64,
    /// Bytes fed to a digest (Reference content).
    pub digested_bytes: u64,
    /// Public-key signature verifications attempted (RSA or ECDSA).
    pub signature_verifications: u64,
    /// RSA private-key operations attempted (EncryptedKey unwrapping).
    pub rsa_decryptions: u64,
    /// Bytes decrypted with a session key (EncryptedData).
    pub decrypted_bytes: u64,
}

thread_local! {
    static WORK: Cell<Work> = const { Cell::new(Work {
        parses: 0,
        parsed_elements: 0,
        canonical_bytes: 0,
        ns_checks: 0,
        digested_bytes: 0,
        signature_verifications: 0,
        rsa_decryptions: 0,
        decrypted_bytes: 0,
    }) };
}

/// Runs `f` and returns its result with the work it did on this thread.
/// (Nested calls measure their own part; the outer one includes it.)
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Work) {
    let before = WORK.with(Cell::get);
    let r = f();
    let after = WORK.with(Cell::get);
    (r, after.since(&before))
}

impl Work {
    fn since(&self, b: &Work) -> Work {
        Work {
            parses: self.parses - b.parses,
            parsed_elements: self.parsed_elements - b.parsed_elements,
            canonical_bytes: self.canonical_bytes - b.canonical_bytes,
            ns_checks: self.ns_checks - b.ns_checks,
            digested_bytes: self.digested_bytes - b.digested_bytes,
            signature_verifications: self.signature_verifications - b.signature_verifications,
            rsa_decryptions: self.rsa_decryptions - b.rsa_decryptions,
            decrypted_bytes: self.decrypted_bytes - b.decrypted_bytes,
        }
    }
}

/// Adds to this thread's counters.
pub(crate) fn add(f: impl FnOnce(&mut Work)) {
    WORK.with(|w| {
        let mut v = w.get();
        f(&mut v);
        w.set(v);
    });
}
