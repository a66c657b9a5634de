//! Rules that span several items: one `check_*` function per rule.
//!
//! They need only the model and the source map, so they run on whatever resolved: a spec's
//! broken items and its clashes between items are reported in one run. References that did
//! not resolve are not in the model, so no rule reports them a second time.

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::ident::kebab_name;
use crate::model::{Method, RESERVED_PATHS, Segment, System};
use crate::srcmap::SourceMap;
use std::collections::HashMap;

/// Runs every cross-item rule, pushing a diagnostic per problem.
pub fn check_system(system: &System, map: &SourceMap, diags: &mut Diagnostics) {
    check_ports(map, diags);
    check_cycles(system, map, diags);
    check_routes(system, map, diags);
    check_gateway_port(system, map, diags);
    check_gateway_name(system, map, diags);
    check_public_routes(system, map, diags);
    check_events(system, map, diags);
    check_pass_through(system, diags);
}

/// An error an endpoint passes through is one that some dependency of its service answers
/// with. A service whose dependencies did not all resolve is left alone.
fn check_pass_through(system: &System, diags: &mut Diagnostics) {
    for (key, service) in &system.services {
        let deps: Option<Vec<_>> = service
            .depends_on
            .iter()
            .map(|d| system.services.get(&d.service))
            .collect();
        let Some(deps) = deps else {
            continue;
        };
        for e in &service.endpoints {
            for (name, loc) in &e.pass_through {
                let answered = deps
                    .iter()
                    .any(|d| d.endpoints.iter().any(|de| de.errors.contains(name)));
                if !answered {
                    let names: Vec<&str> = service
                        .depends_on
                        .iter()
                        .map(|d| d.service.as_str())
                        .collect();
                    diags.push(
                        Diagnostic::at(
                            loc,
                            format!("`{name}` is passed through, but no dependency of `{key}` answers with it"),
                            "never answered by a dependency",
                        )
                        .with_note(if names.is_empty() {
                            format!("`{key}` has no dependencies")
                        } else {
                            format!("its dependencies: {}", names.join(", "))
                        }),
                    );
                }
            }
        }
    }
}

/// Every event handled is published by some service; an event nobody handles is reported as a
/// warning (published for no one, or not used at all). Who publishes and handles what is read
/// from the spec, so a service left out of the model for another problem causes no report here.
fn check_events(system: &System, map: &SourceMap, diags: &mut Diagnostics) {
    for (key, service) in &system.services {
        for (event, loc) in service.subscribes.iter().zip(&map.services[key].subscribes) {
            if !map.published.contains(event) {
                diags.push(
                    Diagnostic::at(
                        loc,
                        format!("`{key}` handles `{event}`, which no service publishes"),
                        "never published",
                    )
                    .with_note(format!(
                        "add `{event}` to the `publishes` of the service that reports it"
                    )),
                );
            }
        }
    }
    for (name, event) in &system.events {
        if map.handled.contains(name) {
            continue;
        }
        let why = if map.published.contains(name) {
            format!("event `{name}` is published, but no service handles it")
        } else {
            format!("event `{name}` is declared, but no service publishes or handles it")
        };
        diags.push(
            Diagnostic::at(&event.loc, why, "no subscriber")
                .with_note("add it to the `subscribes` of the services that react to it")
                .warning(),
        );
    }
}

/// Systems of one run are written side by side, so no two may be written to the same folder.
pub fn check_dirs(systems: &[System], diags: &mut Diagnostics) {
    let mut dirs: HashMap<String, &str> = HashMap::new();
    for s in systems {
        if let Some(first) = dirs.insert(s.dir(), &s.source) {
            diags.push(Diagnostic::global(format!(
                "systems in `{first}` and `{}` would both be written to `{}/`: rename one",
                s.source,
                s.dir()
            )));
        }
    }
}

/// No two services of a system may listen on the same port: they run side by side. Read from
/// the spec, so a service left out of the model for another problem is checked too, and its
/// clash reported with that problem.
fn check_ports(map: &SourceMap, diags: &mut Diagnostics) {
    let mut seen: HashMap<i64, &str> = HashMap::new();
    // In spec order: the first service to take a port is the one the others clash with.
    let mut services: Vec<_> = map.services.iter().collect();
    services.sort_by_key(|(_, spans)| (spans.key.file, spans.key.span.start));
    for (key, spans) in services {
        let port = spans.port_number;
        match seen.get(&port) {
            Some(first) => diags.push(
                Diagnostic::at(
                    &spans.port,
                    format!("port {port} is used by both `{first}` and `{key}`"),
                    "port clash",
                )
                .with_secondary(
                    &map.services[*first].port,
                    format!("`{first}` uses it here"),
                ),
            ),
            None => {
                seen.insert(port, key);
            }
        }
    }
}

