//! Example apps protected by xsrf-actix, as libraries so the tests can run
//! them in-process; `src/bin/` holds the runnable binaries.
//!
//! * [`chat`] — an echo chat over WebSocket (actix-ws); pages of other
//!   origins cannot open the socket (cross-site WebSocket hijacking).
//! * [`forms`] — the demo: HTML forms, a JSON API, a one-time reset link.
//! * [`spa`] — a page whose script uses `fetch` with the `XSRF-TOKEN`
//!   cookie convention of axios and Angular.
//! * [`login`] — sign-in, a profile form and sign-out with actix-identity,
//!   tokens bound to the signed-in user and rotated at login and logout.
//! * [`multi`] — many instances sharing a key ring, Redis sessions and the
//!   Redis one-time store.
//! * [`htmx`] — a button posting with `hx-post`, the token in
//!   `hx-headers` on `<body>` (htmx 4 and htmx 2, both vendored), kept
//!   valid on a page left open by a small script of ours.
//! * [`rate_limit`] — a limit per client address (`429` with
//!   `Retry-After`), on the demo's route that creates reset links.
//! * [`templates`] — the same small form app in askama, maud, minijinja
//!   and tera (binaries `with_askama`, `with_maud`, `with_minijinja`,
//!   `with_tera`).
//!
//! Each example has its own session cookie name (the demo keeps
//! actix-session's default `id`), so several open in one browser on
//! 127.0.0.1 do not overwrite each other's sessions: cookies ignore ports.

#![forbid(unsafe_code)]

pub mod chat;
pub mod forms;
pub mod htmx;
pub mod login;
pub mod multi;
pub mod rate_limit;
pub mod spa;
pub mod support;
pub mod templates;
