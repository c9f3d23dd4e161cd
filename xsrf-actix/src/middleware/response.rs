//! The answer on the way out, written in one place: what the request
//! queued (cookies, `Vary`, `Cache-Control`, the report-only header), the
//! `500` of state saved in a session no middleware stores, and the repost
//! page of a refused form.

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage as _, HttpRequest, HttpResponse};

use super::mark::Mark;
use super::outcome;
use super::session_order::state_lost;
use crate::counters::Verdict;
use crate::repost;
use crate::state::PerRequest;

/// Counts the request, then adds what it queued to the app's response,
/// unless the state saved in the session was lost (see
/// `session_order::state_lost`).
pub(super) fn finish<B>(
    res: Result<ServiceResponse<B>, Error>,
    mark: Mark,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let (req, mut response) = res?.into_parts();
    outcome::at_end(&req, mark);
    if let Some(res) = state_lost(&req, mark.session) {
        return Ok(ServiceResponse::new(req, res).map_into_right_body());
    }
    apply_pending(&req, &mut response);
    // Only a 403 is looked at further: the common answer costs a compare.
    if response.status() == StatusCode::FORBIDDEN {
        return match repost::answer(&req, response) {
            Ok(page) => Ok(ServiceResponse::new(req, page).map_into_right_body()),
            Err(response) => Ok(ServiceResponse::new(req, response).map_into_left_body()),
        };
    }
    Ok(ServiceResponse::new(req, response).map_into_left_body())
}

/// Adds what was queued during the request (state cookie, token cookie,
/// `Vary`) to the response. Appends: the handler's own cookies stay.
pub(crate) fn apply_pending<B>(req: &HttpRequest, res: &mut HttpResponse<B>) {
    let Some((p, verdict)) = req
        .extensions_mut()
        .get_mut::<PerRequest>()
        .map(|p| (std::mem::take(&mut p.pending), p.verdict))
    else {
        return;
    };
    if let Some(Verdict::Reported(r)) = verdict {
        res.headers_mut().insert(
            HeaderName::from_static(REPORT_ONLY_HEADER_LOWER),
            HeaderValue::from_static(r.code()),
        );
    }
    if let Some((name, value)) = p.refreshed
        && !res.headers().contains_key(&name)
    {
        res.headers_mut().insert(name, value);
    }
    for cookie in [p.state_cookie, p.token_cookie].into_iter().flatten() {
        // The formatted cookie becomes the header value without a copy.
        if let Ok(value) = HeaderValue::try_from(cookie) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    if p.token_issued {
        // The token depends on the session cookie; a shared cache must not
        // serve it to someone else.
        res.headers_mut()
            .append(header::VARY, HeaderValue::from_static("Cookie"));
        if !res.headers().contains_key(header::CACHE_CONTROL) {
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
        }
    }
}

/// [`REPORT_ONLY_HEADER`](crate::REPORT_ONLY_HEADER) as `http` wants a
/// static name: lower case.
const REPORT_ONLY_HEADER_LOWER: &str = "x-xsrf-report-only";
