//! A browser stand-in for an app's own `actix_web::test` tests (feature
//! `testing`, off by default): [`TestClient`] posts as the site's own page
//! does, in one call, with the protection on.
//!
//! A same-origin post from a browser carries three things: the session
//! cookie (and in cookie storage the state cookie), the token, and where it
//! comes from (`Origin`, `Sec-Fetch-Site`). The client keeps the cookies of
//! every response, picks the token up from any response that carries one
//! (the hidden field of a page, else the `X-XSRF-Token` header), and sends
//! all three back. It switches nothing off: a request it sends passes the
//! same checks a browser's does, and [`TestClient::send_cross_site`] sends
//! what a forging page makes a browser send, to be refused.
//!
//! ```
//! use actix_session::{SessionMiddleware, storage::CookieSessionStore};
//! use actix_web::{App, HttpResponse, cookie, get, http::StatusCode, post, test, web};
//! use xsrf_actix::testing::TestClient;
//! use xsrf_actix::{SigningKey, ValidXsrf, Xsrf, XsrfToken};
//!
//! #[get("/")]
//! async fn page(token: XsrfToken) -> HttpResponse {
//!     HttpResponse::Ok().body(format!(r#"<form method="post">{}</form>"#, token.hidden_input()))
//! }
//!
//! #[post("/comments")]
//! async fn comment(_: ValidXsrf, form: web::Form<std::collections::HashMap<String, String>>) -> HttpResponse {
//!     HttpResponse::Created().body(form["body"].clone())
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let xsrf = Xsrf::builder()
//!     .secret(SigningKey::generate()?)
//!     .site_origin("https://shop.example")
//!     .build()?;
//! let app = test::init_service(
//!     App::new()
//!         .wrap(xsrf.clone())
//!         .wrap(SessionMiddleware::new(CookieSessionStore::default(), cookie::Key::generate()))
//!         .service(page)
//!         .service(comment),
//! )
//! .await;
//! let browser = TestClient::new(app, &xsrf);
//!
//! browser.get("/").await; // the session cookie and the token
//! let posted = browser.post_form("/comments", &[("body", "hello")]).await;
//! assert_eq!(posted.status(), StatusCode::CREATED);
//! assert_eq!(posted.text(), "hello");
//!
//! // A forged post, with the same cookies: refused, the handler never ran.
//! let forged = test::TestRequest::post()
//!     .uri("/comments")
//!     .set_form([("body", "forged")]);
//! let refused = browser.send_cross_site(forged).await;
//! assert_eq!(refused.status(), StatusCode::FORBIDDEN);
//! assert_eq!(refused.header("x-xsrf-rejection"), Some("origin"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::HttpMessage as _;
use actix_web::body::MessageBody;
use actix_web::cookie::Cookie;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::test::{self, TestRequest};
use bytes::Bytes;
use serde::Serialize;

use crate::config::Xsrf;

/// Where requests come from when no site origin is configured (the origin
/// check then compares `Origin` with `Host`, and the client sends both).
const DEFAULT_ORIGIN: &str = "http://localhost:8080";

/// The origin [`TestClient::send_cross_site`] posts from.
pub const ATTACKER_ORIGIN: &str = "https://attacker.example";

/// A browser on the site, for `actix_web::test`: keeps cookies, picks up
/// tokens, and sends them back with the site's origin. See the [module
/// docs](self).
pub struct TestClient<S> {
    app: S,
    origin: String,
    host: String,
    header: HeaderName,
    field: Arc<str>,
    jar: RefCell<BTreeMap<String, String>>,
    token: RefCell<Option<String>>,
}

