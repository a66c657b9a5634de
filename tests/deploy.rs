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
        assert!(
            !text.to_lowercase().contains("password"),
            "no secret values inline"
        );
    }
}

#[test]
fn kubernetes_manifests_probe_health_and_run_as_non_root() {
    for system in systems() {
        let text =
            std::fs::read_to_string(repo().join("generated").join(system.dir()).join("k8s.yaml"))
                .unwrap();
        let units = system.services.len() + usize::from(system.gateway.is_some());
        assert_eq!(text.matches("kind: Deployment").count(), units);
        assert_eq!(text.matches("kind: Service\n").count(), units);
        assert_eq!(text.matches("path: /readyz").count(), units);
        assert_eq!(text.matches("path: /healthz").count(), units);
        assert_eq!(text.matches("runAsNonRoot: true").count(), units);
        // Endpoint removal propagates before the drain starts.
        assert_eq!(
            text.matches("preStop:\n              sleep:\n                seconds: 5")
                .count(),
            units
        );
    }
}
