//! Compile-time checks of `#[send_token]` / `#[handle_token]`: each misuse
//! is an error at the offending tokens (`ui/*-fail.rs` with the
//! expected `.stderr` beside it, through trybuild), and correct uses
//! compile (`pass/`, modules of this test binary).
//!
//! Why the correct uses are not trybuild `pass` cases: one `pass` case
//! makes trybuild build (not just check) its crate and every dependency
//! in a target directory of its own, actix-web and all, on every fresh
//! machine. As modules here they are compiled by the build that compiles
//! the rest of the suite, under the same lints (`#![deny(warnings)]`,
//! `missing_docs` on their public handlers), and their `main` runs below.

/// Correct uses of the macros: each module compiles under the lints it
/// names, and its `main` builds an app of its handlers.
pub mod pass {
    pub mod both_orders;
    pub mod doc_comment;
    pub mod extractors;
}

#[test]
fn correct_uses_compile_and_build_their_apps() {
    pass::both_orders::main();
    pass::doc_comment::main();
    pass::extractors::main();
}

#[test]
fn misuses_are_errors_at_the_offending_tokens() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/handle_token-not-async-fail.rs");
    t.compile_fail("ui/send_token-not-async-fail.rs");
    t.compile_fail("ui/handle_token-unknown-option-fail.rs");
    t.compile_fail("ui/handle_token-wrong-option-type-fail.rs");
    t.compile_fail("ui/handle_token-bad-source-fail.rs");
    t.compile_fail("ui/handle_token-duplicate-option-fail.rs");
    t.compile_fail("ui/handle_token-with-valid-xsrf-fail.rs");
    t.compile_fail("ui/handle_token-on-method-fail.rs");
    t.compile_fail("ui/send_token-one-time-fail.rs");
    t.compile_fail("ui/handle_token-one-time-value-fail.rs");
    t.compile_fail("ui/send_token-not-a-fn-fail.rs");
    t.compile_fail("ui/handle_token-twice-fail.rs");
}
