//! Parsing the attribute's options.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// Which macro is being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Macro {
    SendToken,
    HandleToken,
}

impl Macro {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Macro::SendToken => "send_token",
            Macro::HandleToken => "handle_token",
        }
    }

    fn options(self) -> &'static [&'static str] {
        match self {
            Macro::SendToken => &["action"],
            Macro::HandleToken => &["action", "source", "one_time"],
        }
    }
}

/// Where `#[handle_token(source = ..)]` reads the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Header,
    Form,
    Cookie,
}

/// The parsed options, each with the span of its name for error messages.
#[derive(Default)]
pub(crate) struct Options {
    pub(crate) action: Option<(Span, LitStr)>,
    pub(crate) source: Option<(Span, Source)>,
    pub(crate) one_time: Option<Span>,
}

/// One `name` or `name = "value"`, as written.
struct Raw {
    name: Ident,
    value: Option<syn::Expr>,
}

impl Parse for Raw {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let lookahead = input.lookahead1();
        let value = if lookahead.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            Some(input.parse()?)
        } else if input.is_empty() || lookahead.peek(Token![,]) {
            None
        } else {
            return Err(lookahead.error());
        };
        Ok(Raw { name, value })
    }
}

/// Parses `args` for `which`, checking names, types and duplicates.
pub(crate) fn parse(which: Macro, args: proc_macro2::TokenStream) -> syn::Result<Options> {
    let raws = syn::parse::Parser::parse2(
        syn::punctuated::Punctuated::<Raw, Token![,]>::parse_terminated,
        args,
    )?;
    let mut opts = Options::default();
    for raw in raws {
        let name = raw.name.to_string();
        let span = raw.name.span();
        if !which.options().contains(&name.as_str()) {
            return Err(unknown(which, &raw.name));
        }
        let seen = match name.as_str() {
            "action" => opts.action.is_some(),
            "source" => opts.source.is_some(),
            _ => opts.one_time.is_some(),
        };
        if seen {
            return Err(syn::Error::new(span, format!("duplicate option `{name}`")));
        }
        match (name.as_str(), raw.value) {
            ("action", Some(v)) => opts.action = Some((span, string(&name, v)?)),
            ("source", Some(v)) => {
                let lit = string(&name, v)?;
                let source = match lit.value().as_str() {
                    "header" => Source::Header,
                    "form" => Source::Form,
                    "cookie" => Source::Cookie,
                    _ => {
                        return Err(syn::Error::new_spanned(
                            &lit,
                            "unknown source: expected \"header\", \"form\" or \"cookie\"",
                        ));
                    }
                };
                opts.source = Some((span, source));
            }
            ("one_time", None) => opts.one_time = Some(span),
            ("one_time", Some(v)) => {
                return Err(syn::Error::new_spanned(
                    v,
                    "`one_time` is a flag: write `#[handle_token(one_time)]`",
                ));
            }
            (_, None) => {
                return Err(syn::Error::new(
                    span,
                    format!("`{name}` needs a value: `{name} = \"...\"`"),
                ));
            }
            _ => return Err(unknown(which, &raw.name)),
        }
    }
    Ok(opts)
}

fn string(name: &str, v: syn::Expr) -> syn::Result<LitStr> {
    match v {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{name}` takes a string literal: `{name} = \"...\"`"),
        )),
    }
}

fn unknown(which: Macro, name: &Ident) -> syn::Error {
    let given = name.to_string();
    let all = [Macro::SendToken, Macro::HandleToken];
    let elsewhere = all
        .iter()
        .find(|m| **m != which && m.options().contains(&given.as_str()));
    let hint = if let Some(other) = elsewhere {
        format!(
            "`{given}` is an option of `#[{}]`, not of `#[{}]`",
            other.name(),
            which.name()
        )
    } else if let Some(close) = which
        .options()
        .iter()
        .find(|o| edit_distance(o, &given) <= 2)
    {
        format!("unknown option `{given}`; did you mean `{close}`?")
    } else {
        format!(
            "unknown option `{given}`; `#[{}]` takes: {}",
            which.name(),
            which.options().join(", ")
        )
    };
    syn::Error::new(name.span(), hint)
}

/// Levenshtein distance, for "did you mean" hints on short option names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn options_parse() {
        let o = parse(
            Macro::HandleToken,
            quote!(action = "a", source = "cookie", one_time),
        )
        .expect("parse");
        assert_eq!(o.action.map(|(_, l)| l.value()), Some("a".to_owned()));
        assert_eq!(o.source.map(|(_, s)| s), Some(Source::Cookie));
        assert!(o.one_time.is_some());
        assert!(parse(Macro::SendToken, quote!()).is_ok());
    }

    #[test]
    fn misuse_is_explained() {
        let msg = |m, t| parse(m, t).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            msg(Macro::HandleToken, quote!(actoin = "x")),
            "unknown option `actoin`; did you mean `action`?"
        );
        assert_eq!(
            msg(Macro::SendToken, quote!(one_time)),
            "`one_time` is an option of `#[handle_token]`, not of `#[send_token]`"
        );
        assert_eq!(
            msg(Macro::HandleToken, quote!(action = "a", action = "b")),
            "duplicate option `action`"
        );
        assert!(msg(Macro::HandleToken, quote!(action = 5)).contains("string literal"));
        assert!(msg(Macro::HandleToken, quote!(source = "query")).contains("\"header\""));
        assert_eq!(edit_distance("action", "actoin"), 2);
    }
}
