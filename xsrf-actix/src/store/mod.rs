//! Where one-time keys live: the [`KeyStore`] trait, the in-process
//! default [`MemoryStore`], and `RedisStore` (feature `redis`) for many
//! instances; with what a store of your own implements the trait with
//! ([`KeyDigest`], [`SessionDigest`], [`StoredKey`], [`Taken`], [`Quota`],
//! [`StoreFuture`], [`StoreError`]).
//!
//! ```
//! use xsrf_actix::{SigningKey, Xsrf, store::MemoryStore};
//!
//! // Room for 100,000 session-bound keys (the default is a million).
//! let xsrf = Xsrf::builder()
//!     .secret(SigningKey::generate()?)
//!     .one_time_store(MemoryStore::with_capacity(100_000))
//!     .build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "redis")]
mod redis;

pub use xsrf_core::store::{
    KeyDigest, KeyStore, MemoryStore, Quota, SessionDigest, StoreError, StoreFuture, StoredKey,
    Taken,
};

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
