//! Shared fixtures for the workspace-level tests.
