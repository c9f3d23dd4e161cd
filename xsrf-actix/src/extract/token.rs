//! [`XsrfToken`]: a fresh token for the current subject, for templates and
//! JSON.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Serialize, Serializer};
use xsrf_core::Token;

use crate::config::Xsrf;
use crate::error::XsrfError;

/// A fresh token for the current subject, for templates and JSON.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use xsrf_actix::XsrfToken;
///
/// #[get("/")]
/// async fn page(token: XsrfToken) -> HttpResponse {
///     HttpResponse::Ok().content_type("text/html").body(format!(
///         r#"<form method="post" action="/comments">{}<input name="body"><button>Post</button></form>"#,
///         token.hidden_input()
///     ))
/// }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct XsrfToken {
    token: Token,
    field: std::sync::Arc<str>,
}

impl XsrfToken {
    /// A fresh token scoped to `action`, for a form that a check with the
    /// same action accepts (`Check::new().action(..)`,
    /// `#[handle_token(action = "..")]`). The extractor gives tokens
    /// without an action; per-record forms need one per record.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse, get, web};
    /// use xsrf_actix::{XsrfError, XsrfToken};
    ///
    /// #[get("/items/{id}")]
    /// async fn item(req: HttpRequest, id: web::Path<u64>) -> Result<HttpResponse, XsrfError> {
    ///     let token = XsrfToken::for_action(&req, &format!("delete-item-{id}"))?;
    ///     Ok(HttpResponse::Ok().content_type("text/html").body(format!(
    ///         r#"<form method="post" action="/items/{id}/delete">{}<button>Delete</button></form>"#,
    ///         token.hidden_input()
    ///     )))
    /// }
    /// ```
    pub fn for_action(req: &HttpRequest, action: &str) -> Result<Self, XsrfError> {
        let x = Xsrf::registered(req)?;
        let token = x.issue(req, Some(action))?;
        Ok(XsrfToken {
            token,
            field: std::sync::Arc::clone(&x.inner.transport.field),
        })
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        self.token.as_str()
    }

    /// The name of the form field the token goes in.
    pub(crate) fn field_name(&self) -> &str {
        &self.field
    }

    /// `<input type="hidden" name="xsrf_token" value="...">`, escaped.
    /// In a template engine, use [`XsrfToken::field`] instead: it is the
    /// same markup, marked safe for the engine.
    ///
    /// Tokens and configured field names never need escaping (the builder
    /// refuses odd names); [`HiddenField`](crate::templates::HiddenField),
    /// which writes the markup, escapes anyway, so that stays an invariant
    /// of one place rather than of its callers.
    pub fn hidden_input(&self) -> String {
        self.field().to_string()
    }
}

impl std::fmt::Debug for XsrfToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("XsrfToken(..)")
    }
}

impl Serialize for XsrfToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.token.as_str())
    }
}

impl FromRequest for XsrfToken {
    type Error = XsrfError;
    type Future = Ready<Result<Self, XsrfError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Xsrf::registered(req).and_then(|x| {
            let token = x.issue(req, None)?;
            Ok(XsrfToken {
                token,
                field: std::sync::Arc::clone(&x.inner.transport.field),
            })
        }))
    }
}
