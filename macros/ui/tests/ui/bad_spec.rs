mod broken {
    svcgen_macros::service!("../../../../tests/diagnostics/many_problems.toml", "orders");
}

fn main() {}