impl<S, B> TestClient<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// A client of `app` (what `test::init_service` returns), which `xsrf`
    /// protects: its token header and field names, and its first site
    /// origin (`http://localhost:8080` when none is configured).
    pub fn new(app: S, xsrf: &Xsrf) -> Self {
        let origin = xsrf
            .inner
            .origin
            .policy
            .site_origins()
            .first()
            .map_or_else(|| DEFAULT_ORIGIN.to_owned(), ToString::to_string);
        let host = origin
            .split_once("://")
            .map_or(origin.as_str(), |(_, authority)| authority)
            .to_owned();
        Self {
            app,
            origin,
            host,
            header: xsrf.inner.transport.header.clone(),
            field: Arc::clone(&xsrf.inner.transport.field),
            jar: RefCell::new(BTreeMap::new()),
            token: RefCell::new(None),
        }
    }

    /// The last token a response carried, if any yet.
    pub fn token(&self) -> Option<String> {
        self.token.borrow().clone()
    }

    /// The cookies kept, by name.
    pub fn cookies(&self) -> BTreeMap<String, String> {
        self.jar.borrow().clone()
    }

    /// `GET uri`, as a navigation of the site (sends the cookies, keeps
    /// what the answer sets, picks up its token).
    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(TestRequest::get().uri(uri)).await
    }

    /// Posts `form` urlencoded to `uri` as the site's own page: the token
    /// in the form's field, the cookies, `Origin` and `Sec-Fetch-Site`.
    /// Without a token picked up yet, the post goes without one (and is
    /// refused: `missing`), as from a page that never had one.
    pub async fn post_form<T: Serialize + ?Sized>(&self, uri: &str, form: &T) -> TestResponse {
        let mut body = serde_urlencoded::to_string(form).unwrap_or_default();
        if let Some(token) = self.token() {
            let mut pairs = form_urlencoded::Serializer::new(body);
            pairs.append_pair(&self.field, &token);
            body = pairs.finish();
        }
        let req = TestRequest::post()
            .uri(uri)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(body);
        self.call(self.same_origin(req).to_request()).await
    }

    /// Posts `json` to `uri` as the site's script does (`fetch`, axios):
    /// the token in the token header.
    pub async fn post_json<T: Serialize + ?Sized>(&self, uri: &str, json: &T) -> TestResponse {
        self.send(TestRequest::post().uri(uri).set_json(json)).await
    }

    /// Sends `req` as the site's own page would: with the cookies, the
    /// site's `Origin` and `Sec-Fetch-Site: same-origin`, and the token in
    /// the token header (unless `req` carries that header already).
    pub async fn send(&self, req: TestRequest) -> TestResponse {
        let mut request = self.same_origin(req).to_request();
        if !request.headers().contains_key(&self.header)
            && let Some(token) = self.token()
            && let Ok(value) = header::HeaderValue::try_from(token)
        {
            request.headers_mut().insert(self.header.clone(), value);
        }
        self.call(request).await
    }

    fn same_origin(&self, req: TestRequest) -> TestRequest {
        self.with_cookies(req)
            .insert_header((header::HOST, self.host.as_str()))
            .insert_header((header::ORIGIN, self.origin.as_str()))
            .insert_header(("sec-fetch-site", "same-origin"))
    }

    /// Sends `req` as a page on another site makes the browser send it (a
    /// forged form post or `fetch`): the cookies go along, as browsers
    /// send them, with `Origin: https://attacker.example` and
    /// `Sec-Fetch-Site: cross-site`, and no token. Expect a refusal.
    pub async fn send_cross_site(&self, req: TestRequest) -> TestResponse {
        let req = self
            .with_cookies(req)
            .insert_header((header::HOST, self.host.as_str()))
            .insert_header((header::ORIGIN, ATTACKER_ORIGIN))
            .insert_header(("sec-fetch-site", "cross-site"));
        self.call(req.to_request()).await
    }

    fn with_cookies(&self, req: TestRequest) -> TestRequest {
        let jar = self.jar.borrow();
        if jar.is_empty() {
            return req;
        }
        let pairs: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        req.insert_header((header::COOKIE, pairs.join("; ")))
    }

    async fn call(&self, req: actix_http::Request) -> TestResponse {
        let res = test::call_service(&self.app, req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let body = test::read_body(res).await;
        for set in headers.get_all(header::SET_COOKIE) {
            let Ok(text) = set.to_str() else { continue };
            if let Ok(c) = Cookie::parse(text.to_owned()) {
                let mut jar = self.jar.borrow_mut();
                // A cookie set to expire is a cookie removed.
                if c.max_age().is_some_and(|age| age.is_zero()) {
                    jar.remove(c.name());
                } else {
                    jar.insert(c.name().to_owned(), c.value().to_owned());
                }
            }
        }
        // The page's own field first: it is what the page's form posts.
        let picked = hidden_field(&String::from_utf8_lossy(&body), &self.field).or_else(|| {
            headers
                .get(&self.header)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        if let Some(token) = picked {
            *self.token.borrow_mut() = Some(token);
        }
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The value of the first `<input>` named `field` in `html`.
fn hidden_field(html: &str, field: &str) -> Option<String> {
    let name = format!("name=\"{field}\"");
    html.split('<')
        .filter(|tag| tag.starts_with("input"))
        .map(|tag| tag.split('>').next().unwrap_or(tag))
        .find(|tag| tag.contains(&name))
        .and_then(|tag| {
            let start = tag.find("value=\"")? + "value=\"".len();
            let end = tag[start..].find('"')?;
            Some(html_escape::decode_html_entities(&tag[start..start + end]).into_owned())
        })
}
