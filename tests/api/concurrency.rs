//! Concurrent writers: no "database is locked" on SQLite, and the event feed's sequence
//! is gap-free and in commit order on both backends.

use std::collections::HashSet;

use serde_json::json;

use crate::backend_tests;

backend_tests! {
    fn concurrent_writes_all_succeed_and_events_stay_ordered(app) {
        let app = std::sync::Arc::new(app);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let app = app.clone();
                std::thread::spawn(move || {
                    for i in 0..6 {
                        let slug = format!("org-{t}-{i}");
                        let res = app.admin_post("/admin/v1/organizations", json!({"name": slug, "slug": slug}));
                        assert_eq!(res.status(), 201, "{}", res.text().unwrap());
                        let res = app.admin_post(&format!("/admin/v1/organizations/{slug}/roles"), json!({"key": "r", "name": "R"}));
                        assert_eq!(res.status(), 201);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let events = app.events();
        let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
        assert_eq!(seqs, expected, "event sequence must be gap-free and ordered");
        let orgs: HashSet<&str> = events.iter().filter(|e| e["type"] == "organization.created")
            .map(|e| e["subject_id"].as_str().unwrap()).collect();
        assert_eq!(orgs.len(), 48);
        assert_eq!(events.iter().filter(|e| e["type"] == "role.created").count(), 48);
    }

    fn concurrent_duplicate_slugs_make_exactly_one(app) {
        let app = std::sync::Arc::new(app);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let app = app.clone();
                std::thread::spawn(move || {
                    app.admin_post("/admin/v1/organizations", json!({"name": "Same", "slug": "same"})).status().as_u16()
                })
            })
            .collect();
        let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        statuses.sort();
        assert_eq!(statuses, vec![201, 409, 409, 409, 409, 409, 409, 409]);
    }
}
