//! Deployment files of a system: a Compose file, a Dockerfile per service (with a
//! `.dockerignore`), and Kubernetes manifests. All set the same address variables the registry
//! wiring reads, pointing at Compose or cluster DNS names.

use super::cargo::{environment, render};
use super::service::{service_dir, service_package, url_env};
use super::{EmitError, OutputFile, Ownership, header};
use crate::ident::kebab_name;
use crate::model::{Service, System};
use minijinja::{Value, context};

/// The DNS name of a service inside Compose and Kubernetes.
pub fn host_name(service: &Service) -> String {
    kebab_name(&service.name.wire)
}

/// A dependency as the templates see it: its DNS name and the registry variable pointing there.
fn dependency(dep: &Service) -> Value {
    context! {
        name => host_name(dep),
        env => url_env(dep),
        url => format!("http://{}:{}", host_name(dep), dep.port),
    }
}

fn view(system: &System, service: &Service) -> Value {
    let binary = service_package(system, service);
    // The services it calls, and the services whose public keys it checks tokens with.
    let mut called: Vec<&str> = service
        .depends_on
        .iter()
        .map(|d| d.service.as_str())
        .collect();
    for (key, scheme) in &system.auth {
        if let crate::model::SchemeKind::Jwt {
            jwks: Some(keys), ..
        } = &scheme.kind
            && keys != &service.name.wire
            && !called.contains(&keys.as_str())
            && service
                .endpoints
                .iter()
                .any(|e| e.access.schemes().contains(key))
        {
            called.push(keys);
        }
    }
    let deps: Vec<Value> = called
        .iter()
        .map(|d| dependency(&system.services[*d]))
        .collect();
    let store = service.has_store();
    let auth_files = auth_files(system, service);
    let endpoints: Vec<&crate::model::Endpoint> = service.endpoints.iter().collect();
    context! {
        // Auth secrets the service reads from files: its signing key, the API key hashes of
        // the schemes its endpoints accept.
        auth_files,
        // Where the key sets of the issuers outside the system are.
        issuers => issuer_urls(system, &endpoints),
        // Events travel on the system's NATS server.
        events => service.has_events(),
        name => host_name(service),
        dir => kebab_name(&service.name.wire),
        store,
        // The service's database and role on the system's PostgreSQL (a plain identifier).
        database => database_name(service),
        port => service.port,
        image => format!("{binary}:latest"),
        binary_path => format!("/usr/local/bin/{binary}"),
        binary,
        // Without a gateway every service publishes its port; with one, only the gateway does.
        publish => system.gateway.is_none(),
        deps,
    }
}

/// The secret files of a service's auth: `env` names the variable holding the file's path,
/// `name` the secret (Compose secret, Kubernetes Secret and volume), `file` its key, `reread`
/// whether the service reads it again when it changes (else only at start).
fn auth_files(system: &System, service: &Service) -> Vec<Value> {
    let mut out = Vec::new();
    if !system.issued_by(&service.name.wire).is_empty() {
        out.push(context! {
            env => "AUTH_SIGNING_KEY_FILE",
            name => format!("{}-signing-key", host_name(service)),
            file => "signing-key.pem",
            what => "the Ed25519 key its tokens are signed with (`svcgen key --signing`)",
            reread => false,
        });
    }
    if !system.auth.is_empty() && service.has_events() {
        out.push(context! {
            env => "EVENTS_KEY_FILE",
            name => "events-key",
            file => "events.key",
            what => "the key the system's services deliver events to each other with (`svcgen key --events`)",
            reread => false,
        });
    }
    let endpoints: Vec<&crate::model::Endpoint> = service.endpoints.iter().collect();
    out.extend(api_key_files(system, &endpoints));
    out
}

/// The key hash files of the `api_key` schemes `endpoints` accept.
fn api_key_files(system: &System, endpoints: &[&crate::model::Endpoint]) -> Vec<Value> {
    let mut out = Vec::new();
    for (key, scheme) in &system.auth {
        let used = endpoints.iter().any(|e| e.access.schemes().contains(key));
        if let (true, crate::model::SchemeKind::ApiKey { .. }) = (used, &scheme.kind) {
            out.push(context! {
                env => format!("{}KEYS_FILE", scheme.env_prefix()),
                name => format!("{}-api-keys", kebab_name(&scheme.name.wire)),
                file => "keys",
                what => format!("the hashes of the `{}` API keys issued (`svcgen key` lines)", scheme.name.wire),
                // Read again when the file changes: removing a line revokes a key.
                reread => true,
            });
        }
    }
    out
}

