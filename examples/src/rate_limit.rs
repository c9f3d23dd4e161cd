//! A limit per client address, for routes that create one-time keys for
//! anyone who asks (the demo's `POST /reset-link`).
//!
//! A session's quota keeps one session from filling the store with
//! unbound keys, but fresh sessions cost a client nothing: only a limit
//! on the client's address stops one client from asking for keys as fast
//! as it can. [`PerAddress`] allows a burst of `n` requests per address,
//! then one more every `60 / n` seconds (GCRA, from the `governor` crate);
//! past it the answer is `429 Too Many Requests` with `Retry-After` and
//! the handler does not run.
//!
//! It keys on the connection's peer address. Behind a reverse proxy every
//! request comes from the proxy, so all clients would share one limit:
//! there, key on the client address the proxy reports
//! ([`PerAddress::behind_proxy`]), and only when the proxy is trusted and
//! overwrites `Forwarded` / `X-Forwarded-For`, since a client sets them to
//! anything it likes otherwise. Or let the proxy limit (nginx's
//! `limit_req`). The counts live in this process: several instances each
//! count on their own.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// How often addresses not seen for a while are forgotten, so the counts
/// hold only addresses active within about the last minute.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Requests allowed per client address and minute, shared by every clone
/// (build one, give a clone to every worker).
///
/// ```
/// use actix_web::{App, HttpResponse, middleware::from_fn, web};
/// use xsrf_examples::rate_limit::PerAddress;
///
/// let limit = PerAddress::per_minute(30); // 0: no limit
/// let app = App::new().service(
///     web::resource("/reset-link")
///         .wrap(from_fn(move |req, next| limit.clone().check(req, next)))
///         .route(web::post().to(HttpResponse::Ok)),
/// );
/// # let _ = app;
/// ```
#[derive(Clone, Default)]
pub struct PerAddress(Option<Arc<Limiter>>);

struct Limiter {
    quota: Quota,
    behind_proxy: bool,
    keyed: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
    last_sweep: Mutex<Instant>,
}

impl Limiter {
    fn new(quota: Quota, behind_proxy: bool) -> Arc<Self> {
        Arc::new(Self {
            quota,
            behind_proxy,
            keyed: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            last_sweep: Mutex::new(Instant::now()),
        })
    }

    /// Forgets addresses whose count is back to a full burst, at most once
    /// per [`SWEEP_EVERY`]; a request that finds another sweeping moves on.
    fn sweep(&self) {
        let mut last = match self.last_sweep.try_lock() {
            Ok(last) => last,
            // A sweep that panicked leaves the counts (governor's own) fine.
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        if last.elapsed() >= SWEEP_EVERY {
            self.keyed.retain_recent();
            self.keyed.shrink_to_fit();
            *last = Instant::now();
        }
    }
}

impl std::fmt::Debug for PerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(l) => write!(f, "PerAddress({} addresses counted)", l.keyed.len()),
            None => f.write_str("PerAddress(off)"),
        }
    }
}

impl PerAddress {
    /// `n` requests per client address and minute (a burst of `n`, then
    /// one every `60 / n` seconds); `0` turns the limit off.
    pub fn per_minute(n: u32) -> Self {
        Self(NonZeroU32::new(n).map(|n| Limiter::new(Quota::per_minute(n), false)))
    }

    /// Counts clients by the address a reverse proxy reports (the first of
    /// `Forwarded` / `X-Forwarded-For`, as
    /// [`ConnectionInfo::realip_remote_addr`](actix_web::dev::ConnectionInfo::realip_remote_addr)
    /// reads it) instead of the peer, which is the proxy. **Only behind a
    /// proxy that overwrites those headers:** anywhere else a client names
    /// another address in each request and is never limited. A request
    /// whose header holds no address is counted under the peer's.
    #[must_use]
    pub fn behind_proxy(self) -> Self {
        Self(self.0.map(|l| Limiter::new(l.quota, true)))
    }

    /// Whether requests are limited at all.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// The middleware (for `actix_web::middleware::from_fn`): answers `429`
    /// with `Retry-After` (whole seconds, at least 1) to a client address
    /// over its limit, else runs the rest.
    pub async fn check<B: MessageBody>(
        self,
        req: ServiceRequest,
        next: Next<B>,
    ) -> Result<ServiceResponse<EitherBody<B>>, Error> {
        let Some(limiter) = &self.0 else {
            return Ok(next.call(req).await?.map_into_left_body());
        };
        limiter.sweep();
        match limiter.keyed.check_key(&client(&req, limiter.behind_proxy)) {
            Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock.now());
                let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
                let res = HttpResponse::TooManyRequests()
                    .insert_header((header::RETRY_AFTER, secs))
                    .content_type("text/plain; charset=utf-8")
                    .body(format!(
                        "too many requests from your address, retry in {secs} s\n"
                    ));
                Ok(req.into_response(res).map_into_right_body())
            }
        }
    }
}

/// The address a client is counted under: its IPv4 address, or the /64 of
/// an IPv6 one (a single subscriber usually has a whole /64). A request
/// without a peer address (a Unix socket, a test request) is counted under
/// the unspecified address, all such requests together.
fn client(req: &ServiceRequest, behind_proxy: bool) -> IpAddr {
    let reported = behind_proxy
        .then(|| {
            req.connection_info()
                .realip_remote_addr()
                .and_then(parse_ip)
        })
        .flatten();
    let ip = reported.or_else(|| req.peer_addr().map(|a| a.ip()));
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V6(v6)) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        Some(v4) => v4,
        None => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// An address as `Forwarded` / `X-Forwarded-For` give it: bare, with a
/// port, or in brackets.
fn parse_ip(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            text.trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn clients_are_counted_by_ipv4_address_and_ipv6_slash_64() {
        let of = |peer: &str| {
            client(
                &TestRequest::default()
                    .peer_addr(peer.parse().expect("addr"))
                    .to_srv_request(),
                false,
            )
        };
        assert_eq!(
            of("192.0.2.7:4000"),
            "192.0.2.7".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            of("[::ffff:192.0.2.7]:4000"),
            "192.0.2.7".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            of("[2001:db8:1:2:aaaa::1]:4000"),
            of("[2001:db8:1:2:bbbb::9]:1")
        );
        assert_ne!(of("[2001:db8:1:2::1]:4000"), of("[2001:db8:1:3::1]:4000"));
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_proxy() {
        let req = || {
            TestRequest::default()
                .peer_addr("10.0.0.1:4000".parse().expect("addr"))
                .insert_header(("x-forwarded-for", "198.51.100.4, 10.0.0.1"))
                .to_srv_request()
        };
        assert_eq!(
            client(&req(), false),
            "10.0.0.1".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(
            client(&req(), true),
            "198.51.100.4".parse::<IpAddr>().expect("ip")
        );
        assert_eq!(parse_ip("[2001:db8::1]:80"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("[2001:db8::1]"), "2001:db8::1".parse().ok());
    }
}
