//! What a request's headers say about reading its body for the token: the
//! one decision the middleware acts on (picking a scanner, or leaving the
//! body unread and noting why) and a check without the middleware reads
//! back (telling a body only the middleware could read from one that
//! holds no token).

use actix_web::http::header::{self, HeaderMap};
use actix_web::mime::Mime;
use xsrf_core::BodyProblem;

use crate::config::TransportSettings as Transport;
use crate::middleware::NotScanned;
use crate::scan::BodyKind;

/// How to read a request body for the token, when it is to be read.
#[derive(Debug)]
pub(crate) enum ReadAs {
    /// An urlencoded form.
    Form,
    /// The top-level fields of a JSON body.
    Json,
    /// A multipart form; the parsed type holds the boundary (which may be
    /// missing: the scanner's constructor refuses it then).
    Multipart(Mime),
    /// A body that would have to be read but cannot be: refused for this.
    Unreadable(BodyProblem),
}

/// How to read a body with these headers, sent to an app whose tokens
/// travel as `t` says, or why not to read it (`Err`): a check without
/// the middleware asks whether the token may be in the body (`is_ok`),
/// which only the middleware can tell. Routing is not looked at here:
/// the middleware also leaves unrouted requests unread (see
/// `middleware/mod.rs`).
pub(crate) fn plan(headers: &HeaderMap, t: &Transport) -> Result<ReadAs, NotScanned> {
    let content_type = headers.get(header::CONTENT_TYPE);
    // What browsers send for a form, and most clients for JSON: decided
    // without parsing a MIME type.
    let bare = content_type.and_then(|v| BodyKind::bare(v.as_bytes()));
    if let Some(kind) = bare
        && headers.get(header::CONTENT_ENCODING).is_none()
    {
        return match kind {
            BodyKind::Json if t.header_decides(headers) => Err(NotScanned::HeaderToken),
            BodyKind::Json => Ok(ReadAs::Json),
            _ => Ok(ReadAs::Form),
        };
    }
    let Some(content_type) = content_type else {
        return Err(NotScanned::NotAForm);
    };
    let Some(mime) = content_type
        .to_str()
        .ok()
        .and_then(|v| v.parse::<Mime>().ok())
    else {
        return Ok(ReadAs::Unreadable(BodyProblem::ContentType));
    };
    let kind = match BodyKind::of(mime.essence_str()) {
        None => return Err(NotScanned::NotAForm),
        Some(BodyKind::Json) if t.header_decides(headers) => {
            return Err(NotScanned::HeaderToken);
        }
        Some(kind) => kind,
    };
    // actix's extractors decompress inside themselves; what we would see
    // here is compressed bytes.
    if let Some(enc) = headers.get(header::CONTENT_ENCODING) {
        let identity = enc
            .to_str()
            .is_ok_and(|e| e.trim().eq_ignore_ascii_case("identity"));
        if !identity {
            return Ok(ReadAs::Unreadable(BodyProblem::Compressed));
        }
    }
    // Tokens are ASCII; a form in another charset could encode the field
    // name differently. Refuse rather than guess.
    if let Some(charset) = mime.get_param("charset") {
        let cs = charset.as_str();
        if !cs.eq_ignore_ascii_case("utf-8") && !cs.eq_ignore_ascii_case("us-ascii") {
            return Ok(ReadAs::Unreadable(BodyProblem::Charset));
        }
    }
    Ok(match kind {
        BodyKind::Form => ReadAs::Form,
        BodyKind::Json => ReadAs::Json,
        BodyKind::Multipart => ReadAs::Multipart(mime),
    })
}
