//! Shared fixtures for the workspace-level tests.

pub mod fixture;
pub mod server;
