//! `soak`: the soak run (`xsrf_tests::soak`) for minutes.
//!
//! `xsrf-bench soak --minutes N [--cluster] [--users N]` starts two app
//! instances by running this same binary as `xsrf-bench soak-server`, so
//! each is its own process with its own RSS and fds.

use std::time::Duration;

use xsrf_tests::soak::{self, Options, ServerCommand};

/// The hidden sub-command an instance runs under.
pub(crate) const SERVER: &str = "soak-server";

/// Parses the arguments after `soak`, runs, prints the table; the exit
/// code says whether the run passed.
pub(crate) fn main(args: &[String]) -> i32 {
    let opts = match parse(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!(
                "{e}\nusage: xsrf-bench soak [--minutes N | --seconds N] [--cluster] [--users N]"
            );
            return 2;
        }
    };
    match soak::run(&opts) {
        Ok(report) => {
            println!("{}", report.table());
            if report.passed() { 0 } else { 1 }
        }
        Err(e) => {
            eprintln!("soak could not start: {e}");
            2
        }
    }
}

fn parse(args: &[String]) -> Result<Options, String> {
    let program = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let server = ServerCommand {
        program,
        args: vec![SERVER.to_owned()],
    };
    let mut opts = Options::new(Duration::from_secs(600), server);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut number = |name: &str| {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--minutes" => opts.duration = Duration::from_secs(60 * number("--minutes")?),
            "--seconds" => opts.duration = Duration::from_secs(number("--seconds")?),
            "--users" => {
                opts.users = usize::try_from(number("--users")?).map_err(|e| e.to_string())?;
            }
            "--cluster" => opts.cluster = true,
            other => return Err(format!("unknown soak option {other:?}")),
        }
    }
    if opts.duration < Duration::from_secs(10) {
        return Err("a soak needs at least 10 seconds".to_owned());
    }
    Ok(opts)
}
