//! One app and one cookie-keeping client for every attack-matrix test.
//!
//! The app's handlers record what they did in a shared log; a test of a
//! refused request asserts the log stayed empty, i.e. the side effect did
//! not happen.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use actix_multipart::Multipart;
use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, cookie, web};
use bytes::Bytes;
use futures_util::StreamExt as _;
use serde::Deserialize;
use time::OffsetDateTime;
use time::macros::datetime;
use xsrf_actix::store::{KeyDigest, KeyStore, MemoryStore, Quota, StoreFuture, StoredKey, Taken};
use xsrf_actix::{
    Check, CreateOptions, KeyRing, ManualClock, Redeemed, SigningKey, Source, ValidXsrf, WithToken,
    Xsrf, XsrfBuilder, XsrfError, XsrfToken,
};

/// The origin the test site is configured with.
pub const SITE: &str = "http://localhost:8080";

/// An https site, for the rules that only hold there (Referer required,
/// `__Host-` cookies).
pub const HTTPS_SITE: &str = "https://shop.example";

/// What handlers did, in order.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    /// Records an entry.
    pub fn push(&self, entry: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry.into());
    }
    /// All entries so far.
    pub fn entries(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    /// Whether nothing happened.
    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }
}

/// A one-time key store over a [`MemoryStore`] that records every call
/// reaching it, so a test can show what was (or was not) asked of the
/// store.
#[derive(Clone, Default)]
pub struct CountingStore {
    /// The store the calls go on to.
    pub inner: Arc<MemoryStore>,
    calls: Arc<Mutex<Vec<&'static str>>>,
    pending_take: bool,
}

impl CountingStore {
    /// A store whose `take` is not ready at the first poll, as a network
    /// store never is.
    pub fn pending_at_first_take() -> Self {
        Self {
            pending_take: true,
            ..Self::default()
        }
    }

    /// The calls so far, by method name, in order.
    pub fn calls(&self) -> Vec<&'static str> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, call: &'static str) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }
}

impl KeyStore for CountingStore {
    fn put<'a>(
        &'a self,
        digest: KeyDigest,
        entry: StoredKey,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, ()> {
        self.record("put");
        self.inner.put(digest, entry, now)
    }
    fn take<'a>(
        &'a self,
        digest: KeyDigest,
        session: Option<&'a str>,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, Taken> {
        self.record("take");
        let pending = self.pending_take;
        Box::pin(async move {
            if pending {
                tokio::task::yield_now().await;
            }
            self.inner.take(digest, session, now).await
        })
    }
    fn purge_expired(&self, now: OffsetDateTime) -> StoreFuture<'_, usize> {
        self.record("purge_expired");
        self.inner.purge_expired(now)
    }
    fn clear_session<'a>(&'a self, session: &'a str) -> StoreFuture<'a, usize> {
        self.record("clear_session");
        self.inner.clear_session(session)
    }
    fn quota(&self) -> Option<Quota> {
        self.inner.quota()
    }
}

/// The first signing key of the test ring.
pub fn key_a() -> SigningKey {
    SigningKey::from_bytes(&[0xa1; 32]).expect("key a")
}

/// A second key, for rotation tests.
pub fn key_b() -> SigningKey {
    SigningKey::from_bytes(&[0xb2; 32]).expect("key b")
}

/// A clock every test starts at the same instant.
pub fn clock() -> ManualClock {
    ManualClock::new(datetime!(2026-11-23 12:00 UTC))
}

