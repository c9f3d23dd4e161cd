//! Tests over real listening sockets, for what `actix_web::test` cannot
//! show: concurrency, slow, stalled, aborted and unterminated bodies,
//! connections left behind.

mod round_trips;
mod site;
mod slow_bodies;
mod unterminated_bodies;
