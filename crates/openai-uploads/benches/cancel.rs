//! Benchmark placeholder; the real one follows.
fn main() {}
