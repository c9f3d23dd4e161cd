//! Shared fixtures for the workspace-level tests.

// The README's Rust examples compile as doc tests, so they stay true.
#[doc = include_str!("../../README.md")]
mod readme {}

pub mod browser;
pub mod fixture;
pub mod redis_server;
pub mod reset_links;
pub mod server;
pub mod soak;
