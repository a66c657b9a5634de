//! A spec full of keywords, prelude names, comment closers, quotes, newlines and unicode
//! generates code in which all of that text sits inside string literals and doc attributes.
//! (The crate itself compiles as a workspace member under `clippy -D warnings`.)

use proc_macro2::{TokenStream, TokenTree};
use svcgen_tests::repo;

/// Splits a file's tokens into code (everything but literals) and literal values. Doc
/// comments arrive as `#[doc = "..."]`, so their text is a literal too.
fn split(tokens: TokenStream, code: &mut String, literals: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Group(g) => {
                code.push(' ');
                split(g.stream(), code, literals);
            }
            TokenTree::Literal(l) => {
                let text = l.to_string();
                if let Ok(s) = syn::parse_str::<syn::LitStr>(&text) {
                    literals.push(s.value());
                }
                code.push_str(" LIT ");
            }
            other => {
                code.push(' ');
                code.push_str(&other.to_string());
            }
        }
    }
}

fn generated_sources() -> Vec<(String, String)> {
    let root = repo().join("tests/hostile/generated");
    svcgen_tests::generated_files(&root)
        .into_iter()
        .filter(|(p, _)| p.ends_with(".rs"))
        .map(|(p, b)| (p, String::from_utf8(b).expect("utf-8")))
        .collect()
}

#[test]
fn spec_text_appears_only_inside_literals() {
    let sources = generated_sources();
    assert!(sources.len() >= 3);
    let mut all_literals = Vec::new();
    for (path, text) in &sources {
        let tokens: TokenStream = text
            .parse()
            .unwrap_or_else(|e| panic!("{path} does not lex: {e}"));
        let mut code = String::new();
        split(tokens, &mut code, &mut all_literals);
        assert!(code.is_ascii(), "{path}: non-ASCII outside literals");
        for injected in ["injected", "evil", "exit"] {
            assert!(
                !code.contains(injected),
                "{path}: `{injected}` escaped into code"
            );
        }
    }
    // The hostile text survived, unchanged, as data.
    for expected in [
        "^\"quoted\" \\d+ */ '$",
        "\\\\\"*/\\n",
        "he said \"hi\"",
        "a\nb",
        "naïve-value",
        "\"); std::process::exit(1); (\"",
        "I'm a \"teapot\" */",
        " \"); } fn evil() { //",
        " a newline, unicode ✓ ünïcödé 🦀, a #[derive] and } { braces; \"); panic!(\"injected\"); //",
    ] {
        assert!(
            all_literals.iter().any(|l| l == expected),
            "literal {expected:?} not found"
        );
    }
}

#[test]
fn keyword_and_prelude_names_keep_their_wire_names() {
    let json = serde_json::json!({
        "type": "\"quoted\" 42 / '",
        "self": "s",
        "crate": 1,
        "super": true,
        "match": 3,
        "out": ["he said \"hi\"", "a\nb"],
        "item": {},
        "firstName": "Ada",
        "async": "\\\"\"/\n",
        "labels": {}
    });
    let value: hostile_types::String = serde_json::from_value(json.clone()).expect("decodes");
    assert_eq!(value.self_.as_deref(), Some("s"));
    assert_eq!(value.crate_, 1);
    assert_eq!(
        value.path, "\"); std::process::exit(1); (\"",
        "default applied"
    );
    assert_eq!(
        value.out,
        [hostile_types::Vec::HeSaidHi, hostile_types::Vec::AB]
    );
    assert_eq!(value.first_name, "Ada");
    let back = serde_json::to_value(&value).unwrap();
    assert_eq!(back["firstName"], "Ada");
    assert_eq!(back["crate"], 1);
    assert!(back.get("self_").is_none() && back.get("first_name").is_none());

    use hostile_types::validation::Validate;
    value.validate().expect("valid");
    let mut bad = value.clone();
    bad.r#match = 6;
    bad.r#type = "nope".into();
    let errs = bad.validate().unwrap_err();
    let pointers: Vec<&str> = errs.0.iter().map(|v| v.pointer.as_str()).collect();
    assert_eq!(pointers, ["/type", "/match"]);
}

#[test]
fn hostile_names_are_rejected_with_diagnostics() {
    let text = r#"
[system]
name = "x"
[schemas."../escape"]
fields.a = "string"
[schemas."naïve"]
fields.a = "string"
[schemas.Good]
fields."a\"b" = "string"
fields."1st" = "string"
fields."r#type" = "string"
[services."../../etc"]
port = 1
"#;
    let err = svcgen_codegen::load_str("hostile.toml", text).expect_err("rejected");
    let rendered = err.render(false);
    assert_eq!(err.diagnostics.len(), 6, "{rendered}");
    assert!(
        rendered.contains("`../escape` is not a valid name"),
        "{rendered}"
    );
    assert!(
        rendered.contains("`../../etc` is not a valid name"),
        "{rendered}"
    );
    assert!(rendered.contains("hostile.toml:4:10"), "{rendered}");
}

#[test]
fn a_spec_file_name_cannot_inject_into_any_output() {
    // U+2028 ends a line for YAML 1.1 parsers; a newline in a file name is legal on Linux.
    let dir = tempfile::tempdir().unwrap();
    let name = "x\u{2028}---\napiVersion: v1\nkind: Pod\u{2029}\r# \"'.toml";
    let spec = "[system]\nname = \"named\"\n[services.a]\nport = 9100\n";
    std::fs::write(dir.path().join(name), spec).unwrap();
    let loaded = svcgen_codegen::load(dir.path(), &[std::path::PathBuf::from(name)])
        .unwrap_or_else(|e| panic!("{}", e.render(false)));
    let files = svcgen_codegen::generate(&loaded.systems, &Default::default()).unwrap();
    assert!(files.len() > 10);
    for file in &files {
        let first = file.contents.lines().next().unwrap_or_default();
        if first.contains(svcgen_codegen::emit::GENERATED_MARKER) {
            assert!(
                first
                    .chars()
                    .all(|c| c.is_ascii_graphic() || c == ' ' || c == '—'),
                "{}: header carries raw spec-name bytes: {first:?}",
                file.path
            );
            if first.contains(" from ") {
                assert!(first.contains("x\\u{2028}---\\u{a}apiVersion"), "{first}");
            }
        }
        for bad in ['\u{2028}', '\u{2029}', '\r'] {
            assert!(!file.contents.contains(bad), "{}: raw {bad:?}", file.path);
        }
        if file.path.ends_with(".yaml") {
            let docs = file.contents.matches("\nkind: Pod").count();
            assert_eq!(docs, 0, "{}: an injected document", file.path);
        }
    }
}
