//! Row O17: an exemption by route name, with another resource on the same
//! path pattern but another method guard. Route macros put the method
//! guard on the resource, and actix hands a request the guard refuses to
//! the next resource on the path, which the middleware (running before
//! routing, seeing no guards) cannot know: so the rule names the method,
//! and the other resource stays protected.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::TestRequest;
use actix_web::{HttpResponse, guard, post, put, web};
use xsrf_actix::{BuildError, ValidXsrf, Xsrf, XsrfBuilder};
use xsrf_tests::fixture::{Log, builder, clock, post, same_origin, start_with};

use crate::observability::Captured;

#[put("/items/{id}", name = "sync")]
async fn sync_item(id: web::Path<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("sync:{id}"));
    HttpResponse::Ok().finish()
}

/// Relies on the middleware's origin check alone, as a handler may.
#[post("/items/{id}")]
async fn create_item(id: web::Path<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("create:{id}"));
    HttpResponse::Ok().finish()
}

#[put("/orders/{id}", name = "sync_order")]
async fn sync_order(id: web::Path<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("sync-order:{id}"));
    HttpResponse::Ok().finish()
}

/// Checks a token: exempted by mistake, it would answer 500 to everyone.
#[post("/orders/{id}")]
async fn create_order(_: ValidXsrf, id: web::Path<String>, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("create-order:{id}"));
    HttpResponse::Ok().finish()
}

fn from_partner(ctx: &guard::GuardContext<'_>) -> bool {
    ctx.head().headers().contains_key("x-partner")
}

/// Exempt, but guarded by more than its method.
#[post("/feed/{id}", name = "feed", guard = "from_partner")]
async fn partner_feed(log: web::Data<Log>) -> HttpResponse {
    log.push("partner-feed");
    HttpResponse::Ok().finish()
}

#[post("/feed/{id}")]
async fn member_feed(log: web::Data<Log>) -> HttpResponse {
    log.push("member-feed");
    HttpResponse::Ok().finish()
}

async fn hook(req: actix_web::HttpRequest, log: web::Data<Log>) -> HttpResponse {
    log.push(format!("hook:{}", req.method()));
    HttpResponse::Ok().finish()
}