/// The key set URLs of the `jwt` schemes without a `jwks` service of the system (their tokens
/// come from an identity provider outside it) that `endpoints` accept: `env` the variable,
/// `compose` its value in Compose (the operator's environment must say it; Compose refuses to
/// start without it), `key` its key in the system's ConfigMap of issuers on Kubernetes.
fn issuer_urls(system: &System, endpoints: &[&crate::model::Endpoint]) -> Vec<Value> {
    let mut out = Vec::new();
    for (key, scheme) in &system.auth {
        let used = endpoints.iter().any(|e| e.access.schemes().contains(key));
        if let (true, crate::model::SchemeKind::Jwt { jwks: None, .. }) = (used, &scheme.kind) {
            // Scheme names are checked identifiers: nothing here comes from free spec text.
            let env = format!("{}JWKS_URL", scheme.env_prefix());
            out.push(context! {
                compose => format!(
                    "${{{env}:?set {env} to the key set URL of the issuer of scheme {}}}",
                    scheme.name.wire
                ),
                key => format!("{}-jwks-url", kebab_name(&scheme.name.wire)),
                scheme => scheme.name.wire.clone(),
                env,
            });
        }
    }
    out
}

/// The ConfigMap holding the key set URLs of a system's issuers outside it, on Kubernetes.
fn issuers_config_map(system: &System) -> String {
    format!("{}-issuers", system.dir())
}

/// The name of a service's database, and of the role that owns it: its snake_case name.
pub fn database_name(service: &Service) -> String {
    service.name.rust.trim_start_matches("r#").to_owned()
}

/// The gateway, as a deployable unit beside the services.
fn gateway_view(system: &System, gateway: &crate::model::Gateway) -> Value {
    let binary = super::gateway::gateway_package(system);
    let deps: Vec<Value> = gateway
        .upstreams()
        .iter()
        .map(|name| dependency(&system.services[*name]))
        .collect();
    let endpoints: Vec<&crate::model::Endpoint> = gateway
        .routes
        .iter()
        .map(|r| &system.services[&r.service].endpoints[r.endpoint])
        .collect();
    context! {
        name => "gateway",
        dir => "gateway",
        auth_files => api_key_files(system, &endpoints),
        issuers => issuer_urls(system, &endpoints),
        store => false,
        database => "",
        port => gateway.port,
        image => format!("{binary}:latest"),
        binary_path => format!("/usr/local/bin/{binary}"),
        binary,
        publish => true,
        deps,
        events => false,
    }
}

/// Writes `compose.yaml`, `k8s.yaml`, `.dockerignore` and one `Dockerfile` per service.
pub fn emit(
    system: &System,
    _: &super::Settings,
    files: &mut Vec<OutputFile>,
) -> Result<(), EmitError> {
    let env = environment();
    let header = header(system);
    let gateway = system.gateway.as_ref().map(|g| gateway_view(system, g));
    let services: Vec<Value> = system
        .services
        .values()
        .map(|s| view(system, s))
        .chain(gateway.clone())
        .collect();
    let url_vars = system
        .services
        .values()
        .map(url_env)
        .collect::<Vec<_>>()
        .join(", ");
    let stores: Vec<Value> = system
        .services
        .values()
        .filter(|s| s.has_store())
        .map(|s| view(system, s))
        .collect();
    let events = system.services.values().any(|s| s.has_events());
    // Every auth secret of the system once (services accepting one scheme share its keys).
    let mut auth_secrets: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for service in system.services.values() {
        for file in auth_files(system, service) {
            let name = file
                .get_attr("name")
                .map(|n| n.to_string())
                .unwrap_or_default();
            if seen.insert(name) {
                auth_secrets.push(file);
            }
        }
    }
    let ctx = context! {
        header => header.clone(), system => system.dir(), services, url_vars, stores, events,
        auth_secrets, issuers_config_map => issuers_config_map(system),
    };
    let mut push = |path: String, contents: String| {
        files.push(OutputFile {
            path,
            contents,
            ownership: Ownership::Generated,
        });
    };
    push(
        format!("{}/compose.yaml", system.dir()),
        render(&env, "compose.yaml", ctx.clone())?,
    );
    push(
        format!("{}/k8s.yaml", system.dir()),
        render(&env, "k8s.yaml", ctx.clone())?,
    );
    if system.services.values().any(|s| s.has_store()) {
        push(
            format!("{}/postgres/init.sh", system.dir()),
            render(&env, "postgres-init.sh", ctx.clone())?,
        );
        push(
            format!("{}/postgres/service-database.sql", system.dir()),
            render(&env, "service-database.sql", ctx.clone())?,
        );
        push(
            format!("{}/postgres/make-secrets.sh", system.dir()),
            render(&env, "make-secrets.sh", ctx.clone())?,
        );
    }
    push(
        format!("{}/.dockerignore", system.dir()),
        render(&env, "dockerignore", ctx)?,
    );
    for service in system.services.values() {
        let v = view(system, service);
        let ctx = context! { header => header.clone(), ..v };
        push(
            format!("{}/Dockerfile", service_dir(system, service)),
            render(&env, "Dockerfile", ctx)?,
        );
    }
    if let Some(v) = gateway {
        let ctx = context! { header => header.clone(), ..v };
        let dir = super::gateway::gateway_dir(system);
        push(
            format!("{dir}/Dockerfile"),
            render(&env, "Dockerfile", ctx)?,
        );
    }
    Ok(())
}
