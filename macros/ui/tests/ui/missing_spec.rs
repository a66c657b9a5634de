mod users {
    svcgen_macros::service!("specs/does-not-exist.toml", "users");
}

fn main() {}
