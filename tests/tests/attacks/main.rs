//! Everything that runs in one process, in one test binary: the rows of
//! the threat model (`xsrf-actix/docs/threat-model.md`) one module per
//! section, then the other behaviour the apps rely on. A test named for a
//! row starts with the row's id (`t5_…`, `o14_…`); `row_index` checks
//! that every row has one.
//!
//! Redis, Redis Cluster, real sockets, the browser, the load run and the
//! allocation count keep their own binaries (`redis_stores`, `sockets`,
//! `browser`, `redis_restart_under_load`, `allocations`).

// Sections of the matrix.
mod bodies;
mod lifecycle;
mod observability;
mod one_time_keys;
mod origin;
mod responses;
mod tokens;

// What the apps build on.
mod config;
mod demo;
mod handlers;
mod htmx;
mod logins;
mod macros;
mod secret_comparisons;
mod templates;

// The index of the matrix: every row has a test named after it.
mod row_index;
