//! Guides: pages of prose with no items of their own. Coming from another
//! CSRF library? Read its migration page first.
//!
//! * [`migrating_from_django`] — `CsrfViewMiddleware`, its settings,
//!   decorators and `{% csrf_token %}`.
//! * [`migrating_from_flask_xsrf`] — `XSRFTokenHandler` and its
//!   `send_token` / `handle_token` decorators.
//! * [`migrating_from_actix_csrf_middleware`] — `CsrfMiddlewareConfig`
//!   and its two patterns.
//! * [`rollout`] — on an app that already has users: report-only mode,
//!   reading what it would refuse (logs, metrics, the response header),
//!   then enforcing, per path if needed.
//! * [`deploying`] — forms that survive restarts and deploys: a stable
//!   secret and session key, rotating the secret, many instances, what a
//!   person sees when a form outlives its token, and the refusal each
//!   mistake produces.
//! * [`tokens_and_sessions`] — sessions or the signed state cookie,
//!   cookie names on https, token lifetime and key rotation, tokens in
//!   request bodies, logins, and forms for one record.
//! * [`origins_and_cors`] — the origin check, WebSocket handshakes,
//!   subdomains and a migration from another header, CORS, and
//!   exempting webhooks and callbacks.
//! * [`one_time_keys`] — keys accepted once, their flood limits, Redis
//!   and Redis Cluster, and the static session key.
//! * [`htmx_and_spa`] — the token in `hx-headers` (htmx 2 and 4), axios
//!   and the `XSRF-TOKEN` cookie, and what that cookie does not protect.
//! * [`testing`] — your app's tests with `actix_web::test`, protection on:
//!   what a test sends that a browser sends, and the forged request.
//! * [`threat_model`] — what each layer stops and what it does not, what
//!   the crate assumes of your app, its limits on work, and every attack
//!   the test suite sends with the answer it gets.
//!
//! Template engines (askama, maud, minijinja, tera) are in
//! [`templates`](crate::templates), next to the code.

#[doc = include_str!("../docs/migrating-from-django.md")]
pub mod migrating_from_django {}

#[doc = include_str!("../docs/migrating-from-flask-xsrf.md")]
pub mod migrating_from_flask_xsrf {}

#[doc = include_str!("../docs/migrating-from-actix-csrf-middleware.md")]
pub mod migrating_from_actix_csrf_middleware {}

#[doc = include_str!("../docs/rollout.md")]
pub mod rollout {}

#[doc = include_str!("../docs/deploying.md")]
pub mod deploying {}

#[doc = include_str!("../docs/tokens-and-sessions.md")]
pub mod tokens_and_sessions {}

#[doc = include_str!("../docs/origins-and-cors.md")]
pub mod origins_and_cors {}

#[doc = include_str!("../docs/one-time-keys.md")]
pub mod one_time_keys {}

#[doc = include_str!("../docs/htmx-and-spa.md")]
pub mod htmx_and_spa {}

#[doc = include_str!("../docs/testing.md")]
pub mod testing {}

#[doc = include_str!("../docs/threat-model.md")]
pub mod threat_model {}
