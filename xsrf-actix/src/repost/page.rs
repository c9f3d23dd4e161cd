//! The page itself: what happened in a sentence, the person's fields in
//! a form with a fresh token, one button. No script, nothing loaded from
//! anywhere; every value from the request is escaped for the place it
//! goes (attribute values, text).

use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::fields::Field;
use crate::error::page_head;
use crate::templates::HiddenField;

/// The page's `Content-Security-Policy`: nothing runs or loads (its one
/// style is inline), no page may frame it (no clicking "Send again"
/// through a transparent frame), no `<base>` applies.
///
/// No `form-action`: Chromium applies it to the redirects that follow a
/// submission, so `form-action 'self'` would block the handler's own `303`
/// to another origin (a payment provider, a sibling app) after the form
/// was stored, and leave the person on this page, pressing "Send again" a
/// second time. Where the form posts is fixed without it: it has no
/// `action` (the page's own address, which the browser proved to be the
/// site's) and nothing from the request can add markup to the page.
pub(super) const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// The page for `fields`, re-posted with `token` in `token_field`, in
/// the body's own encoding. The form has no `action`: it posts to the
/// page's own address, the one the person posted to, however a proxy in
/// front rewrote the path the app sees. The token comes first, so that
/// files chosen again cannot push it past the scan limit.
pub(super) fn render(fields: &[Field], token_field: &str, token: &str, multipart: bool) -> String {
    let enctype = if multipart {
        "multipart/form-data"
    } else {
        "application/x-www-form-urlencoded"
    };
    let has_files = fields.iter().any(|f| matches!(f, Field::File { .. }));
    let mut out = String::with_capacity(
        1024 + fields
            .iter()
            .map(|f| match f {
                Field::Text { name, value } => 48 + name.len() + value.len(),
                Field::File { name, chosen } => 160 + 2 * name.len() + chosen.len(),
            })
            .sum::<usize>(),
    );
    out.push_str(&page_head(
        "Send your form again",
        "button{font:inherit;padding:.4rem 1.2rem}",
    ));
    out.push_str(
        "<h1>Your form was not sent yet</h1>\
<p>The page was open longer than its security check allows, so nothing was saved. \
What you entered is kept: press <b>Send again</b> to send it now.</p>",
    );
    if has_files {
        out.push_str("<p>Files cannot be kept: choose each file again below before you send.</p>");
    }
    let _ = write!(
        out,
        "<form method=\"post\" enctype=\"{enctype}\" accept-charset=\"utf-8\">{}",
        HiddenField::new(token_field, token)
    );
    let mut files_listed: Vec<&str> = Vec::new();
    for f in fields {
        match f {
            Field::Text { name, value } => {
                let _ = write!(out, "{}", HiddenField::new(name, value));
            }
            // Several files under one name came from one input that
            // allowed several: one input, allowing several, again.
            Field::File { name, .. } if files_listed.contains(&name.as_str()) => {}
            Field::File { name, chosen } => {
                files_listed.push(name);
                let several = fields
                    .iter()
                    .filter(|g| matches!(g, Field::File { name: n, .. } if n == name))
                    .count()
                    > 1;
                let was = if chosen.is_empty() {
                    String::new()
                } else {
                    format!(" (you had chosen “{}”)", text(chosen))
                };
                let _ = write!(
                    out,
                    "<p><label>{}{was}: <input type=\"file\" name=\"{}\"{}></label></p>",
                    text(name),
                    attr(name),
                    if several { " multiple" } else { "" }
                );
            }
        }
    }
    out.push_str(
        "<p><button id=\"xsrf-send-again\" type=\"submit\" autofocus>Send again</button></p></form>\
<p>If you would rather not send it, just go back.</p>\
<p><small>Error 403: XSRF token expired (<code>expired</code>)</small></p></body></html>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_names_are_escaped_and_the_token_comes_first() {
        let fields = [
            Field::Text {
                name: "a\"><script>x</script>".to_owned(),
                value: "\"><script>alert(1)</script>&amp;".to_owned(),
            },
            Field::File {
                name: "<i>f</i>".to_owned(),
                chosen: "<img src=x>.png".to_owned(),
            },
        ];
        let page = render(&fields, "xsrf_token", "TOKEN", true);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<i>"), "{page}");
        assert!(
            page.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;\""),
            "{page}"
        );
        assert!(page.contains("enctype=\"multipart/form-data\""), "{page}");
        assert!(page.contains("choose each file again"), "{page}");
        let token = page.find("value=\"TOKEN\"").expect("the token");
        let field = page
            .find("type=\"hidden\" name=\"a&quot;")
            .expect("the field");
        assert!(token < field, "{page}");
        assert!(!page.contains("action="), "{page}");
    }

    #[test]
    fn several_files_of_one_name_are_one_input_again() {
        let file = |chosen: &str| Field::File {
            name: "photos".to_owned(),
            chosen: chosen.to_owned(),
        };
        let page = render(&[file("a.png"), file("b.png")], "t", "T", true);
        assert_eq!(page.matches("type=\"file\"").count(), 1, "{page}");
        assert!(page.contains(" multiple>"), "{page}");
        let page = render(&[], "t", "T", false);
        assert!(page.contains("application/x-www-form-urlencoded"), "{page}");
        assert!(!page.contains("Files cannot"), "{page}");
    }
}
