//! Configuration mistakes, session-less cookie storage, custom error
//! responses and the token extractors, through real actix-web apps.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, web};
use xsrf_actix::{OriginChecks, Rejection, Storage, Transport, ValidXsrf, XsrfError};
use xsrf_tests::fixture::*;

/// The fixture routes with session-less cookie storage: no SessionMiddleware.
async fn cookie_storage_app(log: &Log) -> Client<impl AppService> {
    let xsrf = builder(&clock())
        .storage(Storage::signed_cookie())
        .build()
        .expect("xsrf");
    client_of(
        App::new()
            .app_data(web::Data::new(log.clone()))
            .wrap(xsrf)
            .configure(routes),
    )
    .await
}

#[actix_web::test]
async fn cookie_storage_works_without_any_session_middleware() {
    let log = Log::default();
    let c = cookie_storage_app(&log).await;
    let t = c.token().await;
    let jar = c.cookies();
    let state = jar.get("xsrf-state").cloned().expect("state cookie");
    assert!(!jar.contains_key("id"), "no session cookie in this mode");
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={t}&body=cookie-mode"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A forged state cookie (the attacker's own anonymous id) is refused.
    let mut forged = jar.clone();
    let (body, tag) = state.rsplit_once('.').expect("body.tag");
    // Another anonymous id under the old tag: one character changed.
    let first = if body.starts_with('A') { "B" } else { "A" };
    forged.insert("xsrf-state".into(), format!("{first}{}.{tag}", &body[1..]));
    c.set_cookies(forged);
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={t}&body=forged"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // No state cookie at all.
    c.set_cookies(Default::default());
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={t}&body=none")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["comment:cookie-mode"]);
}

#[actix_web::test]
async fn rotation_in_cookie_storage_kills_old_tokens() {
    let log = Log::default();
    let c = cookie_storage_app(&log).await;
    let before = c.token().await;
    let r = c
        .send(post("/login").insert_header(("x-xsrf-token", before.as_str())))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf_token={before}&body=x"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(log.entries(), ["login"]);
}

#[actix_web::test]
async fn cookie_storage_without_the_middleware_names_the_fix() {
    let xsrf = builder(&clock())
        .storage(Storage::signed_cookie())
        .build()
        .expect("xsrf");
    let svc = test::init_service(App::new().app_data(xsrf).configure(routes)).await;
    let c = Client::new(svc);
    let r = c.send(TestRequest::get().uri("/form")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body.contains(".wrap(xsrf.clone())"), "{}", r.body);
}

#[actix_web::test]
async fn missing_registration_is_a_500_that_names_the_fix() {
    let log = Log::default();
    let svc = test::init_service(
        App::new()
            .app_data(web::Data::new(log.clone()))
            .configure(routes),
    )
    .await;
    let c = Client::new(svc);
    let r = c.send(form_post("/comments", "xsrf_token=x&body=x")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body.contains("no Xsrf registered"), "{}", r.body);
    assert!(r.body.contains(".wrap(xsrf.clone())"), "{}", r.body);
    assert!(log.is_empty());
}

#[actix_web::test]
async fn body_token_without_the_middleware_is_a_clear_error_not_a_silent_400() {
    let log = Log::default();
    let xsrf = builder(&clock()).build().expect("xsrf");
    let svc = test::init_service(
        App::new()
            .app_data(web::Data::new(log.clone()))
            .app_data(xsrf)
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let c = Client::new(svc);
    let t = c.token().await;
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={t}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        r.body
            .contains("only the Xsrf middleware can do without eating it"),
        "{}",
        r.body
    );
    // A JSON body without the header names the same fix, rather than
    // answering "token missing" for a token that is there.
    let r = c
        .send(post("/api/comments").set_json(serde_json::json!({"xsrf_token": t, "body": "j"})))
        .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        r.body
            .contains("only the Xsrf middleware can do without eating it"),
        "{}",
        r.body
    );
    // The header still works without the middleware.
    let r = c.send(api_post(&t, "h")).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(log.entries(), ["api:h"]);
}

