//! Example apps protected by xsrf-actix, as libraries so the tests can run
//! them in-process; `src/bin/` holds the runnable binaries.
//!
//! * [`forms`] — the demo: HTML forms, a JSON API, a one-time reset link.
//! * [`spa`] — a page whose script uses `fetch` with the `XSRF-TOKEN`
//!   cookie convention of axios and Angular.
//! * [`multi`] — many instances sharing a key ring, Redis sessions and the
//!   Redis one-time store.

#![forbid(unsafe_code)]

pub mod forms;
pub mod multi;
pub mod spa;
pub mod support;
