//! Many instances of the demo behind one site: every instance has the same
//! key ring (so any instance verifies any token), sessions in Redis
//! (actix-session's `RedisSessionStore`) and one-time keys in Redis
//! ([`RedisStore`]), so a key used on one instance is gone for all.

use actix_session::SessionMiddleware;
use actix_session::storage::RedisSessionStore;
use actix_web::cookie;
use xsrf_actix::{KeyRing, Xsrf, store::RedisStore};

/// The `Xsrf` of one instance: the shared ring, the site origins, one-time
/// keys on the Redis at `redis_url`.
pub fn xsrf(ring: KeyRing, origins: &[String], redis_url: &str) -> Result<Xsrf, String> {
    let store = RedisStore::new(redis_url).map_err(|e| e.to_string())?;
    let mut builder = Xsrf::builder().secret(ring).one_time_store(store);
    for o in origins {
        builder = builder.site_origin(o.clone());
    }
    builder.build().map_err(|e| e.to_string())
}

/// The Redis session store at `redis_url` (connected now).
pub async fn session_store(redis_url: &str) -> Result<RedisSessionStore, String> {
    RedisSessionStore::new(redis_url)
        .await
        .map_err(|e| format!("Redis sessions at {redis_url}: {e}"))
}

/// Session middleware over `store`, signed with `key` (shared by all
/// instances), under the cookie `multi-session` (see
/// [`support::cookie_sessions`](crate::support::cookie_sessions) for why
/// each example has its own). Built per worker: the middleware is not
/// `Send`.
pub fn sessions(
    xsrf: &Xsrf,
    store: RedisSessionStore,
    key: cookie::Key,
) -> SessionMiddleware<RedisSessionStore> {
    SessionMiddleware::builder(store, key)
        .cookie_name("multi-session".to_owned())
        .cookie_secure(xsrf.origin_policy().is_https())
        .build()
}
