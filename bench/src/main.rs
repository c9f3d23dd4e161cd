//! Benchmarks of xsrf-actix against its peers, all measured in one run.
//!
//! `cargo run --release -p xsrf-bench [load|overhead|memory|onetime|scan ...]`
//! runs the selected parts (all by default) and prints plain-text tables;
//! `cargo run --release -p xsrf-bench soak --minutes N [--cluster]` runs the
//! soak instead (see `soak.rs`), which exits non-zero when it fails.
//! Every ratio is taken against a baseline measured in the same run on the
//! same machine, so the numbers can be compared with each other but not
//! with figures from another machine. Nothing here asserts a timing: the
//! tables are for reading, see `bench/README.md`.

use std::time::Instant;

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;

mod apps;
mod client;
mod load;
mod memory;
mod onetime;
mod overhead;
mod profile;
mod report;
mod scan;
mod soak;

/// Counts every allocation of the process, so parts can read allocations
/// and bytes per request from a `stats_alloc::Region`.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The single-threaded runtime a part drives its clients on.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime")
}

/// The parts, in the order they run.
const PARTS: [&str; 5] = ["load", "overhead", "memory", "onetime", "scan"];
/// Parts run only when named.
const EXTRA_PARTS: [&str; 1] = ["profile"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The soak is not a part of the default run: it takes minutes.
    match args.first().map(String::as_str) {
        Some("soak") => std::process::exit(soak::main(&args[1..])),
        Some(soak::SERVER) => {
            if let Err(e) = xsrf_tests::soak::serve() {
                eprintln!("soak server: {e}");
                std::process::exit(1);
            }
            return;
        }
        _ => {}
    }
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!(
            "usage: xsrf-bench [{}]...  (default: all parts)\n       xsrf-bench soak --minutes N [--cluster]",
            PARTS.join("|")
        );
        return;
    }
    if let Some(bad) = args
        .iter()
        .find(|a| !PARTS.contains(&a.as_str()) && !EXTRA_PARTS.contains(&a.as_str()))
    {
        eprintln!("unknown part {bad:?}; known parts: {}", PARTS.join(", "));
        std::process::exit(2);
    }
    let selected: Vec<&str> = if args.is_empty() {
        PARTS.to_vec()
    } else {
        PARTS
            .iter()
            .chain(&EXTRA_PARTS)
            .copied()
            .filter(|p| args.iter().any(|a| a == p))
            .collect()
    };

    report::machine_note();
    let start = Instant::now();
    for part in selected {
        let t = Instant::now();
        match part {
            "load" => load::run(),
            "overhead" => overhead::run(),
            "memory" => memory::run(),
            "onetime" => onetime::run(),
            "scan" => scan::run(),
            "profile" => profile::run(),
            _ => unreachable!("parts are checked above"),
        }
        println!("({part}: {:.1} s)\n", t.elapsed().as_secs_f64());
    }
    println!("total wall time: {:.1} s", start.elapsed().as_secs_f64());
}
