//! What the protection allocates per request, counted, not timed: a POST
//! with the token in its header and a GET that needs no token allocate
//! nothing beyond what the same app without protection allocates. The
//! benchmark (`xsrf-bench overhead`) reports the figures; this test keeps
//! them from creeping back.
//!
//! The counting allocator is global to this test binary, which therefore
//! holds this one test only: nothing else allocates while it counts.

use std::alloc::System;

use actix_http::Request;
use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpResponse, cookie, test, web};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xsrf_actix::{Key, ValidXsrf, Xsrf, XsrfToken};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const ORIGIN: &str = "http://localhost:8080";
const CALLS: usize = 200;

/// Allocations (and reallocations) of `CALLS` calls, after a warm-up;
/// requests are built before counting starts.
async fn count<S, B>(srv: &S, make: &dyn Fn() -> Request) -> usize
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    for _ in 0..50 {
        let res = srv.call(make()).await.expect("warm-up call");
        assert!(res.status().is_success(), "warm-up: {}", res.status());
    }
    let batch: Vec<Request> = (0..CALLS).map(|_| make()).collect();
    let region = Region::new(GLOBAL);
    for req in batch {
        let res = srv.call(req).await.expect("counted call");
        assert!(res.status().is_success(), "{}", res.status());
    }
    let st = region.change();
    st.allocations + st.reallocations
}

async fn ok() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

fn plain() -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .route("/submit", web::post().to(ok))
        .route("/healthz", web::get().to(ok))
}

fn protected(
    xsrf: Xsrf,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(xsrf)
        .route(
            "/form",
            web::get()
                .to(|t: XsrfToken| async move { HttpResponse::Ok().body(t.as_str().to_owned()) }),
        )
        .route("/submit", web::post().to(|_: ValidXsrf| ok()))
        .route("/healthz", web::get().to(ok))
}

fn xsrf(cookie_storage: bool) -> Xsrf {
    let b = Xsrf::builder()
        .secret(Key::generate().expect("key"))
        .site_origin(ORIGIN);
    if cookie_storage {
        b.cookie_storage()
    } else {
        b
    }
    .build()
    .expect("xsrf")
}

/// The cookies and token a returning visitor holds.
async fn visitor<S, B>(srv: &S) -> (String, String)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let res = srv
        .call(test::TestRequest::get().uri("/form").to_request())
        .await
        .expect("GET /form");
    let cookies = res
        .response()
        .cookies()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let token = String::from_utf8(test::read_body(res).await.to_vec()).expect("token");
    (cookies, token)
}

#[actix_web::test]
async fn header_posts_and_untouched_gets_allocate_nothing_extra() {
    let key = cookie::Key::generate();
    let sessions = || {
        SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_secure(false)
            .build()
    };
    for cookie_storage in [false, true] {
        let mode = if cookie_storage {
            "cookie storage"
        } else {
            "session"
        };
        let base = test::init_service(plain().wrap(sessions())).await;
        let ours = test::init_service(protected(xsrf(cookie_storage)).wrap(sessions())).await;
        let (cookies, token) = visitor(&ours).await;
        assert_eq!(token.len(), 82, "{mode}: {token}");
        let post = || {
            test::TestRequest::post()
                .uri("/submit")
                .insert_header((header::ORIGIN, ORIGIN))
                .insert_header(("Sec-Fetch-Site", "same-origin"))
                .insert_header((header::COOKIE, cookies.clone()))
                .insert_header(("X-XSRF-Token", token.clone()))
                .to_request()
        };
        let get = || test::TestRequest::get().uri("/healthz").to_request();
        for (what, make) in [
            ("header POST", &post as &dyn Fn() -> Request),
            ("GET", &get),
        ] {
            let plain_allocs = count(&base, make).await;
            let our_allocs = count(&ours, make).await;
            assert!(
                our_allocs <= plain_allocs,
                "{mode}, {what}: {our_allocs} allocations for {CALLS} calls, the unprotected app {plain_allocs}"
            );
        }
    }
}
