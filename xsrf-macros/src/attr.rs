//! Stage 1: the attribute's options, `#[handle_token(action = "..", ..)]`.
//!
//! Parsing is about syntax and value types only: every known option is
//! accepted here for both macros, and unknown names are kept as
//! [`Opt::Unknown`]. Whether an option applies to the macro at hand,
//! duplicates and "did you mean" hints are checked in [`crate::valid`],
//! which knows the macro.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

/// The option names, as custom keywords.
pub(crate) mod kw {
    syn::custom_keyword!(action);
    syn::custom_keyword!(source);
    syn::custom_keyword!(one_time);
}

/// Which macro is being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Macro {
    /// `#[send_token]`.
    SendToken,
    /// `#[handle_token]`.
    HandleToken,
}

impl Macro {
    /// Both macros, for hints that name the other one.
    pub(crate) const ALL: [Macro; 2] = [Macro::SendToken, Macro::HandleToken];

    /// The attribute's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Macro::SendToken => "send_token",
            Macro::HandleToken => "handle_token",
        }
    }

    /// The options this macro takes.
    pub(crate) fn options(self) -> &'static [&'static str] {
        match self {
            Macro::SendToken => &["action"],
            Macro::HandleToken => &["action", "source", "one_time"],
        }
    }
}

/// Where `#[handle_token(source = "..")]` reads the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `"header"`: `::xsrf_actix::Source::Header`.
    Header,
    /// `"form"`: `::xsrf_actix::Source::Form`.
    Form,
    /// `"cookie"`: `::xsrf_actix::Source::Cookie` (double submit).
    Cookie,
}

impl Source {
    /// Every accepted value, as written in the attribute.
    pub(crate) const ALL: [(&'static str, Source); 3] = [
        ("header", Source::Header),
        ("form", Source::Form),
        ("cookie", Source::Cookie),
    ];

    fn from_lit(lit: &LitStr) -> syn::Result<Self> {
        let given = lit.value();
        if let Some((_, source)) = Self::ALL.iter().find(|(name, _)| *name == given) {
            return Ok(*source);
        }
        let allowed = "expected \"header\", \"form\" or \"cookie\"";
        let names = Self::ALL.iter().map(|(name, _)| *name);
        let message = match closest(&given, names) {
            Some(close) => format!("unknown source {given:?}: {allowed}; did you mean {close:?}?"),
            None => format!("unknown source {given:?}: {allowed}"),
        };
        Err(syn::Error::new_spanned(lit, message))
    }
}

/// One option, as written.
pub(crate) enum Opt {
    /// `action = "..."`.
    Action {
        name: kw::action,
        eq: Token![=],
        value: LitStr,
    },
    /// `source = "header" | "form" | "cookie"`.
    Source {
        name: kw::source,
        eq: Token![=],
        value: LitStr,
        source: Source,
    },
    /// `one_time`.
    OneTime { name: kw::one_time },
    /// Any other name, with its value if one was given; rejected by
    /// [`crate::valid`] with a hint fitting the macro.
    Unknown { name: Ident, value: TokenStream },
}

impl Opt {
    /// The option's name as written.
    pub(crate) fn name(&self) -> String {
        match self {
            Opt::Action { .. } => "action".to_owned(),
            Opt::Source { .. } => "source".to_owned(),
            Opt::OneTime { .. } => "one_time".to_owned(),
            Opt::Unknown { name, .. } => name.unraw().to_string(),
        }
    }

    /// The span of the option's name.
    pub(crate) fn name_span(&self) -> Span {
        match self {
            Opt::Action { name, .. } => name.span,
            Opt::Source { name, .. } => name.span,
            Opt::OneTime { name } => name.span,
            Opt::Unknown { name, .. } => name.span(),
        }
    }
}

impl ToTokens for Opt {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Opt::Action { name, eq, value } => {
                name.to_tokens(tokens);
                eq.to_tokens(tokens);
                value.to_tokens(tokens);
            }
            Opt::Source {
                name, eq, value, ..
            } => {
                name.to_tokens(tokens);
                eq.to_tokens(tokens);
                value.to_tokens(tokens);
            }
            Opt::OneTime { name } => name.to_tokens(tokens),
            Opt::Unknown { name, value } => {
                name.to_tokens(tokens);
                value.to_tokens(tokens);
            }
        }
    }
}

impl Parse for Opt {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::action) {
            let name: kw::action = input.parse()?;
            let (eq, value) = string_value(input, &name, "action", "delete-account")?;
            Ok(Opt::Action { name, eq, value })
        } else if lookahead.peek(kw::source) {
            let name: kw::source = input.parse()?;
            let (eq, value) = string_value(input, &name, "source", "header")?;
            let source = Source::from_lit(&value)?;
            Ok(Opt::Source {
                name,
                eq,
                value,
                source,
            })
        } else if lookahead.peek(kw::one_time) {
            let name: kw::one_time = input.parse()?;
            if input.peek(Token![=]) {
                let eq: Token![=] = input.parse()?;
                let value: Expr = input.parse()?;
                return Err(syn::Error::new_spanned(
                    quote::quote!(#eq #value),
                    "`one_time` is a flag and takes no value: write `one_time`, or leave it out",
                ));
            }
            Ok(Opt::OneTime { name })
        } else if input.peek(Ident::peek_any) {
            // Keep it for `valid`, which knows the macro and so the hint.
            let name = input.call(Ident::parse_any)?;
            let mut value = TokenStream::new();
            if input.peek(Token![=]) {
                input.parse::<Token![=]>()?.to_tokens(&mut value);
                input.parse::<Expr>()?.to_tokens(&mut value);
            }
            Ok(Opt::Unknown { name, value })
        } else {
            Err(lookahead.error())
        }
    }
}

