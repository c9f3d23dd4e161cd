//! Tests over real listening sockets, for what `actix_web::test` cannot
//! show: concurrency, slow, aborted and unterminated bodies, connections
//! left behind.

mod round_trips;
mod unterminated_bodies;
