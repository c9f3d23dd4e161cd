//! Origins and exemptions: which origins are ours, where the middleware
//! enforces them, and what is exempt.

use super::XsrfBuilder;

impl XsrfBuilder {
    /// An origin the site is served from, `scheme://host[:port]`. Repeat
    /// for several. With none, `Origin` is compared with the `Host` header
    /// (the scheme cannot be checked then; configure it in production).
    pub fn site_origin(mut self, origin: impl Into<String>) -> Self {
        self.site.push(origin.into());
        self
    }

    /// Another origin allowed to send unsafe requests. Repeatable.
    ///
    /// An exact origin, or a wildcard over subdomains like Django's:
    /// `"https://*.example.com"` trusts `https://a.example.com` and
    /// `https://a.b.example.com` (same scheme and port), never
    /// `https://example.com`, `https://evil-example.com`,
    /// `https://example.com.evil`, `http://a.example.com` or another port.
    /// Patterns are parsed once, by [`Self::build`]; a malformed one
    /// (`*.com`, `a.*.example.com`, `*example.com`) is a [`BuildError`](crate::BuildError).
    ///
    /// Accepted spellings of an origin, all meaning the same origin:
    /// surrounding whitespace, any case, the default port written or not
    /// (`https://example.com:443`), one trailing `/`
    /// (`https://example.com/`), a Unicode or punycode host. A path,
    /// query, fragment or credentials are refused (see
    /// [`xsrf_core::SiteOrigin::parse`]).
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://api.example.com")
    ///     .trusted_origin("https://*.example.com")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(App::new().wrap(xsrf).route("/", web::post().to(HttpResponse::Ok))).await;
    /// let from = |origin: &str| test::TestRequest::post().uri("/").insert_header(("Origin", origin)).to_request();
    /// // Origin passes; the handler would still check the token.
    /// assert_eq!(test::call_service(&app, from("https://app.example.com")).await.status(), StatusCode::OK);
    /// assert_eq!(test::call_service(&app, from("https://evil-example.com")).await.status(), StatusCode::FORBIDDEN);
    /// # }
    /// ```
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted.push(origin.into());
        self
    }

    /// Whether the middleware applies the origin policy to every unsafe
    /// request before any handler runs (default **on**).
    ///
    /// On, a request with an unsafe method (anything but `GET`, `HEAD`,
    /// `OPTIONS` and `TRACE`) whose `Sec-Fetch-Site`, `Origin` or `Referer`
    /// names a foreign origin is refused with `403` before routing,
    /// whatever the handler; the handlers' own checks then reuse that
    /// verdict. Exempt paths and routes ([`Self::exempt`],
    /// [`Self::exempt_route`]) are checked in neither case.
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
    /// refuse without refusing anything, use [`Self::report_only`] rather
    /// than turning this off. WebSocket handshakes are not affected: they
    /// keep their check while [`Self::websocket_origin_check`] is on.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{SigningKey, ValidXsrf, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let app = |enforce: bool| {
    ///     let xsrf = Xsrf::builder()
    ///         .secret(SigningKey::generate().expect("randomness"))
    ///         .site_origin("https://shop.example")
    ///         .cookie_storage()
    ///         .enforce_origin_in_middleware(enforce)
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
    pub fn enforce_origin_in_middleware(mut self, yes: bool) -> Self {
        self.enforce_origin = yes;
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
    /// (`.exempt("GET /ws")` exempts one socket route). Turn it off with
    /// `.websocket_origin_check(false)` only if the socket route checks
    /// `Origin` itself.
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
    pub fn websocket_origin_check(mut self, yes: bool) -> Self {
        self.websocket_check = yes;
        self
    }

    /// Exempts requests from every XSRF check (origin and token): for
    /// webhooks, OAuth/SAML callbacks, health probes, which are posted
    /// from elsewhere without `Origin` or token. Repeatable.
    ///
    /// A rule is `PATH` or `METHOD PATH`:
    ///
    /// * `"/webhooks/"` (ends in `/`): a prefix on segment boundaries,
    ///   covering `/webhooks/` and everything under it, not `/webhooks`;
    /// * `"/health"` (no trailing `/`): that exact path only;
    /// * `"POST /webhooks/stripe"`: that method only (capitals).
    ///
    /// Rules match the **raw** request path, case-sensitively, and only a
    /// path in canonical spelling is ever exempt: one with `%`, `;`, `\`,
    /// `//`, or a `.` / `..` segment gets the full checks even if a proxy
    /// or actix would resolve it onto an exempt path (so `/x/../webhooks/`,
    /// `/%77ebhooks/`, `//webhooks/` are never exempt); see
    /// [`xsrf_core::Exemptions`] for the exact rule. A malformed rule is a
    /// [`BuildError`](crate::BuildError). An exempt request that reaches `ValidXsrf`,
    /// `#[handle_token]` or `Check` fails with a 500 naming the conflict:
    /// a handler cannot be both exempt and protected. Each exemption is
    /// logged at debug level with the rule that matched.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, test, web};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate().expect("randomness"))
    ///     .site_origin("https://shop.example")
    ///     .exempt("/webhooks/")
    ///     .exempt("POST /oauth/callback")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(
    ///     App::new()
    ///         .wrap(xsrf)
    ///         .route("/webhooks/{name}", web::post().to(HttpResponse::Ok))
    ///         .route("/{tail:.*}", web::post().to(HttpResponse::Ok)),
    /// )
    /// .await;
    /// // A payment provider's post: no Origin, no token, still accepted.
    /// let hook = test::TestRequest::post().uri("/webhooks/stripe").to_request();
    /// assert_eq!(test::call_service(&app, hook).await.status(), StatusCode::OK);
    /// // A path trick is not exempt: refused like any foreign post.
    /// let trick = test::TestRequest::post().uri("/webhooks/../admin").to_request();
    /// assert_eq!(test::call_service(&app, trick).await.status(), StatusCode::FORBIDDEN);
    /// # }
    /// ```
    pub fn exempt(mut self, rule: impl Into<String>) -> Self {
        self.exempt.push(rule.into());
        self
    }

    /// Exempts requests by route **name**: `"METHOD NAME"` exempts the
    /// `METHOD` requests on the paths of the resource named `NAME`
    /// (`web::resource(..).name(..)`, or a route macro's name, which is the
    /// handler's own unless `name = ".."` says otherwise). The per-route
    /// way, for dynamic paths (`/hooks/{id}`) and to keep the exemption
    /// next to the route it concerns. Repeatable, once per method.
    ///
    /// Why a name rather than a `.wrap(..)` on the resource: the `Xsrf`
    /// middleware runs before actix routes the request (it is registered
    /// on the App or a scope) and must refuse a forged request before any
    /// inner middleware or handler exists for it; actix's resource map,
    /// which it can consult at that point, knows routes by name and
    /// pattern, not by what wraps them. A name also needs no macro.
    ///
    /// Why the method is part of the rule: actix tries resources in the
    /// order they were registered and skips one whose guards refuse the
    /// request, and route macros put the method guard on the resource. So
    /// with `#[put("/items/{id}", name = "sync")]` registered before
    /// `#[post("/items/{id}")]`, a `POST /items/1` is served by the second
    /// resource, although `sync` is the first whose pattern matches. The
    /// middleware cannot see guards (actix-web shows a middleware neither
    /// the guards nor the list of resources, only the first pattern that
    /// matches a path and the path of a name), so a rule without the method
    /// would exempt that `POST` too; a name without a method is a
    /// [`BuildError`](crate::BuildError). With the method, a request is
    /// exempt when:
    ///
    /// * its method is the rule's, and
    /// * the named resource is the first whose pattern matches the raw path
    ///   (register it before any other resource on its paths; when another
    ///   comes first, nothing is exempt there, the safe side), and
    /// * the path is in canonical spelling (the rule of [`Self::exempt`]).
    ///
    /// It is a path rule written with the route's name: exactly what the
    /// three conditions say, whichever handler actix then picks. Give the
    /// method the resource's method guard accepts, and no other guard to the
    /// resource (a `guard = ".."` of a route macro, `.guard(..)`, a guarded
    /// scope around it): a request that another guard refuses goes on to
    /// the next resource on the path, exempt all the same. When that
    /// happens and the resource that served the request has a name (route
    /// macros always give one), the middleware logs an error naming both
    /// resources. A name that no route carries exempts nothing and is
    /// logged as an error at the first request.
    ///
    /// ```
    /// use actix_web::{App, HttpResponse, http::StatusCode, post, put, test};
    /// use xsrf_actix::{SigningKey, Xsrf};
    ///
    /// #[post("/hooks/{provider}", name = "hooks")]
    /// async fn hook() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// #[put("/items/{id}", name = "sync")]
    /// async fn sync() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// #[post("/items/{id}")]
    /// async fn create() -> HttpResponse { HttpResponse::Ok().finish() }
    ///
    /// # #[actix_web::main]
    /// # async fn main() {
    /// let builder = || Xsrf::builder().secret(SigningKey::generate().expect("randomness")).site_origin("https://shop.example");
    /// let xsrf = builder()
    ///     .exempt_route("POST hooks")
    ///     .exempt_route("PUT sync")
    ///     .build()
    ///     .expect("settings");
    /// let app = test::init_service(App::new().wrap(xsrf).service(hook).service(sync).service(create)).await;
    /// let from_elsewhere = |req: test::TestRequest| req.insert_header(("Origin", "https://partner.example")).to_request();
    /// let status = |req| async { test::call_service(&app, from_elsewhere(req)).await.status() };
    /// assert_eq!(status(test::TestRequest::post().uri("/hooks/github")).await, StatusCode::OK);
    /// assert_eq!(status(test::TestRequest::put().uri("/items/1")).await, StatusCode::OK);
    /// // Same path, another method, another resource: not exempt.
    /// assert_eq!(status(test::TestRequest::post().uri("/items/1")).await, StatusCode::FORBIDDEN);
    /// // A name alone is refused.
    /// assert!(builder().exempt_route("sync").build().is_err());
    /// # }
    /// ```
    pub fn exempt_route(mut self, rule: impl Into<String>) -> Self {
        self.exempt_routes.push(rule.into());
        self
    }
}