/// Parses `= "..."` after `name`, which must have a string literal value.
fn string_value(
    input: ParseStream<'_>,
    name: &impl ToTokens,
    option: &str,
    example: &str,
) -> syn::Result<(Token![=], LitStr)> {
    let lookahead = input.lookahead1();
    if !lookahead.peek(Token![=]) {
        if input.is_empty() || input.peek(Token![,]) {
            return Err(syn::Error::new_spanned(
                name,
                format!("`{option}` needs a value: `{option} = \"{example}\"`"),
            ));
        }
        return Err(lookahead.error());
    }
    let eq: Token![=] = input.parse()?;
    match input.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(value),
            attrs,
        }) if attrs.is_empty() => Ok((eq, value)),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{option}` takes a string literal: `{option} = \"{example}\"`"),
        )),
    }
}

/// The attribute's arguments: options separated by commas.
pub(crate) struct Options {
    /// Every option, in the order written.
    pub(crate) all: Vec<Opt>,
}

impl Parse for Options {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let all = Punctuated::<Opt, Token![,]>::parse_terminated(input)?;
        Ok(Options {
            all: all.into_iter().collect(),
        })
    }
}

impl Options {
    /// `action = "..."`, if given.
    pub(crate) fn action(&self) -> Option<&LitStr> {
        self.all.iter().find_map(|o| match o {
            Opt::Action { value, .. } => Some(value),
            _ => None,
        })
    }

    /// `source = "..."`, if given.
    pub(crate) fn source(&self) -> Option<Source> {
        self.all.iter().find_map(|o| match o {
            Opt::Source { source, .. } => Some(*source),
            _ => None,
        })
    }

    /// Whether `one_time` was given.
    pub(crate) fn one_time(&self) -> bool {
        self.all.iter().any(|o| matches!(o, Opt::OneTime { .. }))
    }
}

/// The name in `candidates` closest to `given`, if close enough to be a
/// misspelling of it.
pub(crate) fn closest<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let given = given.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(&given, c), c))
        .filter(|(d, c)| *d <= 2 && *d < c.len().max(given.len()) / 2 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> syn::Result<Options> {
        syn::parse2(tokens)
    }

    fn error(tokens: TokenStream) -> String {
        match parse(tokens) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn options_parse() {
        let o = parse(quote!(action = "a", source = "cookie", one_time,)).expect("parse");
        assert_eq!(o.action().map(LitStr::value).as_deref(), Some("a"));
        assert_eq!(o.source(), Some(Source::Cookie));
        assert!(o.one_time());
        assert_eq!(o.all.len(), 3);

        let empty = parse(quote!()).expect("parse");
        assert!(empty.all.is_empty() && empty.action().is_none() && !empty.one_time());
    }

    #[test]
    fn unknown_names_are_kept_for_the_checks() {
        let o = parse(quote!(actoin = "x", type, r#fn, source = "form")).expect("parse");
        let names: Vec<String> = o.all.iter().map(Opt::name).collect();
        assert_eq!(names, ["actoin", "type", "fn", "source"]);
        assert_eq!(o.all[0].to_token_stream().to_string(), "actoin = \"x\"");
    }

    #[test]
    fn value_types_are_checked() {
        assert_eq!(
            error(quote!(action = 5)),
            "`action` takes a string literal: `action = \"delete-account\"`"
        );
        assert_eq!(
            error(quote!(source = header)),
            "`source` takes a string literal: `source = \"header\"`"
        );
        assert_eq!(
            error(quote!(action)),
            "`action` needs a value: `action = \"delete-account\"`"
        );
        assert_eq!(
            error(quote!(source = "query")),
            "unknown source \"query\": expected \"header\", \"form\" or \"cookie\""
        );
        assert_eq!(
            error(quote!(source = "headers")),
            "unknown source \"headers\": expected \"header\", \"form\" or \"cookie\"; \
             did you mean \"header\"?"
        );
        assert!(error(quote!(one_time = true)).starts_with("`one_time` is a flag"));
    }

    #[test]
    fn syntax_errors_name_what_was_expected() {
        assert_eq!(
            error(quote!("action")),
            "expected one of: `action`, `source`, `one_time`"
        );
        assert_eq!(error(quote!(action "x")), "expected `=`");
        assert_eq!(error(quote!(one_time one_time)), "expected `,`");
    }

    #[test]
    fn near_misses_are_found() {
        let options = ["action", "source", "one_time"];
        assert_eq!(closest("actoin", options), Some("action"));
        assert_eq!(closest("Action", options), Some("action"));
        assert_eq!(closest("onetime", options), Some("one_time"));
        assert_eq!(closest("sauce", options), Some("source"));
        assert_eq!(closest("x", options), None);
        assert_eq!(closest("method", options), None);
        assert_eq!(strsim::levenshtein("action", "actoin"), 2);
        assert_eq!(strsim::levenshtein("", "abc"), 3);
    }
}
