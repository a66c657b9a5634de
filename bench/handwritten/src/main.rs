//! Bare axum: the shop's `users` service by hand with no middleware at all.

#[tokio::main]
async fn main() {
    bench_handwritten::serve(bench_handwritten::app()).await;
}
