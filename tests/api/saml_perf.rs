//! Per-login cost of `validate_and_consume` with a real database (ignored by default; for
//! docs/performance.md): `cargo nextest run --release --run-ignored only saml_perf`.

use std::time::Instant;

use provisiond::sso::login::validate_and_consume;

use crate::saml_db_tests;
use crate::saml_support::*;

fn measure(db: &TestDb) {
    let app = db.replica();
    insert_okta_connection(&app, "acme", "conn_1", true);
    let value = b64("responses/okta-rsa-idp-initiated.xml");
    // Forget the assertion between rounds (a purge with a far-future "now").
    let clear = |app: &provisiond::app::AppState| {
        let later = at(23, 0).naive_utc();
        block_on(
            app.db
                .write(move |c| provisiond::store::replay::purge_expired_replay_entries(c, later)),
        )
        .unwrap();
    };
    // Warm-up: pool connections, SP key generation.
    block_on(validate_and_consume(&app, "conn_1", &value, at(12, 1))).unwrap();
    clear(&app);
    let n = 200;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut spent = std::time::Duration::ZERO;
    for _ in 0..n {
        let t = Instant::now();
        rt.block_on(validate_and_consume(&app, "conn_1", &value, at(12, 1)))
            .unwrap();
        spent += t.elapsed();
        clear(&app);
    }
    let mean = |d: std::time::Duration| d.as_secs_f64() * 1e6 / f64::from(n);
    eprintln!(
        "PERF {:?}: validate_and_consume mean {:.1} µs over {n}",
        db.backend,
        mean(spent)
    );
    // Parts: an empty write transaction, an empty read, loading the SP key pair.
    let (mut w, mut r, mut k) = Default::default();
    for _ in 0..n {
        let t = Instant::now();
        rt.block_on(app.db.write(|_| Ok::<_, provisiond::db::DbError>(())))
            .unwrap();
        w += t.elapsed();
        let t = Instant::now();
        rt.block_on(app.db.read(|_| Ok::<_, provisiond::db::DbError>(())))
            .unwrap();
        r += t.elapsed();
        let t = Instant::now();
        rt.block_on(provisiond::sso::keys::sp_key_pair(
            &app,
            Some("conn_1".into()),
        ))
        .unwrap();
        k += t.elapsed();
    }
    let (w, r, k): (
        std::time::Duration,
        std::time::Duration,
        std::time::Duration,
    ) = (w, r, k);
    eprintln!(
        "PERF {:?}: empty write tx {:.1} µs, empty read {:.1} µs, sp_key_pair {:.1} µs",
        db.backend,
        mean(w),
        mean(r),
        mean(k)
    );
}

saml_db_tests! {
    #[ignore]
    fn validate_and_consume_cost(db) {
        measure(&db);
    }
}