/// The dependency graph must be acyclic: each cycle found is named in full.
///
/// A depth-first search with an explicit stack: a chain of thousands of services must not
/// overflow the generator's own stack.
fn check_cycles(system: &System, map: &SourceMap, diags: &mut Diagnostics) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut marks: HashMap<&str, Mark> = system
        .services
        .keys()
        .map(|k| (k.as_str(), Mark::New))
        .collect();
    let deps_of = |node: &str| {
        system
            .services
            .get(node)
            .map(|s| s.depends_on.as_slice())
            .unwrap_or_default()
    };
    // The path from the root being searched, each service with how many of its dependencies
    // have been followed.
    let mut path: Vec<(&str, usize)> = Vec::new();
    // Where each service on the path sits in it.
    let mut depth: HashMap<&str, usize> = HashMap::new();
    for root in system.services.keys() {
        if marks[root.as_str()] != Mark::New {
            continue;
        }
        marks.insert(root, Mark::Active);
        depth.insert(root, 0);
        path.push((root, 0));
        while let Some(&(node, i)) = path.last() {
            let Some(dep) = deps_of(node).get(i) else {
                marks.insert(node, Mark::Done);
                depth.remove(node);
                path.pop();
                continue;
            };
            if let Some(top) = path.last_mut() {
                top.1 += 1;
            }
            let target = dep.service.as_str();
            match marks.get(target).copied().unwrap_or(Mark::Done) {
                Mark::New => {
                    marks.insert(target, Mark::Active);
                    depth.insert(target, path.len());
                    path.push((target, 0));
                }
                Mark::Active => {
                    let start = depth.get(target).copied().unwrap_or(0);
                    diags.push(
                        Diagnostic::at(
                            &map.services[node].deps[i],
                            format!("dependency cycle: {}", cycle_text(&path[start..], target)),
                            "this dependency closes the cycle",
                        )
                        .with_note("services must form a directed acyclic graph; move the shared part into its own service"),
                    );
                }
                Mark::Done => {}
            }
        }
    }
}

/// A cycle as `a → b → c → a`; a long one shows its first and last services and how many
/// lie between, so a cycle through thousands of services stays one readable line.
fn cycle_text(path: &[(&str, usize)], back_to: &str) -> String {
    const SHOWN: usize = 5;
    let names =
        |part: &[(&str, usize)]| part.iter().map(|(s, _)| *s).collect::<Vec<_>>().join(" → ");
    if path.len() <= 2 * SHOWN + 1 {
        return format!("{} → {back_to}", names(path));
    }
    format!(
        "{} → … {} more … → {} → {back_to}",
        names(&path[..SHOWN]),
        path.len() - 2 * SHOWN,
        names(&path[path.len() - SHOWN..])
    )
}

/// Within a service, no two endpoints may share a method and path shape, and parameters at the
/// same position of overlapping paths must share a name (the router cannot tell them apart).
fn check_routes(system: &System, map: &SourceMap, diags: &mut Diagnostics) {
    for (key, service) in &system.services {
        let paths = &map.services[key].paths;
        let mut shapes: HashMap<(String, &str), usize> = HashMap::new();
        for (i, ep) in service.endpoints.iter().enumerate() {
            let shape = shape(&ep.segments);
            if let Some(&first) = shapes.get(&(shape.clone(), ep.method.as_str())) {
                diags.push(
                    Diagnostic::at(
                        &paths[i],
                        format!(
                            "duplicate route: `{} {}` in `{key}` matches the same requests as `{}`",
                            ep.method.as_str(),
                            ep.path,
                            service.endpoints[first].name.wire
                        ),
                        "duplicate route",
                    )
                    .with_secondary(&paths[first], "first route"),
                );
            } else {
                shapes.insert((shape, ep.method.as_str()), i);
            }
            for (j, other) in service.endpoints[..i].iter().enumerate() {
                if let Some((a, b)) = param_name_conflict(&other.segments, &ep.segments) {
                    diags.push(
                        Diagnostic::at(
                            &paths[i],
                            format!("path parameter `{b}` sits where `{}` has `{a}`", other.path),
                            "rename the parameter",
                        )
                        .with_secondary(&paths[j], format!("uses `{{{a}}}`"))
                        .with_note(
                            "overlapping routes must name a parameter at the same position alike",
                        ),
                    );
                    break;
                }
            }
        }
    }
}

