//! Benchmarks (filled in by the performance issue).
fn main() {}
