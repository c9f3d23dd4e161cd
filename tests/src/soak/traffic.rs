//! The driver's traffic: simulated browsers doing what users do, each
//! now and then made to send a forged request (the victim's browser on an
//! attacker's page), over keep-alive connections to both instances.
//!
//! A request carries its id in `X-Soak-Id`; forged ids have
//! [`FORGED`] set, the recovery probe's [`PROBE`], so the effects the
//! instances report say who caused them without the driver remembering
//! every request.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::header::{self, HeaderMap};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use super::app::{REQUEST_ID, SITE_ORIGIN};
use super::outage::{self, SharedTimes};
use super::record::{Failure, Forgery, Tally};

/// Set in the id of a forged request.
pub(crate) const FORGED: u64 = 1 << 63;
/// Set in the id of a recovery probe's request.
pub(crate) const PROBE: u64 = 1 << 62;

/// The site forged requests come from.
const EVIL_ORIGIN: &str = "http://evil.test";
/// How long one request may take before the driver gives up on it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Fresh sessions the recovery probe tries per instance: on a cluster a
/// session's keys live on one of three primaries, and 12 sessions all
/// missing the restarted one has a chance of (2/3)^12, under 1 %, per
/// instance.
const PROBE_SESSIONS: usize = 12;

/// What the traffic shares.
pub(crate) struct Driver {
    http: Client<HttpConnector, Full<Bytes>>,
    pub(crate) addrs: [SocketAddr; 2],
    pub(crate) start: Instant,
    pub(crate) tally: Tally,
    pub(crate) failures: Mutex<Vec<Failure>>,
    /// Latencies of the current second, µs.
    pub(crate) latency: Mutex<Histogram<u64>>,
    next_id: AtomicU64,
    pub(crate) done: AtomicBool,
    pub(crate) fault: SharedTimes,
    /// A token of a session no browser shares: the attacker's own.
    attacker_token: Mutex<Option<String>>,
}

/// An answer, read whole.
pub(crate) struct Reply {
    pub(crate) status: u16,
    headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request to send.
struct Req<'a> {
    method: &'static str,
    path: &'static str,
    content_type: Option<String>,
    headers: Vec<(&'static str, &'a str)>,
    body: Bytes,
}

impl<'a> Req<'a> {
    fn new(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }
    fn header(mut self, name: &'static str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }
    fn body(mut self, content_type: impl Into<String>, body: impl Into<Bytes>) -> Self {
        self.content_type = Some(content_type.into());
        self.body = body.into();
        self
    }
    /// What a browser adds to a same-origin request.
    fn same_origin(self) -> Self {
        self.header("origin", SITE_ORIGIN)
            .header("sec-fetch-site", "same-origin")
    }
    fn what(&self) -> &'static str {
        match (self.method, self.path) {
            ("GET", "/form") => "GET /form",
            ("GET", "/api/notes") => "GET /api/notes",
            (_, "/notes") => "POST /notes",
            (_, "/upload") => "POST /upload",
            (_, "/api/notes") => "POST /api/notes",
            (_, "/one-time") => "POST /one-time",
            (_, "/one-time/use") => "POST /one-time/use",
            (_, "/login") => "POST /login",
            (_, "/logout") => "POST /logout",
            _ => "other",
        }
    }
}

/// A visitor's cookies and what its pages gave it.
#[derive(Default)]
struct Browser {
    jar: BTreeMap<String, String>,
    /// The hidden field of the last form page.
    form_token: Option<String>,
    /// The `X-XSRF-Token` of the last page (what an SPA keeps).
    header_token: Option<String>,
    signed_in: bool,
    /// A token from before the last login or logout.
    stale_token: Option<String>,
    /// A one-time key this browser already used.
    used_key: Option<String>,
}

