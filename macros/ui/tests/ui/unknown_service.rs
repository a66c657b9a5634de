mod payments {
    svcgen_macros::service!("../../../../specs/shop.toml", "payments");
}

fn main() {}