/// The builder every test starts from: key A, the manual clock, the site
/// origin, a user read from the `X-Test-User` header (standing in for a
/// real login).
pub fn builder(clock: &ManualClock) -> XsrfBuilder {
    Xsrf::builder()
        .secret(key_a())
        .clock(clock.clone())
        .site_origin(SITE)
        .user_fn(|req: &HttpRequest| {
            req.headers()
                .get("x-test-user")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
}

/// A builder for the site at `origin`: key A and the manual clock, no
/// user (every visitor anonymous).
pub fn builder_for(origin: &str) -> XsrfBuilder {
    Xsrf::builder()
        .secret(key_a())
        .clock(clock())
        .site_origin(origin)
}

/// A builder signing with `ring`.
pub fn builder_with_ring(clock: &ManualClock, ring: KeyRing) -> XsrfBuilder {
    builder(clock).secret(ring)
}

#[derive(Deserialize)]
struct Comment {
    body: String,
}

async fn form(req: HttpRequest) -> WithToken<HttpResponse> {
    WithToken::new(&req, HttpResponse::Ok().body("form"))
}

async fn form_for_action(req: HttpRequest, action: web::Path<String>) -> HttpResponse {
    let Ok(x) = Xsrf::for_request(&req) else {
        return HttpResponse::InternalServerError().finish();
    };
    // Leak: actions in tests are few and static for the life of the test.
    let action: &'static str = Box::leak(action.into_inner().into_boxed_str());
    match x.issue(&req, Some(action)) {
        Ok(t) => HttpResponse::Ok().body(t.into_string()),
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

async fn token_json(token: XsrfToken) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "token": token }))
}

async fn comments(_: ValidXsrf, form: web::Form<Comment>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("comment:{}", form.body));
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

async fn api_comments(
    _: ValidXsrf,
    body: web::Json<serde_json::Value>,
    log: web::Data<Log>,
) -> HttpResponse {
    log.push(format!("api:{}", body["body"].as_str().unwrap_or("")));
    HttpResponse::Created().json(&*body)
}

async fn raw_bytes(_: ValidXsrf, body: Bytes, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("bytes:{}", body.len()));
    HttpResponse::Ok().body(body)
}

async fn upload(_: ValidXsrf, mut parts: Multipart, log: web::Data<Log>) -> HttpResponse {
    let mut seen = Vec::new();
    while let Some(Ok(mut field)) = parts.next().await {
        let name = field.name().unwrap_or("").to_owned();
        let mut len = 0usize;
        while let Some(Ok(chunk)) = field.next().await {
            len += chunk.len();
        }
        seen.push(format!("{name}={len}"));
    }
    log.push(format!("upload:{}", seen.join(",")));
    HttpResponse::Ok().body(seen.join(","))
}

async fn delete_account(req: HttpRequest, log: web::Data<Log>) -> Result<HttpResponse, XsrfError> {
    Check::new().action("delete-account").run(&req).await?;
    log.push("deleted");
    Ok(HttpResponse::NoContent().finish())
}

async fn header_only(req: HttpRequest, log: web::Data<Log>) -> Result<HttpResponse, XsrfError> {
    Check::new().source(Source::Header).run(&req).await?;
    log.push("header-only");
    Ok(HttpResponse::Ok().finish())
}

async fn login(
    req: HttpRequest,
    _: ValidXsrf,
    log: web::Data<Log>,
) -> Result<HttpResponse, XsrfError> {
    Xsrf::for_request(&req)?.rotate(&req).await?;
    log.push("login");
    Ok(HttpResponse::Ok().finish())
}

async fn static_login(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    let header = Xsrf::for_request(&req)?.reveal_static_key(&req)?;
    Ok(HttpResponse::Ok().insert_header(header).finish())
}

async fn one_time_create(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    let x = Xsrf::for_request(&req)?;
    let opts = CreateOptions::new().duration(time::Duration::minutes(10));
    let key = x.create_one_time(&req, opts, "payload").await?;
    Ok(HttpResponse::Ok().body(key.into_string()))
}

async fn one_time_use(key: Redeemed<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("one-time:{}", key.into_inner()));
    HttpResponse::Ok().finish()
}

async fn one_time_burn(req: HttpRequest, log: web::Data<Log>) -> Result<HttpResponse, XsrfError> {
    Check::new().one_time().run(&req).await?;
    log.push("burnt");
    Ok(HttpResponse::Ok().finish())
}

async fn logout(req: HttpRequest, _: ValidXsrf) -> Result<HttpResponse, XsrfError> {
    Xsrf::for_request(&req)?.rotate(&req).await?;
    Ok(HttpResponse::Ok().finish())
}

