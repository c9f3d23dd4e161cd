//! End-to-end in headless Chromium (the helpers of `xsrf_tests::browser`),
//! one module per app family. Chromium and chromedriver must be installed;
//! without them the tests fail, they never skip.

mod forms;
mod login;
mod stacks;
mod websocket;

/// One browser at a time: each test starts its own chromedriver and
/// Chromium, and on a small machine several at once only race for the
/// cores and stretch every wait.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
