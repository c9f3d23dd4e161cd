//! Template engines: the token's hidden field as each engine's own safe
//! markup, and the raw token for a `<meta>` tag or `hx-headers`.
//!
//! Every integration is an optional feature (`askama`, `maud`,
//! `minijinja`, `tera` for Tera 2, `tera1` for Tera 1) and follows one shape: `xsrf` is the
//! [`XsrfToken`] handed to the template; it prints as the raw token
//! (escaped like any text, which changes nothing: tokens are URL-safe
//! base64), and its `field` is the complete
//! `<input type="hidden" name="xsrf_token" value="…">`, which the engine
//! writes without escaping because it is marked safe in the engine's own
//! way. No `|safe`, no `PreEscaped` in templates.
//!
//! | feature (engine version) | hidden field | raw token |
//! |---|---|---|
//! | askama | `{{ xsrf.field() }}` | `{{ xsrf }}` |
//! | maud | `(xsrf.field())` | `(xsrf)` |
//! | minijinja | `{{ xsrf.field }}` | `{{ xsrf }}` |
//! | tera (2) | `{{ xsrf.field }}` | `{{ xsrf.token }}` |
//! | tera1 (Tera 1) | `{{ xsrf.field \| safe }}` | `{{ xsrf.token }}` |
//!
//! The versions each feature is built and tested against (a form rendered
//! and posted through an app, for each): askama 0.16, maud 0.27,
//! minijinja 3, Tera 2.4 (`tera`) and Tera 1.20 (`tera1`). An app on
//! another major version of an engine writes the field itself, which works
//! in any engine: `<input type="hidden" name="xsrf_token" value="{{ t }}">`
//! with `t` the raw token ([`XsrfToken::as_str`]), escaped as any text.
//!
//! The raw token also fits a `<meta name="xsrf-token" content="…">` tag
//! or htmx's `hx-headers` ([`docs::htmx_and_spa`](crate::docs::htmx_and_spa)).
//! Each engine has an example binary in the repository (`with_askama`,
//! `with_maud`, `with_minijinja`, `with_tera`, `with_tera1`).
//!
//! How each engine learns that the field is safe:
//!
//! * askama: [`HiddenField`] implements `askama::filters::HtmlSafe` (and
//!   `FastWritable`), askama's marker for values that are already HTML.
//! * maud: [`HiddenField`] implements `maud::Render` by writing the markup
//!   to the buffer; [`XsrfToken`]'s `Render` escapes the raw token.
//! * minijinja: `minijinja::Value::from(&token)` is an object whose
//!   attribute `field` is a `Value::from_safe_string`; the object itself
//!   renders as the raw token.
//! * tera: `tera::Value::from(&token)` is a map with `token` (a normal,
//!   escaped string) and `field` (a `Value::safe_string`).
//! * tera1: Tera 1 has no safe values (everything printed is escaped
//!   unless the template says `| safe`), so `tera1::Value::from(&token)`
//!   is a map with `token` and `field`, and the template writes
//!   `{{ xsrf.field | safe }}`. `safe` is right for that field and only it:
//!   the markup is ours, its name and value attribute-escaped.
//!
//! Action-scoped tokens work the same way: [`XsrfToken::for_action`]
//! gives an `XsrfToken` too, so a second form writes
//! `{{ delete.field() }}` (askama) with
//! `let delete = XsrfToken::for_action(&req, "delete-item-7")?` in the
//! handler, and `#[handle_token(action = "...")]` (or
//! `Check::new().action(..)`) accepts only that token.

use std::fmt;

use crate::XsrfToken;

/// The hidden form field of a token:
/// `<input type="hidden" name="xsrf_token" value="…">`.
///
/// It displays as that markup (name and value attribute-escaped) and is
/// marked as safe markup for the template engines enabled as features.
/// Get one from [`XsrfToken::field`].
///
/// ```
/// use xsrf_actix::templates::HiddenField;
///
/// let field = HiddenField::new("xsrf_token", "abc\"<");
/// assert_eq!(
///     field.to_string(),
///     r#"<input type="hidden" name="xsrf_token" value="abc&quot;&lt;">"#
/// );
/// ```
#[derive(Clone, Copy)]
pub struct HiddenField<'a> {
    name: &'a str,
    value: &'a str,
}

impl<'a> HiddenField<'a> {
    /// The field called `name` holding `value`; both are escaped when
    /// written.
    pub fn new(name: &'a str, value: &'a str) -> Self {
        HiddenField { name, value }
    }
}

impl fmt::Display for HiddenField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use html_escape::encode_double_quoted_attribute as attr;
        // Tokens and configured field names never need escaping (the
        // builder refuses odd names); escaping anyway keeps the markup
        // safe whatever a caller passes to `new`.
        write!(
            f,
            r#"<input type="hidden" name="{}" value="{}">"#,
            attr(self.name),
            attr(self.value)
        )
    }
}

impl fmt::Debug for HiddenField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is a secret of the session: never in logs.
        f.debug_struct("HiddenField")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl XsrfToken {
    /// The hidden form field carrying this token, as safe markup for
    /// template engines (see [`templates`](crate::templates)); its
    /// `Display` is the same text as [`XsrfToken::hidden_input`].
    ///
    /// ```
    /// # use actix_web::{HttpResponse, get};
    /// use xsrf_actix::XsrfToken;
    ///
    /// #[get("/")]
    /// async fn page(xsrf: XsrfToken) -> HttpResponse {
    ///     HttpResponse::Ok().content_type("text/html").body(format!(
    ///         r#"<meta name="xsrf-token" content="{xsrf}">
    ///            <form method="post" action="/comments">{}<button>Post</button></form>"#,
    ///         xsrf.field()
    ///     ))
    /// }
    /// ```
    pub fn field(&self) -> HiddenField<'_> {
        HiddenField::new(self.field_name(), self.as_str())
    }
}