/// The routes of the test app.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/form", web::get().to(form))
        .route("/form/{action}", web::get().to(form_for_action))
        .route("/token.json", web::get().to(token_json))
        .route("/comments", web::post().to(comments))
        .route("/comments", web::put().to(comments))
        .route("/comments", web::patch().to(comments))
        .route("/comments", web::delete().to(comments))
        .route(
            "/comments",
            web::get().to(|| async { HttpResponse::Ok().body("list") }),
        )
        .route("/comments", web::head().to(HttpResponse::Ok))
        .route(
            "/comments",
            web::method(actix_web::http::Method::OPTIONS).to(HttpResponse::Ok),
        )
        .route(
            "/comments",
            web::method(actix_web::http::Method::TRACE).to(HttpResponse::Ok),
        )
        .route("/api/comments", web::post().to(api_comments))
        .route("/bytes", web::post().to(raw_bytes))
        .route("/upload", web::post().to(upload))
        .route("/account/delete", web::post().to(delete_account))
        .route("/header-only", web::post().to(header_only))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/static-login", web::post().to(static_login))
        .route("/one-time", web::post().to(one_time_create))
        .route("/one-time/use", web::post().to(one_time_use))
        .route("/one-time/burn", web::post().to(one_time_burn));
}

/// The session cookie's signing key (fixed, so tests can tamper with it).
pub fn session_key() -> cookie::Key {
    cookie::Key::from(&[0x5e; 64])
}

/// Cookie sessions with the fixed key, over plain HTTP.
pub fn session_middleware() -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), session_key())
        .cookie_secure(false)
        .build()
}

/// Any started test app a [`Client`] can drive: what `test::init_service`
/// returns, named once so helpers taking a client need no five-line
/// `where` clause.
pub trait AppService:
    Service<actix_http::Request, Response = ServiceResponse<Self::Body>, Error = actix_web::Error>
{
    /// The response body type.
    type Body: MessageBody;
}

impl<S, B> AppService for S
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    type Body = B;
}

/// A client of `app`, started as an actix test service (for the example
/// apps, which come as a whole `App`).
pub async fn client_of<T, B>(app: App<T>) -> Client<impl AppService>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody,
{
    Client::new(test::init_service(app).await)
}

/// The fixture app ([`routes`]) protected by what `builder` builds, a
/// client of it and its log: the usual start of an attack test.
pub async fn start(builder: XsrfBuilder) -> (Client<impl AppService>, Log) {
    let log = Log::default();
    let xsrf = builder.build().expect("xsrf settings");
    (Client::new(service(xsrf, log.clone()).await), log)
}

/// A client of an app with the test's own `routes` (handlers, exemptions,
/// a default service) set up as the fixture app is: `xsrf` inside cookie
/// sessions, `log` as app data.
pub async fn start_with<F>(xsrf: Xsrf, log: &Log, routes: F) -> Client<impl AppService + use<F>>
where
    F: FnOnce(&mut web::ServiceConfig),
{
    client_of(
        App::new()
            .app_data(web::Data::new(log.clone()))
            .wrap(xsrf)
            .wrap(session_middleware())
            .configure(routes),
    )
    .await
}

/// The app under test, as an actix test service.
pub async fn service(
    xsrf: Xsrf,
    log: Log,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .app_data(web::Data::new(log))
            .wrap(xsrf)
            .wrap(session_middleware())
            .configure(routes),
    )
    .await
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body as text (lossy).
    pub body: String,
}

impl Resp {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

/// A browser stand-in: keeps cookies, sends same-origin fetch metadata by
/// default.
pub struct Client<S> {
    svc: S,
    jar: RefCell<BTreeMap<String, String>>,
}

impl<S, B> Client<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// A client with an empty cookie jar.
    pub fn new(svc: S) -> Self {
        Self {
            svc,
            jar: RefCell::new(BTreeMap::new()),
        }
    }

    /// The cookie jar.
    pub fn cookies(&self) -> BTreeMap<String, String> {
        self.jar.borrow().clone()
    }

    /// Replaces the cookie jar.
    pub fn set_cookies(&self, jar: BTreeMap<String, String>) {
        *self.jar.borrow_mut() = jar;
    }

    /// The jar as a `Cookie` header value (empty for an empty jar).
    pub fn cookie_header(&self) -> String {
        let pairs: Vec<String> = self
            .jar
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }

    /// Sends `req` with the jar's cookies; keeps cookies it sets.
    pub async fn send(&self, req: TestRequest) -> Resp {
        self.call(self.with_cookies(req).to_request()).await
    }

