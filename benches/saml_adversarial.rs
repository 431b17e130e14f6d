//! Adversarial SAML cost bench (issue #12, "Done when"): for each class of expensive
//! anonymous input, the server-side CPU time of `validate_response` on the worst input
//! built within the parser limits, next to a valid signed Response of the same size.
//!
//! `cargo bench --bench saml_adversarial` prints a Markdown table (docs/performance.md,
//! "Adversarial SAML inputs"). CPU time is this thread's, from /proc/thread-self/schedstat
//! (other processes on a shared machine do not count, cache effects do), averaged over
//! as many runs as fill `MIN_CPU_NS` (the counter advances in scheduler steps, so single
//! sub-millisecond runs cannot be timed alone). `-- --write DIR` also writes every input, base64 as the
//! ACS form field expects, for the end-to-end bench (`bench/adversarial_acs.sh`).
#![expect(clippy::unwrap_used)]

#[path = "adversarial/inputs.rs"]
mod inputs;

use base64::Engine as _;
use inputs::*;
use provisiond::saml::response::validate_response;
use provisiond::saml::work::{measure, Work};

const MIN_CPU_NS: u64 = 300_000_000;
const MAX_RUNS: u64 = 5_000;
/// The 160 KiB; just under the ACS's default `saml_max_response_bytes` (192 KiB),
/// the largest an anonymous post can reach by default; and close to the parser's 1 MiB
/// limit (the valid Response's signature is computed over a standalone copy that must
/// itself fit the limit), to show the cost stays linear.
const SIZES: [usize; 3] = [160 * 1024, 190 * 1024, 900 * 1024];

/// CPU time of this thread so far, in nanoseconds.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Mean CPU milliseconds of validating `xml`, its outcome and its work counts.
fn cost(xml: &str) -> (f64, String, Work) {
    let cfg = config();
    let at = now();
    let (r, work) = measure(|| validate_response(xml, &cfg, at, None));
    let outcome = match r {
        Ok(_) => "accepted".into(),
        Err(e) => e.to_string(),
    };
    let start = cpu_ns();
    let mut runs = 0u64;
    while cpu_ns().saturating_sub(start) < MIN_CPU_NS && runs < MAX_RUNS {
        let _ = validate_response(xml, &cfg, at, None);
        runs += 1;
    }
    let spent = cpu_ns().saturating_sub(start);
    (spent as f64 / runs.max(1) as f64 / 1e6, outcome, work)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let write_dir = args
        .iter()
        .position(|a| a == "--write")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    if let Some(dir) = &write_dir {
        std::fs::create_dir_all(dir).unwrap();
        if args.iter().any(|a| a == "--write-only") {
            for size in SIZES {
                let kib = size / 1024;
                let all = [
                    ("valid", valid as Builder),
                    ("valid_both", valid_both_signed),
                ];
                for (name, build) in all
                    .iter()
                    .copied()
                    .chain(CLASSES.iter().map(|(n, _, b)| (*n, *b)))
                {
                    std::fs::write(dir.join(format!("{kib}k-{name}.b64")), b64(&build(size)))
                        .unwrap();
                }
            }
            return;
        }
    }
    println!(
        "| size | class | input bytes | outcome | CPU ms | valid, same size: CPU ms | ratio | c14n bytes | digested | verifies | RSA decrypts |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut worst_ratio = 0f64;
    let mut worst_ms = 0f64;
    for size in SIZES {
        let valid_xml = valid(size);
        let (valid_ms, outcome, w) = cost(&valid_xml);
        assert_eq!(outcome, "accepted");
        let both = valid_both_signed(size);
        let (both_ms, _, wb) = cost(&both);
        let kib = size / 1024;
        for (name, xml, ms, outcome, w) in [
            (
                "valid (assertion signed)",
                &valid_xml,
                valid_ms,
                "accepted".to_owned(),
                w,
            ),
            (
                "valid (both signed)",
                &both,
                both_ms,
                "accepted".to_owned(),
                wb,
            ),
        ] {
            println!(
                "| {kib} KiB | {name} | {} | {outcome} | {ms:.2} | {valid_ms:.2} | {:.2} | {} | {} | {} | {} |",
                xml.len(),
                ms / valid_ms,
                w.canonical_bytes,
                w.digested_bytes,
                w.signature_verifications,
                w.rsa_decryptions
            );
        }
        if let Some(dir) = &write_dir {
            std::fs::write(dir.join(format!("{kib}k-valid.b64")), b64(&valid_xml)).unwrap();
            std::fs::write(dir.join(format!("{kib}k-valid_both.b64")), b64(&both)).unwrap();
        }
        for (name, _, build) in CLASSES {
            let xml = build(size);
            let (ms, outcome, w) = cost(&xml);
            let ratio = ms / valid_ms;
            worst_ratio = worst_ratio.max(ratio);
            worst_ms = worst_ms.max(ms);
            println!(
                "| {kib} KiB | {name} | {} | {outcome} | {ms:.2} | {valid_ms:.2} | {ratio:.2} | {} | {} | {} | {} |",
                xml.len(),
                w.canonical_bytes,
                w.digested_bytes,
                w.signature_verifications,
                w.rsa_decryptions
            );
            if let Some(dir) = &write_dir {
                std::fs::write(dir.join(format!("{kib}k-{name}.b64")), b64(&xml)).unwrap();
            }
        }
    }
    println!("\nworst ratio {worst_ratio:.2}, worst adversarial CPU {worst_ms:.2} ms");
}
