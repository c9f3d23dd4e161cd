//! What log lines and metric labels may say about a request: its method
//! and its route pattern, never its path (paths can carry one-time keys
//! and ids), never a token, key, session id, salt or cookie value.

use std::borrow::Cow;

use actix_web::HttpRequest;

/// The label of a request that matched no route.
const UNMATCHED: &str = "<unmatched>";

/// The route pattern of the request (`/invites/{key}`), or `<unmatched>`.
pub(crate) fn route(req: &HttpRequest) -> Cow<'static, str> {
    match req.match_pattern() {
        Some(pattern) => Cow::Owned(pattern),
        None => Cow::Borrowed(UNMATCHED),
    }
}
