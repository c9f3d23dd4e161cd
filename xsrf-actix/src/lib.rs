//! Cross-site request forgery protection for actix-web (in progress).
#![forbid(unsafe_code)]
pub use xsrf_core as core;
