//! Where the items of a resolved system were written, for the rules that run on the model.
//!
//! The model carries no spans of its own (emitters have no use for them), so `resolve` hands
//! this map beside it and `check` points its diagnostics through it. It lives apart from both
//! so that neither phase depends on the other.

use crate::diag::Loc;
use std::collections::{HashMap, HashSet};

/// The spans of one system's services and gateway.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// Every service defined in the spec, by its spec name, including those that did not
    /// resolve (the rules only look up services that are in the model).
    pub services: HashMap<String, ServiceSpans>,
    /// The gateway, when the model has one.
    pub gateway: Option<GatewaySpans>,
    /// Every event name in the `publishes` of a service defined in the spec, resolved or not
    /// (a service left out of the model for another problem still publishes them).
    pub published: HashSet<String>,
    /// Every event name in the `subscribes` of a service defined in the spec, resolved or not.
    pub handled: HashSet<String>,
}

/// Spans of one service.
#[derive(Debug)]
pub struct ServiceSpans {
    /// The service's name in its table header.
    pub key: Loc,
    /// The `port` value.
    pub port: Loc,
    /// The port as written (checked for clashes even when the service did not resolve).
    pub port_number: i64,
    /// Each dependency name, in spec order (the order of `Service::depends_on`).
    pub deps: Vec<Loc>,
    /// Each endpoint's `path` value, in spec order (the order of `Service::endpoints`).
    pub paths: Vec<Loc>,
    /// Each event name in `subscribes`, in spec order (the order of `Service::subscribes`).
    pub subscribes: Vec<Loc>,
}

/// Spans of the gateway.
#[derive(Debug)]
pub struct GatewaySpans {
    /// The `port` value.
    pub port: Loc,
    /// Where each public route was asked for, in the order of `Gateway::routes`: the endpoint's
    /// name in an `endpoints` list, or the service's name when it is exposed whole.
    pub routes: Vec<Loc>,
}
