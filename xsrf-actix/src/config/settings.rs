//! What [`XsrfBuilder::build`](super::XsrfBuilder::build) makes: the
//! settings, grouped by the part of the crate that reads them, so a change
//! to one concern touches one small struct (as actix-session groups its
//! cookie, session-lifecycle and TTL settings). `Transport`, `TokenCookie`
//! and `Rollout` here are the checked forms of the public values of the
//! same names in `super::values` (names parsed, prefixes applied, rules
//! compiled).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix_web::HttpRequest;
use actix_web::http::header::{HeaderMap, HeaderName};
use xsrf_core::{Clock, Exemptions, KeyRing, KeyStore, OneTimeKeys, OriginPolicy, Tokens};

use super::{ExemptRoute, Source, Storage, Wait};
use crate::error::ErrorHandler;

/// `XsrfBuilder::user_fn`: who the user of a request is.
pub(crate) type UserFn = dyn Fn(&HttpRequest) -> Option<String> + Send + Sync;

/// Everything an `Xsrf` holds, shared by its clones.
pub(crate) struct Inner {
    /// Issuing and verifying tokens (keys, timeout).
    pub(crate) tokens: Tokens,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) user_fn: Option<Arc<UserFn>>,
    /// Read by the origin checks and the middleware.
    pub(crate) origin: Origins,
    /// Read where tokens are looked for (check, middleware, scanners).
    pub(crate) transport: Transport,
    /// Read where tokens are issued.
    pub(crate) token_cookie: TokenCookie,
    /// Read by the state's loading, saving and sealing.
    pub(crate) state: StateSettings,
    /// Read by the one-time key verbs.
    pub(crate) one_time: OneTime,
    /// Read where a check concludes: enforce, or report only.
    pub(crate) rollout: Rollout,
    /// Where checks and one-time keys are counted (feature `metrics`).
    pub(crate) counters: crate::counters::Counters,
    pub(crate) error_handler: Option<Arc<ErrorHandler>>,
}

/// Which origins are ours and where their policy is enforced.
pub(crate) struct Origins {
    pub(crate) policy: OriginPolicy,
    /// The middleware refuses unsafe requests from foreign origins.
    pub(crate) enforce_in_middleware: bool,
    /// WebSocket handshakes get the origin policy (against cross-site
    /// WebSocket hijacking).
    pub(crate) websocket_check: bool,
    pub(crate) exemptions: Exemptions,
    /// Methods and names of actix routes whose requests are exempt.
    pub(crate) exempt_routes: Vec<ExemptRoute>,
}

/// Where tokens travel.
pub(crate) struct Transport {
    pub(crate) header: HeaderName,
    /// More token headers accepted (never sent), for migrations.
    pub(crate) extra_headers: Vec<HeaderName>,
    /// Shared: each form scan and `XsrfToken` holds it without a copy.
    pub(crate) field: Arc<str>,
    pub(crate) sources: Vec<Source>,
    pub(crate) scan_limit: usize,
    /// How long a body scan waits for the body.
    pub(crate) body_wait: Wait,
    pub(crate) static_header: HeaderName,
}

impl Transport {
    /// The headers a token is read from, in the order they are read: the
    /// main header, then those accepted during a migration.
    ///
    /// The one answer to "which headers carry a token": a check that reads
    /// headers reads these, and the middleware leaves a JSON body unread
    /// when one of them is sent ([`Transport::header_decides`]).
    pub(crate) fn token_headers(&self) -> impl Iterator<Item = &HeaderName> {
        std::iter::once(&self.header).chain(&self.extra_headers)
    }

    /// Whether a request's headers decide its token, so that a JSON body
    /// is not read for one: a token header of [`Transport::token_headers`],
    /// or the static key header (a programmatic client, whose key the
    /// check proves or refutes). The field in a JSON body is for clients
    /// that cannot set headers, or that migrate from a peer (as with
    /// actix-csrf-middleware, the header decides).
    pub(crate) fn header_decides(&self, headers: &HeaderMap) -> bool {
        self.token_headers().any(|h| headers.contains_key(h))
            || headers.contains_key(&self.static_header)
    }
}

/// The cookie tokens are sent in for scripts (axios, Angular).
pub(crate) struct TokenCookie {
    pub(crate) send: bool,
    /// Prefixed for https sites when it is the default (see
    /// `TokenCookie`).
    pub(crate) name: String,
    pub(crate) domain: Option<String>,
}

/// Where per-session state lives, and the keys of its signed cookie.
pub(crate) struct StateSettings {
    pub(crate) storage: Storage,
    /// The state cookie's MAC key, from the ring's current key.
    pub(crate) key: ring::hmac::Key,
    /// The same from each fallback key: a cookie signed before a secret
    /// rotation still opens, and is signed again with the current key on
    /// its way through.
    pub(crate) fallback_keys: Vec<ring::hmac::Key>,
}

impl StateSettings {
    /// The label the state cookie's MAC key is derived under.
    const PURPOSE: &'static str = "xsrf-actix/state-cookie/v1";

    pub(crate) fn new(storage: Storage, ring: &KeyRing) -> Self {
        Self {
            storage,
            key: ring.current().derive(Self::PURPOSE),
            fallback_keys: ring
                .keys()
                .skip(1)
                .map(|k| k.derive(Self::PURPOSE))
                .collect(),
        }
    }
}

/// One-time keys: the store, and whether this instance has seen keys bound
/// to sessions (read and written only by `state/bound_keys.rs`).
pub(crate) struct OneTime {
    pub(crate) keys: OneTimeKeys<Arc<dyn KeyStore>>,
    /// This instance has bound a one-time key to a session, or read a
    /// session state that had: from then on, reads of state note whether
    /// it bound any, so a rotation after a purge knows (see `rotate`).
    /// Apps without session-bound keys never pay for the note.
    pub(crate) bound_keys_seen: AtomicBool,
}

/// Report-only mode ([`Rollout`](crate::Rollout)):
/// where a refusal for a token or origin reason is logged, counted and
/// let through instead of answered.
pub(crate) struct Rollout {
    /// Report only, on every path.
    pub(crate) everywhere: bool,
    /// Report only on these paths (the syntax of `exempt`).
    pub(crate) paths: Exemptions,
}

impl Rollout {
    /// Whether this request's refusals are reported rather than enforced.
    /// A path that is not canonical matches no rule, so it is enforced.
    pub(crate) fn reports(&self, req: &HttpRequest) -> bool {
        self.everywhere
            || (!self.paths.is_empty()
                && self.paths.find(req.method().as_str(), req.path()).is_some())
    }

    /// What the start-up warning names.
    pub(crate) fn describe(&self) -> Option<String> {
        if self.everywhere {
            return Some("every path".to_owned());
        }
        if self.paths.is_empty() {
            return None;
        }
        let rules: Vec<String> = self.paths.rules().iter().map(ToString::to_string).collect();
        Some(rules.join(", "))
    }
}
