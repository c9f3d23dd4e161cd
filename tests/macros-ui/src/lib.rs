//! Compile-time checks of `#[send_token]` / `#[handle_token]`: the cases
//! are in `ui/`, run by `tests/macros_ui.rs` with trybuild. This library
//! is empty; the package exists so trybuild's build of the cases depends
//! on the few crates they use, not on all of `xsrf-tests`.
