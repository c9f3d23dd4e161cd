//! The long messages that name a fix, in one place: the 500 answers and
//! error logs of a misconfigured app. Each says what is wrong and the line
//! that fixes it.

/// No `Xsrf` reachable from the request.
pub(crate) const NO_XSRF_REGISTERED: &str = "no Xsrf registered for this route; add `.wrap(xsrf.clone())` or `.app_data(xsrf.clone())` to the App";

/// Session storage without actix-session's middleware.
pub(crate) const NO_SESSION_MIDDLEWARE: &str = "session storage needs actix-session's `SessionMiddleware` on the App (e.g. `.wrap(SessionMiddleware::new(CookieSessionStore::default(), key))`), or `.storage(Storage::signed_cookie())` to need no session at all";

/// Cookie storage without the `Xsrf` middleware, which writes the cookie.
pub(crate) const COOKIE_STORAGE_NEEDS_MIDDLEWARE: &str =
    "cookie storage needs the Xsrf middleware to write its cookie: add `.wrap(xsrf.clone())`";

/// A token to read from a body that only the middleware can read.
pub(crate) const BODY_NEEDS_MIDDLEWARE: &str = "the token must be read from the request body, which only the Xsrf middleware can do without eating it: add `.wrap(xsrf.clone())` to the App";

/// A form token checked by a handler the middleware found no route for
/// (a default service), so it left the body unread.
pub(crate) const UNROUTED_BODY: &str = "this request matches no resource of the app (a default service answers it), so the Xsrf middleware did not read its body for the token: send the token in the header, or register the handler as a resource (e.g. `web::resource(\"/{tail:.*}\")`) so that its body is read";

/// A check in the handler of an exempt route.
pub(crate) const EXEMPT_ROUTE_CHECKED: &str = "this route is exempt from XSRF checks (XsrfBuilder::exempt / exempt_route) but its handler requires a token (ValidXsrf, #[handle_token], Check): remove the exemption or the check";

/// `Xsrf::rotate` after a purge that nothing read the state before.
pub(crate) const ROTATE_AFTER_PURGE: &str = "rotate ran after the session was purged (Identity::logout, Session::purge) and before anything read its XSRF state, so the old session's one-time keys cannot be found to delete: call rotate before the logout, or check the request's token first (ValidXsrf, #[handle_token])";

/// An `error_handler` whose response streams its body.
pub(crate) const STREAMING_ERROR_HANDLER: &str = "the XSRF error_handler returned a streaming body; answering with the default response (give it a complete body: a String, Bytes or JSON)";

/// A request `exempt_route` exempted, served by another resource.
pub(crate) const MISROUTED_EXEMPT_ROUTE: &str = "a request exempted by XsrfBuilder::exempt_route was served by another resource on the same path (a guard of the named resource other than its method refused it), so it ran without XSRF checks: remove that guard, give the route a path of its own, or exempt by path with XsrfBuilder::exempt";

/// `exempt_route` naming a route the app does not have.
pub(crate) const UNKNOWN_EXEMPT_ROUTE: &str =
    "XsrfBuilder::exempt_route names no route of this app: it exempts nothing";
