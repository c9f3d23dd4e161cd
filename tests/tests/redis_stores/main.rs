//! The Redis one-time store against real servers the tests start: one
//! `redis-server`, a Redis Cluster, and two app instances sharing one.
//! A missing `redis-server` is a failure, never a skip.

mod cluster;
mod many_instances;
mod store;
mod unbound_keys;
