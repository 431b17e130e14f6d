//! Liveness, readiness, metrics, request ids and JSON for unknown routes.

use crate::backend_tests;
use crate::support::Backend;

backend_tests! {
    fn health_ready_and_metrics(app) {
        let res = app.get("/healthz").send().unwrap();
        assert_eq!(res.status(), 200);
        let res = app.get("/readyz").send().unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().unwrap();
        let expected = match app.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        assert_eq!(body["database"], expected);

        app.admin_get("/admin/v1/organizations");
        let text = app.get("/metrics").send().unwrap().text().unwrap();
        assert!(text.contains(
            "provisiond_http_requests_total{method=\"GET\",route=\"/admin/v1/organizations\",status=\"200\"} 1"
        ), "{text}");
        assert!(text.contains("provisiond_http_request_duration_seconds_bucket{method=\"GET\",route=\"/readyz\""));
        assert!(text.contains(&format!("provisiond_db_pool_max_connections{{backend=\"{expected}\"}} 8")));
    }

    fn request_ids_are_echoed_or_generated(app) {
        let res = app.get("/healthz").header("x-request-id", "abc-123").send().unwrap();
        assert_eq!(res.headers()["x-request-id"], "abc-123");
        let res = app.get("/healthz").header("x-request-id", "bad id with spaces").send().unwrap();
        let generated = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(generated, "bad id with spaces");
        assert_eq!(generated.len(), 36);
    }

    fn unknown_routes_answer_json(app) {
        let res = app.get("/nowhere").send().unwrap();
        assert_eq!(res.status(), 404);
        let body: serde_json::Value = res.json().unwrap();
        assert_eq!(body["error"], "not_found");
    }
}
