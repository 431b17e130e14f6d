//! Turns the route table into actix services: rows under a [`Scope`] prefix go into that
//! scope (path relative to it), the rest at the root; `Grouped` rows share one resource
//! per path (another method: 405), `Guarded` rows get one resource each, guarded by their
//! method (another method: no match, 404). Registration follows table order.

use actix_web::{guard, web};

use super::routes::{OtherMethods, Route, Scope, ScopeErrors};
use crate::scim::http::{
    method_not_allowed as scim_method_not_allowed, not_found as scim_not_found,
};

/// One actix resource to register.
enum Unit {
    /// One path, every method of it (a `Grouped` section).
    Grouped {
        path: &'static str,
        routes: Vec<actix_web::Route>,
    },
    /// One row, its resource guarded by its method.
    Guarded {
        path: &'static str,
        method: actix_web::http::Method,
        route: actix_web::Route,
    },
}

/// The resources of one mount point, in first-registration order.
#[derive(Default)]
struct Units(Vec<Unit>);

impl Units {
    fn add(&mut self, path: &'static str, route: Route) {
        let method = route.info.method.clone();
        match route.info.other_methods {
            OtherMethods::Guarded => self.0.push(Unit::Guarded {
                path,
                method,
                route: route.route,
            }),
            OtherMethods::Grouped => {
                let existing = self.0.iter_mut().find_map(|u| match u {
                    Unit::Grouped { path: p, routes } if *p == path => Some(routes),
                    _ => None,
                });
                match existing {
                    Some(routes) => routes.push(route.route),
                    None => self.0.push(Unit::Grouped {
                        path,
                        routes: vec![route.route],
                    }),
                }
            }
        }
    }

    fn resources(self, errors: ScopeErrors) -> impl Iterator<Item = actix_web::Resource> {
        self.0.into_iter().map(move |unit| match unit {
            Unit::Grouped { path, routes } => {
                let resource = routes
                    .into_iter()
                    .fold(web::resource(path), |res, route| res.route(route));
                match errors {
                    ScopeErrors::Json => resource,
                    ScopeErrors::Scim => resource.default_service(web::to(scim_method_not_allowed)),
                }
            }
            // As `#[get(..)]` and `cfg.route(..)` register: the method guards the resource.
            Unit::Guarded {
                path,
                method,
                route,
            } => web::resource(path)
                .guard(guard::Method(method))
                .route(route),
        })
    }
}

/// Registers `routes` on `cfg`, inside `scopes` where their path falls under one.
pub(super) fn mount(cfg: &mut web::ServiceConfig, scopes: &[Scope], routes: Vec<Route>) {
    let mut root = Units::default();
    let mut scoped: Vec<Units> = scopes.iter().map(|_| Units::default()).collect();
    for route in routes {
        let path = route.info.path;
        let target = scopes.iter().zip(scoped.iter_mut()).find_map(|(s, units)| {
            let rest = path.strip_prefix(s.prefix)?;
            rest.starts_with('/').then_some((rest, units))
        });
        match target {
            Some((rest, units)) => units.add(rest, route),
            None => root.add(path, route),
        }
    }
    for resource in root.resources(ScopeErrors::Json) {
        cfg.service(resource);
    }
    for (scope, units) in scopes.iter().zip(scoped) {
        let mut s = web::scope(scope.prefix);
        for resource in units.resources(scope.errors) {
            s = s.service(resource);
        }
        if scope.errors == ScopeErrors::Scim {
            s = s.default_service(web::to(scim_not_found));
        }
        cfg.service(s);
    }
}
