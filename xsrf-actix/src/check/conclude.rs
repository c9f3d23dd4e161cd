//! Turning a check's outcome into what the request gets: a log line with
//! the reason, method and route pattern, and the error through the app's
//! error handler.

use actix_web::HttpRequest;

use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::labels;

/// Logs a refusal and hands the error to the configured handler.
pub(crate) fn conclude(
    x: &Xsrf,
    req: &HttpRequest,
    outcome: Result<(), XsrfError>,
) -> Result<(), XsrfError> {
    if let Err(e) = &outcome {
        report(req, e);
    }
    outcome.map_err(|e| x.error(req, e))
}

fn report(req: &HttpRequest, e: &XsrfError) {
    // The route pattern, not the path: paths can carry one-time keys.
    let route = labels::route(req);
    match e.rejection() {
        Some(reason) => {
            tracing::warn!(%reason, method = %req.method(), %route, "XSRF check refused the request")
        }
        None => tracing::error!(error = %e, method = %req.method(), %route, "XSRF check failed"),
    }
}