async fn token(req: actix_web::HttpRequest) -> HttpResponse {
    match Xsrf::for_request(&req).and_then(|x| x.issue(&req, None)) {
        Ok(t) => HttpResponse::Ok().body(t.into_string()),
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

/// The named `PUT` resources first, as the audit's example has them.
fn exempt_first(cfg: &mut web::ServiceConfig) {
    cfg.route("/token", web::get().to(token))
        .service(sync_item)
        .service(create_item)
        .service(sync_order)
        .service(create_order);
}

/// The same resources, the named ones last.
fn exempt_last(cfg: &mut web::ServiceConfig) {
    cfg.route("/token", web::get().to(token))
        .service(create_item)
        .service(sync_item)
        .service(create_order)
        .service(sync_order);
}

fn xsrf(b: XsrfBuilder) -> Xsrf {
    b.exempt_route("PUT sync")
        .exempt_route("PUT sync_order")
        .build()
        .expect("settings")
}

/// What an attacker's page (or a partner's server) sends: another origin,
/// no token.
fn foreign(method: &str, path: &str) -> TestRequest {
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).expect("method");
    TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header(("sec-fetch-site", "cross-site"))
}

#[actix_web::test]
async fn o17_exempt_put_route_does_not_exempt_a_post_on_its_path() {
    let log = Log::default();
    let c = start_with(xsrf(builder(&clock())), &log, exempt_first).await;
    for path in ["/items/1", "/orders/1"] {
        let r = c.send(foreign("POST", path)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}: {}", r.body);
        assert_eq!(r.header("x-xsrf-rejection"), Some("origin"), "POST {path}");
    }
    assert!(log.is_empty(), "a POST handler ran: {:?}", log.entries());
    // The exemption still does its job for the method it names.
    for path in ["/items/1", "/orders/1"] {
        let r = c.send(foreign("PUT", path)).await;
        assert_eq!(r.status, StatusCode::OK, "PUT {path}: {}", r.body);
    }
    // And the protected POST works for the site's own pages, token
    // checked (an exempted request would have been a 500 here).
    let t = c.send(TestRequest::get().uri("/token")).await.body;
    let r = c
        .send(post("/orders/2").insert_header(("x-xsrf-token", t)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["sync:1", "sync-order:1", "create-order:2"]);
}

#[actix_web::test]
async fn o17_exempt_route_after_another_resource_on_its_path_exempts_nothing() {
    // The middleware cannot tell whether the first resource's guards would
    // let a PUT by: nothing is exempt there, the safe side.
    let log = Log::default();
    let c = start_with(xsrf(builder(&clock())), &log, exempt_last).await;
    for method in ["POST", "PUT"] {
        for path in ["/items/1", "/orders/1"] {
            let r = c.send(foreign(method, path)).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                r.body
            );
            assert_eq!(r.header("x-xsrf-rejection"), Some("origin"));
        }
    }
    assert!(log.is_empty(), "a handler ran: {:?}", log.entries());
    // Same-origin, both resources answer as routed.
    let r = c.send(post("/items/3")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .send(same_origin(TestRequest::put().uri("/items/3")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["create:3", "sync:3"]);
}

#[test]
fn o17_exempt_route_without_a_method_is_a_build_error() {
    for bad in ["sync", "put sync", "PUT ", "", " sync", "P?T sync"] {
        let err = builder(&clock()).exempt_route(bad).build().err();
        assert!(
            matches!(err, Some(BuildError::BadExemptRoute { .. })),
            "{bad:?}: {err:?}"
        );
    }
    let err = builder(&clock()).exempt_route("sync").build().err();
    let text = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(text.contains("\"POST hooks\""), "{text}");
}

#[actix_web::test]
async fn o17_exempt_route_alone_on_its_path_still_exempts_what_it_names() {
    // One resource, its methods as routes (no guard on the resource): a
    // request of another method gets that resource's 405, never another's.
    let log = Log::default();
    let xsrf = builder(&clock())
        .exempt_route("POST hooks")
        .exempt_route("PUT hooks")
        .build()
        .expect("settings");
    let c = start_with(xsrf, &log, |cfg| {
        cfg.service(
            web::resource("/hooks/{provider}")
                .name("hooks")
                .route(web::post().to(hook))
                .route(web::put().to(hook))
                .route(web::patch().to(hook)),
        );
    })
    .await;
    for method in ["POST", "PUT"] {
        let r = c.send(foreign(method, "/hooks/github")).await;
        assert_eq!(r.status, StatusCode::OK, "{method}: {}", r.body);
    }
    // PATCH is not named: checked, and refused from elsewhere.
    let r = c.send(foreign("PATCH", "/hooks/github")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(log.entries(), ["hook:POST", "hook:PUT"]);
}

#[actix_web::test]
async fn o17_exempt_request_another_guard_sent_elsewhere_is_logged_naming_both() {
    // See `observability::m2_logs_name_reason_method_and_route_never_a_secret`
    // for why a global subscriber first.
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);
    let log = Log::default();
    let xsrf = builder(&clock())
        .exempt_route("POST feed")
        .build()
        .expect("settings");
    let c = start_with(xsrf, &log, |cfg| {
        cfg.service(partner_feed).service(member_feed);
    })
    .await;
    let r = c
        .send(foreign("POST", "/feed/1").insert_header(("x-partner", "1")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!captured.text().contains("served by another resource"));
    // The documented limit: a guard other than the method sends the
    // request on, exempt; too late to refuse, so said loudly.
    let r = c.send(foreign("POST", "/feed/1")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["partner-feed", "member-feed"]);
    let text = captured.text();
    let line = text
        .lines()
        .find(|l| l.contains("served by another resource"))
        .unwrap_or_else(|| panic!("no error logged:\n{text}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("rule=POST feed"), "{line}");
    assert!(line.contains("served=\"member_feed\""), "{line}");
}