/// The raw token, as [`XsrfToken::as_str`]: what a `<meta>` tag,
/// `hx-headers` or a script needs. Tokens are URL-safe base64, so the text
/// needs no escaping anywhere, and template engines escape it anyway as
/// they do any text. For the form field use [`XsrfToken::field`].
///
/// ```
/// # fn show(xsrf: xsrf_actix::XsrfToken) {
/// let meta = format!(r#"<meta name="xsrf-token" content="{xsrf}">"#);
/// assert!(meta.contains(xsrf.as_str()));
/// # }
/// ```
impl fmt::Display for XsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "askama")]
#[cfg_attr(docsrs, doc(cfg(feature = "askama")))]
mod askama_impl {
    use super::HiddenField;

    /// Written as is: it is HTML already, escaped where it must be.
    impl askama::filters::HtmlSafe for HiddenField<'_> {}

    impl askama::FastWritable for HiddenField<'_> {
        fn write_into(
            &self,
            dest: &mut dyn std::fmt::Write,
            _: &dyn askama::Values,
        ) -> askama::Result<()> {
            Ok(write!(dest, "{self}")?)
        }
    }
}

#[cfg(feature = "maud")]
#[cfg_attr(docsrs, doc(cfg(feature = "maud")))]
mod maud_impl {
    use super::HiddenField;
    use crate::XsrfToken;

    /// Appends the field's markup (escaped inside, see `Display`).
    impl maud::Render for HiddenField<'_> {
        fn render_to(&self, buffer: &mut String) {
            use std::fmt::Write as _;
            // Writing to a String cannot fail.
            let _ = write!(buffer, "{self}");
        }
    }

    /// The raw token, escaped like any text.
    impl maud::Render for XsrfToken {
        fn render_to(&self, buffer: &mut String) {
            self.as_str().render_to(buffer);
        }
    }
}

#[cfg(feature = "minijinja")]
#[cfg_attr(docsrs, doc(cfg(feature = "minijinja")))]
mod minijinja_impl {
    use std::fmt;
    use std::sync::Arc;

    use minijinja::Value;
    use minijinja::value::{Object, ObjectRepr};

    use crate::XsrfToken;

    /// What a minijinja template sees as `xsrf`.
    #[derive(Debug)]
    struct TokenObject(XsrfToken);

    impl Object for TokenObject {
        fn repr(self: &Arc<Self>) -> ObjectRepr {
            ObjectRepr::Plain
        }

        fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
            match key.as_str()? {
                "field" => Some(Value::from_safe_string(self.0.field().to_string())),
                "token" => Some(Value::from(self.0.as_str())),
                _ => None,
            }
        }

        // `{{ xsrf }}`: the raw token; minijinja escapes it as text.
        fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0.as_str())
        }
    }

    /// An object with the attributes `field` (the hidden input, safe
    /// markup) and `token` (the raw token); it renders as the raw token.
    impl From<XsrfToken> for Value {
        fn from(token: XsrfToken) -> Value {
            Value::from_object(TokenObject(token))
        }
    }

    /// As `From<XsrfToken>`, for a token the handler keeps using.
    impl From<&XsrfToken> for Value {
        fn from(token: &XsrfToken) -> Value {
            Value::from(token.clone())
        }
    }
}

#[cfg(feature = "tera")]
#[cfg_attr(docsrs, doc(cfg(feature = "tera")))]
mod tera_impl {
    use tera::Value;

    use crate::XsrfToken;

    /// A map with `token` (the raw token, a normal string that tera
    /// escapes) and `field` (the hidden input, a safe string).
    impl From<&XsrfToken> for Value {
        fn from(token: &XsrfToken) -> Value {
            let map: [(&'static str, Value); 2] = [
                ("token", Value::normal_string(token.as_str())),
                ("field", Value::safe_string(&token.field().to_string())),
            ];
            Value::from(std::collections::BTreeMap::from(map))
        }
    }

    /// As `From<&XsrfToken>`.
    impl From<XsrfToken> for Value {
        fn from(token: XsrfToken) -> Value {
            Value::from(&token)
        }
    }
}

#[cfg(feature = "tera1")]
#[cfg_attr(docsrs, doc(cfg(feature = "tera1")))]
mod tera1_impl {
    use tera1::Value;

    use crate::XsrfToken;

    /// A map with `token` (the raw token) and `field` (the hidden input:
    /// write it as `{{ xsrf.field | safe }}`, Tera 1 having no safe
    /// values).
    ///
    /// ```
    /// # #[cfg(feature = "tera1")] {
    /// use actix_web::{HttpResponse, get, web};
    /// use xsrf_actix::XsrfToken;
    ///
    /// #[get("/")]
    /// async fn page(xsrf: XsrfToken, tera: web::Data<tera1::Tera>) -> HttpResponse {
    ///     let mut ctx = tera1::Context::new();
    ///     ctx.insert("xsrf", &tera1::Value::from(&xsrf));
    ///     // page.html: <form method="post">{{ xsrf.field | safe }} …</form>
    ///     match tera.render("page.html", &ctx) {
    ///         Ok(html) => HttpResponse::Ok().content_type("text/html").body(html),
    ///         Err(_) => HttpResponse::InternalServerError().finish(),
    ///     }
    /// }
    /// # }
    /// ```
    impl From<&XsrfToken> for Value {
        fn from(token: &XsrfToken) -> Value {
            let mut map = tera1::Map::new();
            map.insert("token".to_owned(), Value::from(token.as_str()));
            map.insert("field".to_owned(), Value::from(token.field().to_string()));
            Value::Object(map)
        }
    }
}
