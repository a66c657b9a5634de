//! Specs of hostile shapes (deep types, thousands of services in a chain or a cycle, very wide
//! objects) end in located diagnostics, never in a crash of the generator. They run through
//! the library in the debug build, whose frames are largest, on a thread with the 2 MiB stack
//! that spawned threads get by default (the main thread has 8 MiB).

use svcgen_codegen::SpecErrors;

/// Loads `text` on a thread with a default-sized stack.
fn load(text: String) -> Result<svcgen_codegen::model::System, SpecErrors> {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || svcgen_codegen::load_str("spec.toml", &text))
        .unwrap()
        .join()
        .expect("the generator does not panic")
}

fn messages(e: &SpecErrors) -> Vec<String> {
    e.diagnostics.iter().map(|d| d.message.clone()).collect()
}

#[test]
fn types_nested_200_deep_are_a_diagnostic() {
    for (open, close) in [("[", "]"), ("{", "}"), ("[", "]?"), ("{[", "]}")] {
        let ty = format!("{}string{}", open.repeat(200), close.repeat(200));
        let text = format!(
            "[system]\nname = \"deep\"\n[schemas.A]\nfields.x = \"{ty}\"\n\
             [services.s]\nport = 1\n[services.s.endpoints.e]\nmethod = \"GET\"\npath = \"/\"\nresponse = \"{ty}\"\n"
        );
        let err = load(text).expect_err("too deep");
        let rendered = err.render(false);
        assert_eq!(err.diagnostics.len(), 2, "{rendered}");
        assert!(
            rendered.contains("type nested deeper than 32 levels"),
            "{rendered}"
        );
        assert!(rendered.contains("spec.toml:4:12"), "{rendered}");
        assert!(err.diagnostics.iter().all(|d| d.primary.is_some()));
    }
}

#[test]
fn types_at_the_limit_generate() {
    // 16 lists in a map made optional, in 14 more maps: 32 levels.
    let lists = format!("{}string{}", "[".repeat(16), "]".repeat(16));
    let ty = format!("{}{{{lists}}}?{}", "{".repeat(14), "}".repeat(14));
    let text = format!(
        "[system]\nname = \"deep\"\n[schemas.A]\nfields.x = \"{ty}\"\n\
         [services.s]\nport = 1\n[services.s.endpoints.e]\nmethod = \"POST\"\npath = \"/\"\nrequest = \"A\"\nresponse = \"{ty}\"\n"
    );
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let system = svcgen_codegen::load_str("spec.toml", &text).expect("at the limit");
            svcgen_codegen::generate(&[system], &Default::default()).expect("generates");
        })
        .unwrap()
        .join()
        .expect("no panic, no overflow");
}

fn services(n: usize, next: impl Fn(usize) -> Option<usize>) -> String {
    let mut text = String::from("[system]\nname = \"many\"\n");
    for i in 0..n {
        text.push_str(&format!("[services.s{i}]\nport = {}\n", 1 + i));
        if let Some(j) = next(i) {
            text.push_str(&format!("depends_on = [\"s{j}\"]\n"));
        }
    }
    text
}

#[test]
fn a_20000_service_cycle_is_one_diagnostic() {
    let n = 20_000;
    let err = load(services(n, |i| Some((i + 1) % n))).expect_err("a cycle");
    let messages = messages(&err);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        messages[0],
        "dependency cycle: s0 → s1 → s2 → s3 → s4 → … 19990 more … → s19995 → s19996 → s19997 → s19998 → s19999 → s0"
    );
    assert!(
        err.render(false)
            .contains(&format!("spec.toml:{}:15", 3 * n + 2))
    );
}

#[test]
fn a_20000_service_chain_resolves() {
    let n = 20_000;
    let system = load(services(n, |i| (i + 1 < n).then_some(i + 1))).expect("a chain is fine");
    assert_eq!(system.services.len(), n);
}

#[test]
fn a_20000_schema_chain_resolves_and_only_cycles_are_boxed() {
    let n = 20_000;
    let mut text = String::from("[system]\nname = \"chain\"\n");
    for i in 0..n {
        text.push_str(&format!(
            "[schemas.S{i}]\nfields.next = \"S{}?\"\n",
            (i + 1) % n
        ));
    }
    text.push_str("[schemas.Leaf]\nfields.a = { type = \"string\", max_len = 3 }\n[schemas.Top]\nfields.leaf = \"Leaf\"\n");
    let system = load(text).expect("resolves");
    use svcgen_codegen::model::SchemaKind;
    let SchemaKind::Object(fields) = &system.schemas["S0"].kind else {
        panic!("an object");
    };
    assert!(fields[0].boxed, "S0 → … → S0 is a cycle");
    let SchemaKind::Object(fields) = &system.schemas["Top"].kind else {
        panic!("an object");
    };
    assert!(!fields[0].boxed, "Top → Leaf is not");
    assert!(system.schemas["Top"].needs_validation);
    assert!(!system.schemas["S0"].needs_validation);
}

#[test]
fn an_object_of_more_than_1000_fields_is_a_diagnostic() {
    let max = svcgen_codegen::resolve::MAX_FIELDS;
    let object = |n: usize| {
        let mut text = String::from("[system]\nname = \"wide\"\n[schemas.Wide]\n");
        for i in 0..n {
            text.push_str(&format!("fields.f{i} = \"string\"\n"));
        }
        text
    };
    load(object(max)).expect("at the limit");
    let err = load(object(max + 1)).expect_err("over the limit");
    assert_eq!(
        messages(&err),
        [format!(
            "schema `Wide` has {} fields; an object has at most {max}",
            max + 1
        )]
    );
    assert!(err.diagnostics.iter().all(|d| d.primary.is_some()));
}
