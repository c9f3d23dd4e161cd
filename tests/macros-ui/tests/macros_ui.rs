//! Compile-time checks of `#[send_token]` / `#[handle_token]`: each misuse
//! is an error at the offending tokens (`ui/*-fail.rs` with the
//! expected `.stderr` beside it), and correct uses compile.

#[test]
fn macro_ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/macros-both-orders-pass.rs");
    t.pass("ui/handle_token-extractors-pass.rs");
    t.pass("ui/macros-doc-comment-pass.rs");
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
