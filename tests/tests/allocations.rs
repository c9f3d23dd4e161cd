//! What the protection allocates per request, counted, not timed: a POST
//! with the token in its header and a GET that needs no token allocate
//! nothing beyond what the same app without protection allocates, and a
//! POST with the token in a one-chunk form body at most
//! [`FORM_EXTRA`] more (the token, the scan's state, the note of what it
//! found). Bytes are bounded too, far below the 32 KiB form body: a copy
//! of the body (one allocation, so within a count bound) breaks the byte
//! bound in both storages. The benchmark (`xsrf-bench overhead`) reports
//! the figures; this test keeps them from creeping back.
//!
//! The counting allocator is global to this test binary, which therefore
//! holds this one test only: nothing else allocates while it counts.

use std::alloc::System;

use actix_http::Request;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, test, web};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xsrf_actix::{Storage, ValidXsrf, WithToken, Xsrf};
use xsrf_tests::fixture::{Client, SITE, key_a, session_middleware};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CALLS: usize = 200;

/// Allocations a form POST may add per request: the token read from the
/// body (shared by every check of the request), the boxed scan state, and
/// the request extension that carries the scan's outcome to the checks
/// (its box, and the growth of the extensions map).
const FORM_EXTRA: usize = 4;

/// Bytes a form POST may add per request (measured: 984 in either
/// storage, with the token first in a body of 32 KiB). A copy of the body
/// would add 32 KiB.
const FORM_EXTRA_BYTES: usize = 1536;

/// Bytes a header POST may add per request (measured: 72; nothing is read
/// from the body).
const HEADER_EXTRA_BYTES: usize = 128;

/// Bytes a GET may add per request (measured: 8).
const GET_EXTRA_BYTES: usize = 64;

/// The filler after the token in the form body: large enough that a copy
/// of the body cannot hide in [`FORM_EXTRA_BYTES`].
const FORM_FILLER: usize = 32 * 1024;

/// What `CALLS` calls allocated.
struct Counted {
    /// Allocations and reallocations.
    allocations: usize,
    /// Bytes allocated, and bytes added by reallocations.
    bytes: usize,
}

/// Allocations (and reallocations) of `CALLS` calls, after a warm-up;
/// requests are built before counting starts.
async fn count<S, B>(srv: &S, make: &dyn Fn() -> Request) -> Counted
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
    Counted {
        allocations: st.allocations + st.reallocations,
        bytes: st.bytes_allocated + usize::try_from(st.bytes_reallocated).unwrap_or(0),
    }
}

async fn ok() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

#[actix_web::test]
async fn header_posts_and_untouched_gets_allocate_nothing_extra_form_posts_little() {
    for cookie_storage in [false, true] {
        let mode = if cookie_storage {
            "cookie storage"
        } else {
            "session"
        };
        // Not the fixture's builder: its `user_fn` (app code) looks a header
        // up by a string name, which allocates, and would be counted here.
        let xsrf = Xsrf::builder().secret(key_a()).site_origin(SITE);
        let xsrf = if cookie_storage {
            xsrf.storage(Storage::signed_cookie())
        } else {
            xsrf
        };
        let base = test::init_service(
            App::new()
                .wrap(session_middleware())
                .route("/submit", web::post().to(ok))
                .route("/healthz", web::get().to(ok)),
        )
        .await;
        let ours = test::init_service(
            App::new()
                .wrap(xsrf.build().expect("xsrf"))
                .wrap(session_middleware())
                .route(
                    "/form",
                    web::get().to(|req: HttpRequest| async move {
                        WithToken::new(&req, HttpResponse::Ok().finish())
                    }),
                )
                .route("/submit", web::post().to(|_: ValidXsrf| ok()))
                .route("/healthz", web::get().to(ok)),
        )
        .await;
        let visitor = Client::new(&ours);
        let token = visitor.token_via("/form").await;
        let cookies = visitor.cookie_header();
        assert_eq!(token.len(), 82, "{mode}: {token}");
        let post = || {
            test::TestRequest::post()
                .uri("/submit")
                .insert_header((header::ORIGIN, SITE))
                .insert_header(("Sec-Fetch-Site", "same-origin"))
                .insert_header((header::COOKIE, cookies.clone()))
                .insert_header(("X-XSRF-Token", token.clone()))
                .to_request()
        };
        let get = || test::TestRequest::get().uri("/healthz").to_request();
        let form = || {
            test::TestRequest::post()
                .uri("/submit")
                .insert_header((header::ORIGIN, SITE))
                .insert_header(("Sec-Fetch-Site", "same-origin"))
                .insert_header((header::COOKIE, cookies.clone()))
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(format!(
                    "xsrf_token={token}&body={}",
                    "b".repeat(FORM_FILLER)
                ))
                .to_request()
        };
        for (what, make, extra, extra_bytes) in [
            (
                "header POST",
                &post as &dyn Fn() -> Request,
                0,
                HEADER_EXTRA_BYTES,
            ),
            ("GET", &get, 0, GET_EXTRA_BYTES),
            ("form POST", &form, FORM_EXTRA, FORM_EXTRA_BYTES),
        ] {
            let plain = count(&base, make).await;
            let ours = count(&ours, make).await;
            let (our_allocs, plain_allocs) = (ours.allocations, plain.allocations);
            assert!(
                our_allocs <= plain_allocs + extra * CALLS,
                "{mode}, {what}: {our_allocs} allocations for {CALLS} calls, the unprotected app {plain_allocs} (at most {extra} more per call allowed)"
            );
            let (our_bytes, plain_bytes) = (ours.bytes, plain.bytes);
            assert!(
                our_bytes <= plain_bytes + extra_bytes * CALLS,
                "{mode}, {what}: {our_bytes} bytes allocated for {CALLS} calls, the unprotected app {plain_bytes} (at most {extra_bytes} more per call allowed)"
            );
        }
    }
}
