//! The default refusal's body, in the form the client asked for: a small
//! HTML page for a person in a browser, JSON for an API client, one line
//! of text for everything else (`*/*`, curl, a test).
//!
//! The page says what happened and what to do in words a visitor
//! understands; the status, `X-XSRF-Rejection` and the reason code stay
//! what code reads. None of the three forms ever holds a token, a key, a
//! cookie or a session id: they are made from the reason and its fixed
//! description only, never from the request.

use actix_web::HttpRequest;
use actix_web::http::header::{self, Accept, Header as _, HeaderValue, Quality};
use actix_web::mime;
use xsrf_core::Rejection;

/// The form of a default refusal, chosen from the request's `Accept`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Format {
    /// One line of plain text: no `Accept`, `*/*`, or anything else.
    #[default]
    Text,
    /// A page for people: `text/html` (what a browser's navigation sends).
    Html,
    /// `{"error": …}`: `application/json` or a `+json` type.
    Json,
}

impl Format {
    /// What `req` prefers. A browser sends `text/html,…,*/*;q=0.8` for a
    /// page and `*/*` for `fetch`: only a named HTML type gets the page,
    /// and only a named JSON type gets JSON, so a script that asked for
    /// nothing in particular keeps the line it gets today. An unreadable
    /// `Accept` gets text.
    pub(crate) fn of(req: &HttpRequest) -> Self {
        if !req.headers().contains_key(header::ACCEPT) {
            return Self::Text;
        }
        let Ok(accept) = Accept::parse(req) else {
            return Self::Text;
        };
        let (mut html, mut json) = (Quality::ZERO, Quality::ZERO);
        for item in accept.iter() {
            let (ty, sub) = (item.item.type_(), item.item.subtype());
            let suffix = item.item.suffix();
            if (ty == mime::TEXT && sub == mime::HTML)
                || (ty == mime::APPLICATION && sub.as_str() == "xhtml")
            {
                html = html.max(item.quality);
            } else if ty == mime::APPLICATION && (sub == mime::JSON || suffix == Some(mime::JSON)) {
                json = json.max(item.quality);
            }
        }
        if html > Quality::ZERO && html >= json {
            Self::Html
        } else if json > Quality::ZERO {
            Self::Json
        } else {
            Self::Text
        }
    }

    pub(crate) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Self::Text => "text/plain; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Json => "application/json",
        })
    }
}

/// The style of every page of ours (this one, and the page that sends an
/// expired form again): plain, readable, nothing loaded.
pub(crate) const STYLE: &str = "body{font:1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}small{color:#666}";

/// The start of every page of ours, up to `<body>`: the same head for the
/// refusal and the page that sends an expired form again, with `style`
/// added to the shared [`STYLE`].
pub(crate) fn page_head(title: &str, style: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
<style>{STYLE}{style}</style></head><body>"
    )
}

/// What a person is told about one kind of refusal.
struct Advice {
    title: &'static str,
    what: &'static str,
    todo: &'static str,
}

fn advice(rejection: Option<Rejection>) -> Advice {
    let Some(r) = rejection else {
        return Advice {
            title: "Something went wrong on this site",
            what: "The site could not check this request. This is not something you did.",
            todo: "Try again later.",
        };
    };
    match r {
        Rejection::Origin(_) => Advice {
            title: "Request refused",
            what: "This request came from another site, or the site it came from could not be confirmed, so it was not carried out.",
            todo: "If you meant to do this, open this site yourself and try again from its own page.",
        },
        Rejection::Expired | Rejection::FromFuture => Advice {
            title: "This page was open too long",
            what: "The form's security token has expired, so nothing was changed.",
            todo: "Go back, reload the page and send the form again. If you typed something long, copy it before reloading.",
        },
        Rejection::AlreadyUsed
        | Rejection::KeyExpired
        | Rejection::OtherSession
        | Rejection::DataMismatch => Advice {
            title: "This link cannot be used",
            what: "It was used already, has expired, or belongs to another browser session. One-time links work once, for a limited time.",
            todo: "Ask for a new link and open it in this browser.",
        },
        Rejection::StoreUnavailable | Rejection::StoreFull => Advice {
            title: "Please try again shortly",
            what: "The site cannot check this request right now, so nothing was changed.",
            todo: "Wait a minute, then try again.",
        },
        Rejection::BodyTooLarge | Rejection::BodyUnreadable(_) | Rejection::BodyTimeout => Advice {
            title: "The form could not be read",
            what: "It was too large, arrived incomplete or too slowly, or in a form the site does not read, so nothing was changed.",
            todo: "Go back and try again. If you attached a file, try a smaller one.",
        },
        _ => Advice {
            title: "This request could not be verified",
            what: "It did not carry a valid security token for your session, so nothing was changed. This happens when a page was loaded before you signed in or out, or before the site was updated.",
            todo: "Go back, reload the page and try again. If it keeps happening, sign in again.",
        },
    }
}

/// The body of a default refusal. `line` is the error's one-line
/// description ([`XsrfError`](super::XsrfError)'s `Display`), which names
/// a reason, never a secret.
pub(crate) fn body(
    format: Format,
    rejection: Option<Rejection>,
    line: &str,
    status: u16,
) -> String {
    let code = rejection.map(|r| r.code());
    match format {
        Format::Text => format!("{line}\n"),
        Format::Json => {
            let value = serde_json::json!({
                "error": code.unwrap_or("server-error"),
                "message": line,
                "status": status,
            });
            format!("{value}\n")
        }
        Format::Html => {
            let a = advice(rejection);
            let detail = html_escape::encode_text(line);
            let code = code.map_or_else(String::new, |c| format!(" (<code>{c}</code>)"));
            format!(
                "{head}<h1>{title}</h1><p>{what}</p><p>{todo}</p>\
<p><small>Error {status}: {detail}{code}</small></p></body></html>\n",
                head = page_head(a.title, ""),
                title = a.title,
                what = a.what,
                todo = a.todo,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn format(accept: Option<&str>) -> Format {
        let mut req = TestRequest::default();
        if let Some(a) = accept {
            req = req.insert_header((header::ACCEPT, a));
        }
        Format::of(&req.to_http_request())
    }

    #[test]
    fn the_form_follows_accept() {
        let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(format(Some(browser)), Format::Html);
        assert_eq!(format(Some("application/json")), Format::Json);
        assert_eq!(format(Some("application/problem+json")), Format::Json);
        assert_eq!(
            format(Some("application/json, text/html;q=0.5")),
            Format::Json
        );
        assert_eq!(
            format(Some("text/html;q=0, application/json")),
            Format::Json
        );
        assert_eq!(format(Some("*/*")), Format::Text);
        assert_eq!(format(Some("text/plain")), Format::Text);
        assert_eq!(format(None), Format::Text);
        assert_eq!(format(Some("junk;;q=, /")), Format::Text);
    }

    #[test]
    fn the_page_escapes_its_detail_and_names_the_reason() {
        let page = body(Format::Html, Some(Rejection::Expired), "<script>", 403);
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("<code>expired</code>"), "{page}");
        assert!(page.contains("reload the page"), "{page}");
        let json: serde_json::Value =
            serde_json::from_str(&body(Format::Json, Some(Rejection::Missing), "x", 403))
                .unwrap_or_default();
        assert_eq!(json["error"], "missing");
        assert_eq!(json["status"], 403);
    }
}
