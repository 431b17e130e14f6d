//! SCIM discovery endpoints describe what is implemented.

use serde_json::Value;

use crate::backend_tests;
use crate::scim_support::{assert_scim_error, directory};

backend_tests! {
    fn discovery_documents(app) {
        let scim = directory(&app, "acme");
        let spc = scim.get_ok("/ServiceProviderConfig");
        assert_eq!(spc["patch"]["supported"], true);
        assert_eq!(spc["bulk"]["supported"], false);
        assert_eq!(spc["filter"]["supported"], true);
        assert_eq!(spc["etag"]["supported"], true);
        let schemas = scim.get_ok("/Schemas");
        let ids: Vec<&str> = schemas["Resources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert!(ids.contains(&"urn:ietf:params:scim:schemas:core:2.0:User"));
        assert!(ids.contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert!(ids.contains(&"urn:ietf:params:scim:schemas:core:2.0:Group"));
        let user = scim.get_ok("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
        assert!(user["attributes"].as_array().unwrap().iter().any(|a| a["name"] == "userName"));
        assert_scim_error(scim.get("/Schemas/urn:nope"), 404, None);
        let rts = scim.get_ok("/ResourceTypes");
        assert_eq!(rts["totalResults"], 2);
        let rt: Value = scim.get_ok("/ResourceTypes/User");
        assert_eq!(rt["endpoint"], "/Users");
        assert_scim_error(scim.get("/ResourceTypes/Nope"), 404, None);
    }
}
