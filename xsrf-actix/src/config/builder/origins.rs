//! Origins and exemptions: which origins are ours, where the middleware
//! enforces them, and what is exempt.

use super::XsrfBuilder;
use crate::config::OriginChecks;

impl XsrfBuilder {
    /// An origin the site is served from, `scheme://host[:port]`. Repeat
    /// for several. With none, `Origin` is compared with the `Host` header
    /// (the scheme cannot be checked then; configure it in production).
    /// An `https://` site origin also gives our cookies the `__Host-`
    /// prefix.
    ///
    /// ```
    /// use xsrf_actix::{SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .site_origin("https://shop.example")
    ///     .site_origin("https://www.shop.example")
    ///     .build()?;
    /// assert!(xsrf.origin_policy().is_https());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

    /// Where the middleware applies the origin policy: to every unsafe
    /// request and to WebSocket handshakes, both on by default
    /// ([`OriginChecks::new()`]). [`OriginChecks`] weighs turning either
    /// off.
    ///
    /// ```
    /// use xsrf_actix::{OriginChecks, SigningKey, Xsrf};
    /// let xsrf = Xsrf::builder()
    ///     .secret(SigningKey::generate()?)
    ///     .origin_checks(OriginChecks::new().websocket(false))
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn origin_checks(mut self, checks: impl Into<OriginChecks>) -> Self {
        self.origin_checks = checks.into();
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