#[actix_web::test]
async fn custom_error_handler_replaces_the_response_and_keeps_the_reason() {
    let log = Log::default();
    let xsrf = builder(&clock())
        .error_handler(|e: &XsrfError, _: &actix_web::HttpRequest| {
            HttpResponse::Forbidden().json(serde_json::json!({
                "error": "xsrf",
                "reason": e.to_string(),
                "missing": e.rejection() == Some(Rejection::Missing),
            }))
        })
        .build()
        .expect("xsrf");
    let c = Client::new(service(xsrf, log.clone()).await);
    c.token().await;
    let r = c.send(form_post("/comments", "body=x")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["reason"], "XSRF token missing");
    assert_eq!(v["missing"], true);
    // The middleware's origin refusals go through it too.
    let r = c
        .send(form_post("/comments", "body=x").insert_header(("sec-fetch-site", "cross-site")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("cross-site"), "{}", r.body);
    assert!(log.is_empty());
}

#[actix_web::test]
async fn xsrf_token_extractor_gives_an_escaped_hidden_input_and_json() {
    let c = Client::new(service(builder(&clock()).build().expect("xsrf"), Log::default()).await);
    let r = c.send(TestRequest::get().uri("/token.json")).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let t = v["token"].as_str().expect("token string").to_owned();
    assert_eq!(t.len(), 82);
    // The JSON token works like any other.
    let r = c.send(api_post(&t, "j")).await;
    assert_eq!(r.status, StatusCode::CREATED);

    async fn page(token: xsrf_actix::XsrfToken) -> HttpResponse {
        HttpResponse::Ok().body(token.hidden_input())
    }
    let xsrf = builder(&clock())
        .transport(Transport::new().field("csrf\"><script>"))
        .build();
    assert!(xsrf.is_err(), "names with quotes are refused at build time");
    // `&` is a legal name character and markup in HTML: `xsrf&amp` must be
    // written `xsrf&amp;amp`, or a browser reads the name as `xsrf&` and
    // posts the token under a name nobody looks for.
    let log = Log::default();
    let xsrf = builder(&clock())
        .transport(Transport::new().field("xsrf&amp"))
        .build()
        .expect("xsrf");
    let c = start_with(xsrf, &log, |cfg| {
        routes(cfg);
        cfg.route("/", web::get().to(page));
    })
    .await;
    let res = c.send(TestRequest::get().uri("/")).await;
    let vary = res.header("vary").unwrap_or("").to_owned();
    let html = res.body;
    let value = html
        .strip_prefix(r#"<input type="hidden" name="xsrf&amp;amp" value=""#)
        .and_then(|rest| rest.strip_suffix(r#"">"#))
        .unwrap_or_else(|| panic!("hidden input not escaped as expected: {html}"));
    assert_eq!(value.len(), 82, "{html}");
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!(vary.contains("Cookie"), "{vary}");
    // The form a browser posts from that input (the name unescaped, then
    // urlencoded) is accepted.
    let r = c
        .send(form_post(
            "/comments",
            &format!("xsrf%26amp={value}&body=escaped"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(log.entries(), ["comment:escaped"]);
}

#[actix_web::test]
async fn custom_header_and_field_names_are_read_and_the_default_names_are_not() {
    let (c, log) =
        start(builder(&clock()).transport(Transport::new().header("X-CSRF-Guard").field("csrf")))
            .await;
    let page = c.send(TestRequest::get().uri("/form")).await;
    let t = page
        .header("x-csrf-guard")
        .expect("token sent in the custom header")
        .to_owned();
    assert!(
        page.header("x-xsrf-token").is_none(),
        "sent in the default header"
    );
    let header = |name: &str, body: &str| {
        post("/api/comments")
            .insert_header((name.to_owned(), t.clone()))
            .set_json(serde_json::json!({ "body": body }))
    };
    // Accepted under the custom names: header, urlencoded, multipart, JSON.
    let r = c.send(header("X-CSRF-Guard", "header")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = c
        .send(form_post("/comments", &format!("csrf={t}&body=form")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let mp = multipart_body("B0undary", &[("csrf", t.as_bytes()), ("file", b"data")]);
    let r = c.send(multipart_post("/upload", "B0undary", mp)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = c
        .send(
            post("/api/comments")
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .set_payload(format!(r#"{{"csrf":"{t}","body":"json"}}"#)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let accepted = [
        "api:header".to_owned(),
        "comment:form".to_owned(),
        format!("upload:csrf={},file=4", t.len()),
        "api:json".to_owned(),
    ];
    assert_eq!(log.entries(), accepted);
    // The default names carry nothing where custom ones are configured.
    let r = c.send(header("X-XSRF-Token", "default header")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "XSRF token missing");
    let r = c
        .send(form_post("/comments", &format!("xsrf_token={t}&body=x")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "XSRF token missing");
    let mp = multipart_body("B0undary", &[("xsrf_token", t.as_bytes())]);
    let r = c.send(multipart_post("/upload", "B0undary", mp)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .send(
            post("/api/comments")
                .insert_header((header::CONTENT_TYPE, "application/json"))
                .set_payload(format!(r#"{{"xsrf_token":"{t}","body":"x"}}"#)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.body.trim(), "XSRF token missing");
    assert_eq!(log.entries(), accepted, "a default name got through");
}

/// A handler with no token check of its own: with the middleware's origin
/// check off, nothing stands between it and another site.
async fn unchecked(log: web::Data<Log>) -> HttpResponse {
    log.push("unchecked");
    HttpResponse::Ok().finish()
}

/// A forged POST: another site's page, the victim's cookies.
fn cross_site(req: TestRequest) -> TestRequest {
    req.insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header(("sec-fetch-site", "cross-site"))
}

#[actix_web::test]
async fn origin_check_off_in_the_middleware_leaves_it_to_valid_xsrf() {
    let unchecked_route = |cfg: &mut web::ServiceConfig| {
        routes(cfg);
        cfg.route("/unchecked", web::post().to(unchecked));
    };
    // With the default (on), the middleware refuses the forgery before the
    // handler without a check runs.
    let log = Log::default();
    let on = start_with(
        builder(&clock()).build().expect("xsrf"),
        &log,
        unchecked_route,
    )
    .await;
    on.token().await;
    let r = on
        .send(cross_site(TestRequest::post().uri("/unchecked")))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(log.is_empty(), "{:?}", log.entries());

    // Off: as documented (`OriginChecks::in_middleware`: "ValidXsrf
    // checks origins either way"), the middleware lets unsafe cross-origin
    // requests through, so a handler that checks nothing runs. That is the
    // setting's purpose, and why it is on by default.
    let xsrf = builder(&clock())
        .origin_checks(OriginChecks::new().in_middleware(false))
        .build()
        .expect("xsrf");
    let off = start_with(xsrf, &log, unchecked_route).await;
    let t = off.token().await;
    let r = off
        .send(cross_site(TestRequest::post().uri("/unchecked")))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(log.entries(), ["unchecked"]);

    // A handler with ValidXsrf still refuses it, even with a valid token,
    // for its origin: the side effect does not happen.
    let r = off
        .send(cross_site(form_post(
            "/comments",
            &format!("xsrf_token={t}&body=forged"),
        )))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.header("x-xsrf-rejection"), Some("origin"));
    assert_eq!(
        r.body.trim(),
        "cross-origin request refused: Sec-Fetch-Site is cross-site"
    );
    assert_eq!(
        log.entries(),
        ["unchecked"],
        "the forged comment was stored"
    );
    // The same token from the site itself is accepted: the refusal was
    // about the origin.
    let r = off
        .send(form_post("/comments", &format!("xsrf_token={t}&body=own")))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(log.entries(), ["unchecked", "comment:own"]);
}

#[actix_web::test]
async fn valid_xsrf_guard_keeps_the_handler_from_running() {
    // The guard alone (no other extractor) still refuses.
    let log = Log::default();
    let l2 = log.clone();
    let xsrf = builder(&clock()).build().expect("xsrf");
    let svc = test::init_service(App::new().wrap(xsrf).route(
        "/x",
        web::post().to(move |_: ValidXsrf| {
            let l = l2.clone();
            async move {
                l.push("ran");
                HttpResponse::Ok().finish()
            }
        }),
    ))
    .await;
    let r = test::call_service(&svc, post("/x").to_request()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(log.is_empty());
}

/// The middleware hands its configuration to extractors as app data; that
/// must work wherever actix lets it be wrapped (a scope, a resource, next
/// to app data of their own), with session-less storage too.
#[actix_web::test]
async fn middleware_works_on_scopes_and_resources() {
    let log = Log::default();
    let (l1, l2) = (log.clone(), log.clone());
    let xsrf = builder(&clock())
        .storage(Storage::signed_cookie())
        .build()
        .expect("xsrf");
    let token_route = || {
        web::get().to(|req: actix_web::HttpRequest| async move {
            xsrf_actix::WithToken::new(&req, HttpResponse::Ok().finish())
        })
    };
    let svc = test::init_service(
        App::new()
            .service(
                web::scope("/scoped")
                    .wrap(xsrf.clone())
                    .app_data(web::FormConfig::default().limit(4096))
                    .route("/token", token_route())
                    .route(
                        "/post",
                        web::post().to(move |_: ValidXsrf| {
                            let l = l1.clone();
                            async move {
                                l.push("scoped");
                                HttpResponse::Ok().finish()
                            }
                        }),
                    ),
            )
            .service(
                web::resource("/resource")
                    .wrap(xsrf.clone())
                    .app_data(web::FormConfig::default().limit(4096))
                    .route(token_route())
                    .route(web::post().to(move |_: ValidXsrf| {
                        let l = l2.clone();
                        async move {
                            l.push("resource");
                            HttpResponse::Ok().finish()
                        }
                    })),
            ),
    )
    .await;
    let c = Client::new(svc);
    for (get, post_to, entry) in [
        ("/scoped/token", "/scoped/post", "scoped"),
        ("/resource", "/resource", "resource"),
    ] {
        let t = c.token_via(get).await;
        let r = c
            .send(post(post_to).insert_header(("x-xsrf-token", t.as_str())))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{post_to}: {}", r.body);
        let r = c.send(post(post_to)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{post_to} without a token");
        assert_eq!(log.entries().last().map(String::as_str), Some(entry));
    }
    assert_eq!(log.entries(), ["scoped", "resource"]);
}
