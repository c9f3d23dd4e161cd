//! Attack matrix row K9 at the demo's door: fresh sessions cost nothing,
//! so the route that creates reset links is limited per client address.
//! The demo runs on a real listening socket with the in-process store; a
//! flood from 127.0.0.1 (one session, then a fresh session per request) is
//! answered `429` with `Retry-After` past its limit, while a visitor from
//! 127.0.0.2 gets a working link during the flood and after it. (The same
//! on `RedisStore` is in the `redis_stores` binary.)

use std::sync::Arc;

use actix_session::storage::CookieSessionStore;
use xsrf_actix::store::MemoryStore;
use xsrf_examples::forms;
use xsrf_tests::reset_links::flood_the_demo;
use xsrf_tests::server::start_example_with;

#[actix_web::test]
async fn k9_reset_link_flood_from_one_address_gets_429_while_another_address_gets_working_links() {
    let store = Arc::new(MemoryStore::default());
    let kept = Arc::clone(&store);
    let demo = start_example_with(forms::app::<CookieSessionStore>, move |b| {
        b.one_time_store(kept)
    });
    let links = flood_the_demo(demo.addr, "memory").await;
    // The handler ran only for the links let through (and the visitor's
    // two, both used since).
    assert_eq!(store.len(), links);
    let created = demo
        .hits
        .posts()
        .iter()
        .filter(|(path, status)| path == "/reset-link" && *status == 200)
        .count();
    assert_eq!(created, links + 2);
    demo.handle.stop(false).await;
}