impl Browser {
    fn cookie(&self) -> String {
        self.jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, reply: &Reply) {
        for v in reply.headers.get_all(header::SET_COOKIE) {
            let Ok(v) = v.to_str() else { continue };
            let pair = v.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.trim().is_empty() {
                    self.jar.remove(name.trim());
                } else {
                    self.jar
                        .insert(name.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
    }
}

/// The value of the page's hidden `xsrf_token` input.
fn hidden_token(page: &str) -> Option<String> {
    let after = page.split(r#"name="xsrf_token" value=""#).nth(1)?;
    Some(after.split('"').next()?.to_owned())
}

fn multipart(boundary: &str, fields: &[(&str, &[u8])], closed: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{name}.txt\"\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    if closed {
        out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    }
    out
}

const BOUNDARY: &str = "soak-boundary-7d3f";

/// What a legitimate request expects.
struct Expect {
    status: u16,
    /// Counts towards the side effects the instances must report.
    effect: bool,
    key_born_ms: Option<u64>,
}

impl Expect {
    fn page() -> Self {
        Self {
            status: 200,
            effect: false,
            key_born_ms: None,
        }
    }
    fn done(status: u16) -> Self {
        Self {
            status,
            effect: true,
            key_born_ms: None,
        }
    }
}

impl Driver {
    pub(crate) fn new(addrs: [SocketAddr; 2], fault: SharedTimes) -> Result<Self, String> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(600))
            .build(connector);
        Ok(Self {
            http,
            addrs,
            start: Instant::now(),
            tally: Tally::default(),
            failures: Mutex::new(Vec::new()),
            latency: Mutex::new(
                Histogram::new_with_bounds(1, 120_000_000, 2).map_err(|e| e.to_string())?,
            ),
            next_id: AtomicU64::new(1),
            done: AtomicBool::new(false),
            fault,
            attacker_token: Mutex::new(None),
        })
    }

    pub(crate) fn ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn id(&self, flag: u64) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) | flag
    }

    /// Sends one request with `browser`'s cookies (keeping what it sets).
    async fn send(
        &self,
        instance: usize,
        browser: Option<&mut Browser>,
        id: u64,
        req: Req<'_>,
    ) -> Result<Reply, String> {
        let id = id.to_string();
        let mut builder = hyper::Request::builder()
            .method(req.method)
            .uri(format!("http://{}{}", self.addrs[instance], req.path))
            .header(header::HOST, "soak.test")
            .header(REQUEST_ID, id.as_str());
        if let Some(ct) = &req.content_type {
            builder = builder.header(header::CONTENT_TYPE, ct.as_str());
        }
        for (k, v) in &req.headers {
            builder = builder.header(*k, *v);
        }
        let cookie = browser.as_ref().map(|b| b.cookie()).unwrap_or_default();
        if !cookie.is_empty() {
            builder = builder.header(header::COOKIE, cookie);
        }
        let request = builder
            .body(Full::new(req.body))
            .map_err(|e| format!("request: {e}"))?;
        let exchange = async {
            let res = self
                .http
                .request(request)
                .await
                .map_err(|e| format!("transport: {e}"))?;
            let (parts, body) = res.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok::<_, String>(Reply {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        let reply = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("no answer within {REQUEST_TIMEOUT:?}"))??;
        if let Some(b) = browser {
            b.keep(&reply);
        }
        Ok(reply)
    }

    /// [`send`](Self::send), counted in the second's requests and
    /// latencies (the probe's and the sampler's requests are not).
    async fn timed(
        &self,
        instance: usize,
        browser: &mut Browser,
        id: u64,
        req: Req<'_>,
    ) -> Result<Reply, String> {
        let started = Instant::now();
        let reply = self.send(instance, Some(browser), id, req).await;
        let us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let _ = self
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(us.max(1));
        self.tally.requests.fetch_add(1, Ordering::Relaxed);
        reply
    }

    /// A legitimate request: counted, and recorded as a failure unless it
    /// got `expect`. Returns the reply when it did.
    async fn legit(
        &self,
        instance: usize,
        browser: &mut Browser,
        req: Req<'_>,
        expect: Expect,
    ) -> Option<Reply> {
        let what = req.what();
        let start_ms = self.ms();
        let result = self.timed(instance, browser, self.id(0), req).await;
        let (status, detail) = match result {
            Ok(r) if r.status == expect.status => {
                self.tally.legit_ok.fetch_add(1, Ordering::Relaxed);
                if expect.effect {
                    self.tally
                        .legit_effects_expected
                        .fetch_add(1, Ordering::Relaxed);
                }
                return Some(r);
            }
            Ok(r) => (Some(r.status), format!("{} {}", r.status, r.text().trim())),
            Err(e) => (None, e),
        };
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Failure {
                start_ms,
                end_ms: self.ms(),
                what,
                status,
                detail,
                key_born_ms: expect.key_born_ms,
            });
        None
    }

    /// A forged request: it must be refused (status 400 or above).
    async fn forged(&self, instance: usize, browser: &mut Browser, kind: Forgery, req: Req<'_>) {
        let accepted = match self.timed(instance, browser, self.id(FORGED), req).await {
            Ok(r) => r.status < 400,
            // A connection the server closed on a refused body is a refusal.
            Err(_) => false,
        };
        self.tally.forged(kind, accepted);
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        rng.random_range(0..self.addrs.len())
    }

    /// One simulated browser, until the run is over.
    pub(crate) async fn browse(&self, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut b = Browser::default();
        while !self.done.load(Ordering::Relaxed) {
            let ok = if b.header_token.is_none() {
                self.load_form(self.pick(&mut rng), &mut b).await
            } else {
                match rng.random_range(0..100) {
                    0..20 => self.post_form(&mut rng, &mut b).await,
                    20..32 => self.upload(&mut rng, &mut b).await,
                    32..52 => self.spa(&mut rng, &mut b).await,
                    52..67 => self.one_time(&mut rng, &mut b).await,
                    67..72 => self.sign_in_or_out(&mut rng, &mut b).await,
                    _ => {
                        self.forge(&mut rng, &mut b).await;
                        true
                    }
                }
            };
            if !ok {
                // A failed step: start again from a fresh page, without
                // spinning while the cause lasts.
                b.header_token = None;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    async fn load_form(&self, instance: usize, b: &mut Browser) -> bool {
        let Some(r) = self
            .legit(instance, b, Req::new("GET", "/form"), Expect::page())
            .await
        else {
            return false;
        };
        b.form_token = hidden_token(&String::from_utf8_lossy(&r.body));
        b.header_token = r
            .headers
            .get("x-xsrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        b.form_token.is_some() && b.header_token.is_some()
    }

    /// Loads the form from one instance and posts it to either.
    async fn post_form(&self, rng: &mut StdRng, b: &mut Browser) -> bool {
        if !self.load_form(self.pick(rng), b).await {
            return false;
        }
        let token = b.form_token.clone().unwrap_or_default();
        let body = format!("xsrf_token={token}&body=note+{}", rng.random::<u32>());
        let req = Req::new("POST", "/notes")
            .same_origin()
            .body("application/x-www-form-urlencoded", body);
        self.legit(self.pick(rng), b, req, Expect::done(303))
            .await
            .is_some()
    }

    async fn upload(&self, rng: &mut StdRng, b: &mut Browser) -> bool {
        let token = b.form_token.clone().unwrap_or_default();
        let file = vec![b'x'; rng.random_range(100..4000)];
        let body = multipart(
            BOUNDARY,
            &[("xsrf_token", token.as_bytes()), ("file", &file)],
            true,
        );
        let req = Req::new("POST", "/upload")
            .same_origin()
            .body(format!("multipart/form-data; boundary={BOUNDARY}"), body);
        self.legit(self.pick(rng), b, req, Expect::done(200))
            .await
            .is_some()
    }

    /// An SPA's read and write, token in the header.
    async fn spa(&self, rng: &mut StdRng, b: &mut Browser) -> bool {
        if self
            .legit(
                self.pick(rng),
                b,
                Req::new("GET", "/api/notes"),
                Expect::page(),
            )
            .await
            .is_none()
        {
            return false;
        }
        let token = b.header_token.clone().unwrap_or_default();
        let body = format!(r#"{{"body":"note {}"}}"#, rng.random::<u32>());
        let req = Req::new("POST", "/api/notes")
            .same_origin()
            .header("x-xsrf-token", &token)
            .body("application/json", body);
        self.legit(self.pick(rng), b, req, Expect::done(201))
            .await
            .is_some()
    }

    /// Creates a key on one instance and redeems it on either.
    async fn one_time(&self, rng: &mut StdRng, b: &mut Browser) -> bool {
        let token = b.header_token.clone().unwrap_or_default();
        let born = self.ms();
        let req = Req::new("POST", "/one-time")
            .same_origin()
            .header("x-xsrf-token", &token);
        let Some(created) = self.legit(self.pick(rng), b, req, Expect::done(200)).await else {
            return false;
        };
        let key = String::from_utf8_lossy(&created.body).into_owned();
        let req = Req::new("POST", "/one-time/use")
            .same_origin()
            .header("x-xsrf-token", &key);
        let expect = Expect {
            key_born_ms: Some(born),
            ..Expect::done(200)
        };
        let used = self.legit(self.pick(rng), b, req, expect).await.is_some();
        if used {
            self.tally.keys_redeemed.fetch_add(1, Ordering::Relaxed);
            b.used_key = Some(key);
        }
        used
    }

    /// Signs in (form post) or out (header token); both rotate, so the
    /// browser loads a fresh page after.
    async fn sign_in_or_out(&self, rng: &mut StdRng, b: &mut Browser) -> bool {
        let old = b.header_token.clone().unwrap_or_default();
        let done = if b.signed_in {
            let req = Req::new("POST", "/logout")
                .same_origin()
                .header("x-xsrf-token", &old);
            self.legit(self.pick(rng), b, req, Expect::done(200)).await
        } else {
            let token = b.form_token.clone().unwrap_or_default();
            let body = format!("xsrf_token={token}&body=user{}", rng.random::<u16>());
            let req = Req::new("POST", "/login")
                .same_origin()
                .body("application/x-www-form-urlencoded", body);
            self.legit(self.pick(rng), b, req, Expect::done(200)).await
        };
        if done.is_none() {
            return false;
        }
        b.signed_in = !b.signed_in;
        b.stale_token = Some(old);
        self.load_form(self.pick(rng), b).await
    }

    /// The attacker's own token (from a session of its own), fetched once.
    async fn attacker_token(&self) -> Option<String> {
        if let Some(t) = self
            .attacker_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
        {
            return Some(t);
        }
        let mut attacker = Browser::default();
        let r = self
            .send(
                0,
                Some(&mut attacker),
                self.id(FORGED),
                Req::new("GET", "/form"),
            )
            .await
            .ok()?;
        let token = hidden_token(&String::from_utf8_lossy(&r.body))?;
        *self
            .attacker_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
        Some(token)
    }

    /// One forged request of a random kind, carrying the victim's cookies
    /// (the browser sends them wherever the request comes from).
    async fn forge(&self, rng: &mut StdRng, b: &mut Browser) {
        let i = self.pick(rng);
        let mut kind = Forgery::ALL[rng.random_range(0..Forgery::ALL.len())];
        if kind == Forgery::ReplayedKey && b.used_key.is_none() {
            kind = Forgery::NoToken;
        }
        if kind == Forgery::StaleToken && b.stale_token.is_none() {
            kind = Forgery::OtherSession;
        }
        let note = format!(r#"{{"body":"forged {}"}}"#, rng.random::<u32>());
        match kind {
            Forgery::NoToken => {
                let req = match rng.random_range(0..3) {
                    0 => Req::new("POST", "/notes")
                        .body("application/x-www-form-urlencoded", "body=forged"),
                    1 => Req::new("POST", "/api/notes").body("application/json", note),
                    _ => Req::new("POST", "/upload").body(
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                        multipart(BOUNDARY, &[("file", b"forged")], true),
                    ),
                };
                self.forged(i, b, kind, req.same_origin()).await;
            }
            Forgery::OtherSession | Forgery::StaleToken => {
                let token = if kind == Forgery::StaleToken {
                    b.stale_token.clone()
                } else {
                    self.attacker_token().await
                };
                let token = token.unwrap_or_default();
                let req = if rng.random_bool(0.5) {
                    Req::new("POST", "/notes").body(
                        "application/x-www-form-urlencoded",
                        format!("xsrf_token={token}&body=forged"),
                    )
                } else {
                    Req::new("POST", "/api/notes")
                        .header("x-xsrf-token", &token)
                        .body("application/json", note)
                };
                // Owned token borrowed by the request: send before it drops.
                self.forged(i, b, kind, req.same_origin()).await;
            }
            Forgery::CrossSite => {
                let token = b.header_token.clone().unwrap_or_default();
                let req = Req::new("POST", "/api/notes")
                    .header("origin", EVIL_ORIGIN)
                    .header("sec-fetch-site", "cross-site")
                    .header("x-xsrf-token", &token)
                    .body("application/json", note);
                self.forged(i, b, kind, req).await;
            }
            Forgery::ReplayedKey => {
                let key = b.used_key.clone().unwrap_or_default();
                let req = Req::new("POST", "/one-time/use")
                    .same_origin()
                    .header("x-xsrf-token", &key);
                self.forged(i, b, kind, req).await;
            }
            Forgery::Oversized => {
                // Over the 64 KiB scan limit, no token within it.
                let mut body = b"body=".to_vec();
                body.resize(100 * 1024, b'a');
                let req = Req::new("POST", "/notes")
                    .same_origin()
                    .body("application/x-www-form-urlencoded", body);
                self.forged(i, b, kind, req).await;
            }
            Forgery::Malformed => {
                let req = if rng.random_bool(0.5) {
                    // A multipart body cut short: no closing boundary, the
                    // token field's value garbage.
                    Req::new("POST", "/upload").body(
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                        multipart(BOUNDARY, &[("xsrf_token", b"%%%not-a-token")], false),
                    )
                } else {
                    Req::new("POST", "/api/notes")
                        .body("application/json", r#"{"xsrf_token": "abc", "body": "#)
                };
                self.forged(i, b, kind, req.same_origin()).await;
            }
        }
    }

    /// After the restart: waits until, on both instances, fresh sessions
    /// create and redeem keys again, then notes the end of the outage.
    pub(crate) async fn probe_recovery(&self) {
        loop {
            if self.done.load(Ordering::Relaxed) {
                return;
            }
            let t = outage::times(&self.fault);
            if t.recovered.is_some() {
                return;
            }
            if t.back.is_some() && self.probe_round().await {
                self.fault
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .recovered = Some(Instant::now());
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn probe_round(&self) -> bool {
        for instance in 0..self.addrs.len() {
            for _ in 0..PROBE_SESSIONS {
                if !self.probe_once(instance).await {
                    return false;
                }
            }
        }
        true
    }

    async fn probe_once(&self, instance: usize) -> bool {
        let mut b = Browser::default();
        let Ok(page) = self
            .send(
                instance,
                Some(&mut b),
                self.id(PROBE),
                Req::new("GET", "/form"),
            )
            .await
        else {
            return false;
        };
        let Some(token) = page
            .headers
            .get("x-xsrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
        else {
            return false;
        };
        let req = Req::new("POST", "/one-time")
            .same_origin()
            .header("x-xsrf-token", &token);
        let key = match self.send(instance, Some(&mut b), self.id(PROBE), req).await {
            Ok(r) if r.status == 200 => String::from_utf8_lossy(&r.body).into_owned(),
            _ => return false,
        };
        let req = Req::new("POST", "/one-time/use")
            .same_origin()
            .header("x-xsrf-token", &key);
        matches!(
            self.send(instance, Some(&mut b), self.id(PROBE), req).await,
            Ok(r) if r.status == 200
        )
    }

    /// The effects an instance recorded since the last call.
    pub(crate) async fn drain(&self, instance: usize) -> Result<Vec<super::app::Effect>, String> {
        let r = self
            .send(instance, None, self.id(PROBE), Req::new("GET", "/stats"))
            .await?;
        if r.status != 200 {
            return Err(format!("GET /stats: {}", r.status));
        }
        serde_json::from_slice(&r.body).map_err(|e| format!("GET /stats: {e}"))
    }
}
