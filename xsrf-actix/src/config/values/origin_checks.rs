//! [`OriginChecks`]: where the middleware applies the origin policy.

/// Where the middleware applies the origin policy, for
/// [`XsrfBuilder::origin_checks`](crate::XsrfBuilder::origin_checks): to
/// every unsafe request ([`in_middleware`](Self::in_middleware)) and to
/// WebSocket handshakes ([`websocket`](Self::websocket)), both **on** by
/// default ([`OriginChecks::new()`]). Which origins are ours is said by
/// [`site_origin`](crate::XsrfBuilder::site_origin) and
/// [`trusted_origin`](crate::XsrfBuilder::trusted_origin); exempt paths
/// and routes ([`exempt`](crate::XsrfBuilder::exempt),
/// [`exempt_route`](crate::XsrfBuilder::exempt_route)) are checked in no
/// case.
///
/// ```
/// use xsrf_actix::{OriginChecks, SigningKey, Xsrf};
/// // The socket route checks `Origin` itself.
/// let xsrf = Xsrf::builder()
///     .secret(SigningKey::generate()?)
///     .origin_checks(OriginChecks::new().websocket(false))
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OriginChecks {
    pub(in crate::config) in_middleware: bool,
    pub(in crate::config) websocket: bool,
}

impl OriginChecks {
    /// Both checks on: the default.
    ///
    /// ```
    /// use xsrf_actix::OriginChecks;
    /// assert_eq!(OriginChecks::new(), OriginChecks::default());
    /// ```
    pub const fn new() -> Self {
        Self {
            in_middleware: true,
            websocket: true,
        }
    }

    /// Whether the middleware applies the origin policy to every unsafe
    /// request before any handler runs (default **on**).
    ///
    /// On, a request with an unsafe method (anything but `GET`, `HEAD`,
    /// `OPTIONS` and `TRACE`) whose `Sec-Fetch-Site`, `Origin` or `Referer`
    /// names a foreign origin is refused with `403` before routing,
    /// whatever the handler; the handlers' own checks then reuse that
    /// verdict.
    ///
    /// Off, the middleware lets every unsafe request through, and the
    /// origin policy runs only where a handler checks:
    /// [`ValidXsrf`](crate::ValidXsrf), `#[handle_token]`,
    /// [`Check`](crate::Check), a [`Redeemed`](crate::Redeemed) argument and
    /// [`Xsrf::redeem`](crate::Xsrf::redeem) apply it themselves. **Every
    /// handler that takes no token check (no `ValidXsrf`, no
    /// `#[handle_token]`, no `Check`) then has no origin check at all**:
    /// any site can make a visitor's browser send it a request with the
    /// visitor's cookies, and it runs. Turn this off only when every unsafe
    /// route checks a token, or is meant to take requests from anywhere
    /// (then say so with an exemption instead). To see what enforcing would
    /// refuse without refusing anything, use
    /// [`Rollout::report_only`](crate::Rollout::report_only) rather than
    /// turning this off. WebSocket handshakes are not affected: they keep
    /// their check while [`websocket`](Self::websocket) is on.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{OriginChecks, SigningKey, Storage, ValidXsrf, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let app = |enforce: bool| {
    ///     let xsrf = Xsrf::builder()
    ///         .secret(SigningKey::generate().expect("randomness"))
    ///         .site_origin("https://shop.example")
    ///         .storage(Storage::signed_cookie())
    ///         .origin_checks(OriginChecks::new().in_middleware(enforce))
    ///         .build()
    ///         .expect("settings");
    ///     test::init_service(
    ///         App::new()
    ///             .wrap(xsrf)
    ///             .route("/unchecked", web::post().to(HttpResponse::Ok))
    ///             .route("/checked", web::post().to(|_: ValidXsrf| async { HttpResponse::Ok() })),
    ///     )
    /// };
    /// let forged = |path| {
    ///     test::TestRequest::post()
    ///         .uri(path)
    ///         .insert_header(("Origin", "https://evil.example"))
    ///         .insert_header(("Sec-Fetch-Site", "cross-site"))
    ///         .insert_header(("X-XSRF-Token", "whatever the attacker sends"))
    ///         .to_request()
    /// };
    ///
    /// // On (the default): refused before any handler runs.
    /// let on = app(true).await;
    /// assert_eq!(test::call_service(&on, forged("/unchecked")).await.status(), StatusCode::FORBIDDEN);
    ///
    /// // Off: a handler without a token check gets no origin check at all.
    /// let off = app(false).await;
    /// assert_eq!(test::call_service(&off, forged("/unchecked")).await.status(), StatusCode::OK);
    /// // A handler with a token check still applies the origin policy itself.
    /// let refused = test::call_service(&off, forged("/checked")).await;
    /// assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    /// assert_eq!(refused.headers().get("X-XSRF-Rejection").expect("reason"), "origin");
    /// # }
    /// ```
    pub const fn in_middleware(mut self, yes: bool) -> Self {
        self.in_middleware = yes;
        self
    }

    /// Whether the middleware applies the origin policy to WebSocket
    /// handshakes (`GET` with `Upgrade: websocket`), as to unsafe methods
    /// (default **on**).
    ///
    /// A handshake is a `GET`, so without this any site could open a
    /// socket to the app with the visitor's cookies and talk on their
    /// behalf (cross-site WebSocket hijacking). Browsers always send
    /// `Origin` on a handshake, so a foreign page is refused before the
    /// upgrade; a handshake without `Origin` or fetch metadata is a
    /// non-browser client and passes on a plain-http site only, exactly as
    /// a `POST` would. The static-key header lets nothing skip this check
    /// (a WebSocket client cannot set headers). Exemptions apply
    /// (`.exempt("GET /ws")` exempts one socket route). Turn it off only
    /// if the socket route checks `Origin` itself.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://chat.example")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(App::new().wrap(xsrf).route("/ws", web::get().to(HttpResponse::SwitchingProtocols))).await;
    /// let handshake = |origin: &str| {
    ///     test::TestRequest::get()
    ///         .uri("/ws")
    ///         .insert_header(("Upgrade", "websocket"))
    ///         .insert_header(("Connection", "Upgrade"))
    ///         .insert_header(("Origin", origin))
    ///         .to_request()
    /// };
    /// let evil = test::call_service(&app, handshake("https://evil.example")).await;
    /// assert_eq!(evil.status(), StatusCode::FORBIDDEN);
    /// let ours = test::call_service(&app, handshake("https://chat.example")).await;
    /// assert_eq!(ours.status(), StatusCode::SWITCHING_PROTOCOLS);
    /// # }
    /// ```
    pub const fn websocket(mut self, yes: bool) -> Self {
        self.websocket = yes;
        self
    }
}

impl Default for OriginChecks {
    fn default() -> Self {
        Self::new()
    }
}
