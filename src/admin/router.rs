//! The admin route table. Every `/admin/v1` route is registered through [`Routes`], which
//! records its method and path next to the handler, so the table can be listed
//! ([`super::route_table`]): the audit test walks every write route from that list and
//! fails when one is added that it does not cover (actix itself cannot list its routes).

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder};

/// One registered route: method, path (relative to the mount) and its actix route.
struct Entry {
    method: Method,
    path: &'static str,
    route: actix_web::Route,
}

/// Collects routes; [`Routes::mount`] registers them, one `web::resource` per path (so a
/// wrong method on a known path is a 405, not a 404).
#[derive(Default)]
pub struct Routes {
    entries: Vec<Entry>,
}

macro_rules! method_fn {
    ($name:ident, $method:ident, $ctor:ident) => {
        pub fn $name<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.entries.push(Entry {
                method: Method::$method,
                path,
                route: web::$ctor().to(handler),
            });
            self
        }
    };
}

impl Routes {
    method_fn!(get, GET, get);
    method_fn!(post, POST, post);
    method_fn!(patch, PATCH, patch);
    method_fn!(put, PUT, put);
    method_fn!(delete, DELETE, delete);

    /// The recorded (method, path) pairs, in registration order.
    pub fn table(&self) -> Vec<(Method, &'static str)> {
        self.entries
            .iter()
            .map(|e| (e.method.clone(), e.path))
            .collect()
    }

    /// Registers every route on `cfg`, grouping the methods of one path into one resource.
    pub fn mount(self, cfg: &mut web::ServiceConfig) {
        let mut paths: Vec<(&'static str, Vec<actix_web::Route>)> = Vec::new();
        for entry in self.entries {
            match paths.iter_mut().find(|(p, _)| *p == entry.path) {
                Some((_, routes)) => routes.push(entry.route),
                None => paths.push((entry.path, vec![entry.route])),
            }
        }
        for (path, routes) in paths {
            cfg.service(
                routes
                    .into_iter()
                    .fold(web::resource(path), |resource, route| resource.route(route)),
            );
        }
    }
}
