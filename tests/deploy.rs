//! Properties of the deployment files that the schema validators in CI do not cover. (No
//! Docker engine runs on the project's machines: Dockerfiles are checked here for their
//! structure, Compose files against the Compose Specification schema by `.ci/validate.py`.)

use std::path::PathBuf;
use svcgen_tests::repo;

fn systems() -> Vec<svcgen_codegen::model::System> {
    svcgen_codegen::load(&repo(), &[PathBuf::from("specs")])
        .expect("specs load")
        .systems
}

#[test]
fn dockerfiles_are_multi_stage_non_root_and_copy_only_the_binary() {
    let mut checked = 0;
    for system in systems() {
        let root = repo().join("generated").join(system.dir());
        let ignore = std::fs::read_to_string(root.join(".dockerignore")).expect(".dockerignore");
        assert!(ignore.lines().any(|l| l == "**/target"), "{ignore}");
        let mut units: Vec<(String, String, u16)> = system
            .services
            .values()
            .map(|s| {
                (
                    svcgen_codegen::ident::kebab_name(&s.name.wire),
                    svcgen_codegen::emit::service::service_package(&system, s),
                    s.port,
                )
            })
            .collect();
        if let Some(g) = &system.gateway {
            units.push((
                "gateway".into(),
                svcgen_codegen::emit::gateway::gateway_package(&system),
                g.port,
            ));
        }
        for (dir, binary, port) in units {
            let text = std::fs::read_to_string(root.join(&dir).join("Dockerfile")).unwrap();
            let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
            assert_eq!(froms.len(), 2, "{dir}: build stage and runtime stage");
            assert!(
                froms[0].starts_with("FROM rust:") && froms[0].ends_with(" AS build"),
                "{dir}"
            );
            assert!(froms[1].contains("-slim"), "{dir}: slim runtime image");
            let copies: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with("COPY --from=build"))
                .collect();
            assert_eq!(
                copies,
                [format!(
                    "COPY --from=build /target/release/{binary} /usr/local/bin/{binary}"
                )]
            );
            let user = text
                .lines()
                .find(|l| l.starts_with("USER "))
                .expect("a USER line");
            let id = user.trim_start_matches("USER ").split(':').next().unwrap();
            assert!(
                id.parse::<u32>().is_ok_and(|n| n > 0),
                "{dir}: numeric non-root user, got {user}"
            );
            assert!(
                text.lines().any(|l| l == format!("EXPOSE {port}")),
                "{dir}: EXPOSE {port}"
            );
            assert!(
                text.contains(&format!("\"/usr/local/bin/{binary}\", \"healthcheck\"")),
                "{dir}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 20, "17 services and 3 gateways");
}

#[test]
fn compose_files_wire_the_registry_and_publish_only_the_gateway() {
    for system in systems() {
        let text = std::fs::read_to_string(
            repo()
                .join("generated")
                .join(system.dir())
                .join("compose.yaml"),
        )
        .unwrap();
        assert!(
            !text.lines().any(|l| l.starts_with("version:")),
            "no `version:` key"
        );
        // Longer than the services' 10 s drain limit: Compose's own 10 s would cut it short.
        let units = system.services.len() + usize::from(system.gateway.is_some());
        assert_eq!(text.matches("    stop_grace_period: 15s\n").count(), units);
        let published = text.matches("    ports:").count();
        match &system.gateway {
            Some(g) => {
                assert_eq!(
                    published, 1,
                    "{}: only the gateway publishes a port",
                    system.name.wire
                );
                assert!(text.contains(&format!("      - \"{0}:{0}\"", g.port)));
            }
            None => assert_eq!(published, system.services.len(), "{}", system.name.wire),
        }
        for service in system.services.values() {
            for dep in &service.depends_on {
                let target = &system.services[&dep.service];
                let var = format!(
                    "      {}: \"http://{}:{}\"",
                    svcgen_codegen::emit::service::url_env(target),
                    svcgen_codegen::ident::kebab_name(&target.name.wire),
                    target.port
                );
                assert!(
                    text.contains(&var),
                    "{}: {} missing `{var}`",
                    system.name.wire,
                    service.name.wire
                );
            }
        }
        assert!(
            text.contains("condition: service_healthy")
                || system.services.values().all(|s| s.depends_on.is_empty())
        );
        // Events: a NATS server with JetStream on, a health check and a volume; each service
        // that publishes or handles events reads its address and waits for it to be healthy.
        let events: Vec<_> = system
            .services
            .values()
            .filter(|s| s.has_events())
            .collect();
        let nats = compose_service(&text, "nats");
        assert_eq!(nats.is_empty(), events.is_empty(), "{}", system.name.wire);
        if !events.is_empty() {
            assert!(nats.contains("--jetstream"), "{nats}");
            assert!(nats.contains("healthcheck:"), "{nats}");
            assert!(nats.contains("- nats-data:/data"), "{nats}");
            assert!(text.contains("\n  nats-data:\n"));
        }
        for service in system.services.values() {
            let name = svcgen_codegen::ident::kebab_name(&service.name.wire);
            let unit = compose_service(&text, &name);
            let told = unit.contains("      NATS_URL: \"nats://nats:4222\"")
                && unit.contains("      nats:\n        condition: service_healthy");
            assert_eq!(told, service.has_events(), "{}: {name}", system.name.wire);
        }
        // Credentials come only from secret files: no URL with credentials, no inline
        // password variable.
        for (i, _) in text.match_indices("://") {
            let url: String = text[i..]
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '"')
                .collect();
            assert!(
                !url.contains('@'),
                "{}: credentials inline: {url}",
                system.name.wire
            );
        }
        for line in text.lines() {
            // An environment variable (upper-case key) carrying a password or URL itself.
            let key = line.trim_start();
            let env_key = key.starts_with(|c: char| c.is_ascii_uppercase());
            if env_key && (key.contains("PASSWORD:") || key.contains("DATABASE_URL:")) {
                panic!("{}: an inline secret: {line}", system.name.wire);
            }
        }
        let stores: Vec<_> = system
            .services
            .values()
            .filter(|s| !s.records.is_empty())
            .collect();
        if stores.is_empty() {
            assert!(!text.contains("postgres"), "{}", system.name.wire);
            continue;
        }
        for needle in [
            "    image: \"postgres:17\"\n",
            "      POSTGRES_PASSWORD_FILE: /run/secrets/postgres-password\n",
            "      test: [\"CMD\", \"pg_isready\"",
            "      - postgres-data:/var/lib/postgresql/data\n",
            "volumes:\n  postgres-data:\n",
        ] {
            assert!(
                text.contains(needle),
                "{}: missing {needle:?}",
                system.name.wire
            );
        }
        for s in stores {
            let name = svcgen_codegen::ident::kebab_name(&s.name.wire);
            let section = compose_service(&text, &name);
            assert!(
                section.contains(&format!(
                    "DATABASE_URL_FILE: /run/secrets/{name}-database-url"
                )),
                "{section}"
            );
            assert!(
                section.contains("      postgres:\n        condition: service_healthy"),
                "{section}"
            );
            assert!(text.contains(&format!(
                "  {name}-database-url:\n    file: ./secrets/{name}-database-url\n"
            )));
        }
    }
}

/// The lines of one service of a Compose file (those indented under `  <name>:`).
fn compose_service(text: &str, name: &str) -> String {
    text.lines()
        .skip_while(|l| *l != format!("  {name}:"))
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The SQL the Compose PostgreSQL runs at first start, run here against the machine's
/// PostgreSQL with psql (as the image's init script does): each service's role owns its
/// database and cannot connect to another service's.
#[test]
fn the_compose_init_sql_gives_each_service_a_database_only_it_can_open() {
    let sql = repo().join("generated/shop/postgres/service-database.sql");
    let admin = svcgen_tests::e2e::postgres_admin_url();
    let unique = format!("svcgen_init_{}", std::process::id());
    let (a, b) = (format!("{unique}_a"), format!("{unique}_b"));
    let psql = |url: &str, args: &[&str]| {
        std::process::Command::new("psql")
            .arg(url)
            .args(["-v", "ON_ERROR_STOP=1", "-q"])
            .args(args)
            .output()
            .expect("psql runs")
    };
    let cleanup = || {
        for name in [&a, &b] {
            psql(
                &admin,
                &[
                    "-c",
                    &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                ],
            );
            psql(&admin, &["-c", &format!("DROP ROLE IF EXISTS \"{name}\"")]);
        }
    };
    cleanup();
    for name in [&a, &b] {
        let out = psql(
            &admin,
            &[
                "-v",
                &format!("service={name}"),
                "-v",
                "password=it's a secret",
                "-f",
                sql.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let as_role = |role: &str, db: &str| {
        let url = svcgen_runtime::store::with_database(&admin, db).replacen(
            "postgres@",
            &format!("{role}@"),
            1,
        );
        psql(&url, &["-c", "CREATE TABLE t (x int); SELECT 1"])
    };
    let own = as_role(&a, &a);
    let other = as_role(&a, &b);
    cleanup();
    assert!(
        own.status.success(),
        "{}",
        String::from_utf8_lossy(&own.stderr)
    );
    assert!(!other.status.success());
    assert!(
        String::from_utf8_lossy(&other.stderr).contains("permission denied"),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
}

#[test]
fn kubernetes_manifests_probe_health_and_run_as_non_root() {
    for system in systems() {
        let text =
            std::fs::read_to_string(repo().join("generated").join(system.dir()).join("k8s.yaml"))
                .unwrap();
        let units = system.services.len() + usize::from(system.gateway.is_some());
        // A system with events runs a NATS server too: a StatefulSet and its Service.
        let nats = usize::from(system.services.values().any(|s| s.has_events()));
        assert_eq!(text.matches("kind: Deployment").count(), units);
        assert_eq!(text.matches("kind: StatefulSet").count(), nats);
        assert_eq!(text.matches("kind: Service\n").count(), units + nats);
        assert_eq!(text.matches("path: /readyz").count(), units);
        assert_eq!(
            text.matches("path: /healthz?js-enabled-only=true").count(),
            nats
        );
        assert_eq!(text.matches("path: /healthz\n").count(), units + nats);
        assert_eq!(text.matches("runAsNonRoot: true").count(), units + nats);
        // Every service that publishes or handles events is told where the server is.
        let with_events = system.services.values().filter(|s| s.has_events()).count();
        assert_eq!(
            text.matches("- name: NATS_URL\n              value: \"nats://nats:4222\"")
                .count(),
            with_events,
            "{}",
            system.name.wire
        );
        // Endpoint removal propagates before the drain starts.
        assert_eq!(
            text.matches("preStop:\n              sleep:\n                seconds: 5")
                .count(),
            units
        );
        // A service with records reads its database URL from a Secret it names.
        for service in system.services.values().filter(|s| !s.records.is_empty()) {
            let name = svcgen_codegen::ident::kebab_name(&service.name.wire);
            let wanted = format!(
                "            - name: DATABASE_URL\n              valueFrom:\n                secretKeyRef:\n                  name: {name}-database\n                  key: url\n"
            );
            assert!(text.contains(&wanted), "{}: {name}", system.name.wire);
        }
        let with_url = text.matches("- name: DATABASE_URL\n").count();
        let stores = system
            .services
            .values()
            .filter(|s| !s.records.is_empty())
            .count();
        assert_eq!(with_url, stores, "{}", system.name.wire);
    }
}

/// A service checking tokens of an identity provider outside the system (a `jwt` scheme
/// without a `jwks` service) is told where its key set is by the operator: Compose takes the
/// URL from the environment and refuses to start without it; Kubernetes reads it from the
/// system's ConfigMap of issuers. Services of schemes signed inside the system get no such
/// variable (they fetch the keys from the signing service).
#[test]
fn issuers_outside_the_system_are_named_by_the_operator() {
    for system in systems() {
        let dir = repo().join("generated").join(system.dir());
        let compose = std::fs::read_to_string(dir.join("compose.yaml")).unwrap();
        let k8s = std::fs::read_to_string(dir.join("k8s.yaml")).unwrap();
        for service in system.services.values() {
            let name = svcgen_codegen::ident::kebab_name(&service.name.wire);
            let section = compose_service(&compose, &name);
            for (key, scheme) in &system.auth {
                let svcgen_codegen::model::SchemeKind::Jwt { jwks, .. } = &scheme.kind else {
                    continue;
                };
                let env = format!("{}JWKS_URL", scheme.env_prefix());
                let checks = service
                    .endpoints
                    .iter()
                    .any(|e| e.access.schemes().contains(key));
                let from_environment = format!("{env}: \"${{{env}:?set {env} to ");
                assert_eq!(
                    section.contains(&from_environment),
                    checks && jwks.is_none(),
                    "{}/{name}: {env}\n{section}",
                    system.name.wire
                );
            }
        }
        let external: Vec<_> = system
            .auth
            .iter()
            .filter(|(_, s)| {
                matches!(
                    s.kind,
                    svcgen_codegen::model::SchemeKind::Jwt { jwks: None, .. }
                )
            })
            .collect();
        for (key, scheme) in &external {
            let checking = system
                .services
                .values()
                .filter(|s| s.endpoints.iter().any(|e| e.access.schemes().contains(key)))
                .count();
            let reference = format!(
                "            - name: {}JWKS_URL\n              valueFrom:\n                configMapKeyRef:\n                  name: {}-issuers\n                  key: {}-jwks-url\n",
                scheme.env_prefix(),
                system.dir(),
                svcgen_codegen::ident::kebab_name(&scheme.name.wire)
            );
            assert_eq!(
                k8s.matches(&reference).count(),
                checking,
                "{}",
                system.name.wire
            );
        }
        if system.name.wire == "shop" {
            // Every shop service has endpoints for signed-in customers.
            assert_eq!(external.len(), 1);
            assert_eq!(compose.matches("AUTH_CUSTOMER_JWKS_URL: \"${").count(), 4);
        }
    }
}