/// The gateway runs beside the services, so it cannot listen on a port one of them uses.
fn check_gateway_port(system: &System, map: &SourceMap, diags: &mut Diagnostics) {
    let (Some(gateway), Some(spans)) = (&system.gateway, &map.gateway) else {
        return;
    };
    if let Some((name, _)) = system.services.iter().find(|(_, s)| s.port == gateway.port) {
        diags.push(
            Diagnostic::at(
                &spans.port,
                format!(
                    "port {} is used by both the gateway and `{name}`",
                    gateway.port
                ),
                "port clash",
            )
            .with_secondary(&map.services[name].port, format!("`{name}` uses it here")),
        );
    }
}

/// The gateway is written beside the services as a package and deployment named `gateway`,
/// which a service of that name would overwrite.
fn check_gateway_name(system: &System, map: &SourceMap, diags: &mut Diagnostics) {
    if system.gateway.is_none() {
        return;
    }
    if let Some(key) = system.services.keys().find(|k| kebab_name(k) == "gateway") {
        diags.push(Diagnostic::at(
            &map.services[key].key,
            "a system with a `[gateway]` cannot have a service named `gateway`",
            "rename this service",
        ));
    }
}

/// No two public routes of the gateway may match the same requests, and parameters at the
/// same place of overlapping public routes must share a name: the gateway's router, like a
/// service's, cannot tell them apart. Each clash is reported once, against the first route.
fn check_public_routes(system: &System, map: &SourceMap, diags: &mut Diagnostics) {
    let (Some(gateway), Some(spans)) = (&system.gateway, &map.gateway) else {
        return;
    };
    let mut public: Vec<(Method, String, &Loc)> = Vec::new();
    let mut public_segments: Vec<(Vec<Segment>, String, &Loc)> = Vec::new();
    for (route, loc) in gateway.routes.iter().zip(&spans.routes) {
        let ep = &system.services[&route.service].endpoints[route.endpoint];
        let prefix = &route.prefix;
        let external = format!("{prefix}{}", shape(&ep.segments));
        if RESERVED_PATHS.contains(&external.as_str()) {
            diags.push(
                Diagnostic::at(
                    loc,
                    format!(
                        "public route `{} {external}` takes a path the gateway serves itself",
                        ep.method.as_str()
                    ),
                    "reserved path",
                )
                .with_note("give the service a `prefix`"),
            );
            continue;
        }
        if let Some((_, _, first)) = public
            .iter()
            .find(|(m, p, _)| *m == ep.method && *p == external)
        {
            diags.push(
                Diagnostic::at(
                    loc,
                    format!(
                        "duplicate public route: `{} {prefix}{}` is exposed twice",
                        ep.method.as_str(),
                        ep.path
                    ),
                    "duplicate route",
                )
                .with_secondary(first, "first exposed here")
                .with_note("give one of the services a different `prefix`"),
            );
            continue;
        }
        let segments: Vec<Segment> = prefix
            .split('/')
            .filter(|p| !p.is_empty())
            .map(|p| Segment::Literal(p.to_owned()))
            .chain(ep.segments.iter().cloned())
            .collect();
        let conflict = public_segments
            .iter()
            .find_map(|(other, other_path, other_loc)| {
                param_name_conflict(other, &segments).map(|(a, b)| (a, b, other_path, other_loc))
            });
        if let Some((a, b, other_path, other_loc)) = conflict {
            diags.push(
                Diagnostic::at(
                    loc,
                    format!("public path parameter `{b}` sits where `{other_path}` has `{a}`"),
                    "conflicting route",
                )
                .with_secondary(other_loc, format!("uses `{{{a}}}`"))
                .with_note("give one of the services a different `prefix`"),
            );
            continue;
        }
        public_segments.push((segments, format!("{prefix}{}", ep.path), loc));
        public.push((ep.method, external, loc));
    }
}

fn shape(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => format!("/{l}"),
            Segment::Param(_) => "/{}".to_owned(),
        })
        .collect()
}

/// The first pair of differently named parameters at the same position of two paths whose
/// earlier segments have the same shape.
fn param_name_conflict<'a>(a: &'a [Segment], b: &'a [Segment]) -> Option<(&'a str, &'a str)> {
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Segment::Literal(l), Segment::Literal(m)) if l == m => {}
            (Segment::Param(p), Segment::Param(q)) if p == q => {}
            (Segment::Param(p), Segment::Param(q)) => return Some((p, q)),
            _ => return None,
        }
    }
    None
}
