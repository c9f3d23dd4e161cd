//! Attribute macros for xsrf-actix (filled in by the macros issue).
#![forbid(unsafe_code)]