    /// Like [`Client::send`], with the body arriving as `chunks`, one
    /// payload item each and no `Content-Length`, as a chunked upload does.
    pub async fn send_chunked(&self, req: TestRequest, chunks: Vec<Bytes>) -> Resp {
        let stream = futures_util::stream::iter(chunks.into_iter().map(Ok));
        let stream: std::pin::Pin<
            Box<dyn futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>>>,
        > = Box::pin(stream);
        let (req, _) = self
            .with_cookies(req)
            .to_request()
            .replace_payload(actix_web::dev::Payload::from(stream));
        self.call(req).await
    }

    fn with_cookies(&self, req: TestRequest) -> TestRequest {
        let cookie_header = self.cookie_header();
        if cookie_header.is_empty() {
            req
        } else {
            req.insert_header((header::COOKIE, cookie_header))
        }
    }

    async fn call(&self, req: actix_http::Request) -> Resp {
        let res = test::call_service(&self.svc, req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await;
        for sc in headers.get_all(header::SET_COOKIE) {
            if let Ok(c) = cookie::Cookie::parse(sc.to_str().unwrap_or("").to_owned()) {
                self.jar
                    .borrow_mut()
                    .insert(c.name().to_owned(), c.value().to_owned());
            }
        }
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// GET `/form` and return the token from the `X-XSRF-Token` header.
    pub async fn token(&self) -> String {
        let r = self.send(TestRequest::get().uri("/form")).await;
        assert_eq!(r.status, StatusCode::OK, "GET /form: {}", r.body);
        r.header("x-xsrf-token").expect("token header").to_owned()
    }

    /// GET `path` and return the token from its `X-XSRF-Token` header.
    pub async fn token_via(&self, path: &str) -> String {
        let r = self.send(TestRequest::get().uri(path)).await;
        r.header("x-xsrf-token")
            .unwrap_or_else(|| panic!("no token header on GET {path} ({})", r.status))
            .to_owned()
    }

    /// A token scoped to `action`.
    pub async fn token_for(&self, action: &str) -> String {
        let r = self
            .send(TestRequest::get().uri(&format!("/form/{action}")))
            .await;
        assert_eq!(r.status, StatusCode::OK, "GET /form/{action}: {}", r.body);
        r.body
    }
}

/// A same-origin unsafe request, as a browser would send it.
pub fn post(path: &str) -> TestRequest {
    same_origin(TestRequest::post().uri(path))
}

/// Adds the headers a browser sends on a same-origin request.
pub fn same_origin(req: TestRequest) -> TestRequest {
    req.insert_header((header::ORIGIN, SITE))
        .insert_header(("sec-fetch-site", "same-origin"))
}

/// A JSON POST to `/api/comments` with `token` in the header and only the
/// given extra headers (no default `Origin` or `Sec-Fetch-Site`): what the
/// origin rows vary.
pub fn bare_post(token: &str, headers: &[(&str, &str)]) -> TestRequest {
    let mut req = TestRequest::post()
        .uri("/api/comments")
        .insert_header(("x-xsrf-token", token))
        .set_json(serde_json::json!({"body": "x"}));
    for (k, v) in headers {
        req = req.append_header((*k, *v));
    }
    req
}

/// A same-origin JSON comment to `/api/comments` with `token` in the
/// header.
pub fn api_post(token: &str, body: &str) -> TestRequest {
    post("/api/comments")
        .insert_header(("x-xsrf-token", token))
        .set_json(serde_json::json!({ "body": body }))
}

/// An urlencoded body request.
pub fn form_post(path: &str, body: &str) -> TestRequest {
    post(path)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body.to_owned())
}

/// A multipart body with the given text fields (and an optional file part
/// placed first or last).
pub fn multipart_body(boundary: &str, fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
        );
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// A multipart POST.
pub fn multipart_post(path: &str, boundary: &str, body: Vec<u8>) -> TestRequest {
    post(path)
        .insert_header((
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        ))
        .set_payload(body)
}

/// The value of the counter `name` in a Prometheus text `scrape`, summed
/// over its lines whose labels include every `labels` pair (0 when none
/// does): `scraped(text, "xsrf_checks_total", &[("outcome", "refused")])`.
pub fn scraped(scrape: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    scrape
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| {
            labels
                .iter()
                .all(|(k, v)| l.contains(&format!("{k}=\"{v}\"")))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}
