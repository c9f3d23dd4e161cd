//! Stage 3: checks of the options and the handler, each spanned at the
//! offending tokens. All problems are reported at once.

use proc_macro2::Span;
use quote::ToTokens;
use syn::Type;

use crate::ast::Handler;
use crate::attr::{Macro, Opt, Options, closest};

/// Collects errors, combining them into one.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn spanned(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Checks that `which` can be applied with `opts` to `handler`.
pub(crate) fn check(which: Macro, opts: &Options, handler: &Handler) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_options(which, opts, &mut errors);
    check_handler(which, handler, &mut errors);
    errors.finish()
}

fn check_options(which: Macro, opts: &Options, errors: &mut Errors) {
    let mut seen: Vec<&Opt> = Vec::new();
    for opt in &opts.all {
        let name = opt.name();
        if let Opt::Unknown { name: ident, .. } = opt {
            errors.spanned(ident, unknown(which, &name));
            continue;
        }
        if !which.options().contains(&name.as_str()) {
            errors.spanned(opt, not_applicable(which, &name));
            continue;
        }
        if let Some(first) = seen.iter().find(|o| o.name() == name) {
            let mut error = syn::Error::new_spanned(opt, format!("duplicate option `{name}`"));
            error.combine(syn::Error::new(
                first.name_span(),
                format!("`{name}` is first given here"),
            ));
            errors.push(error);
            continue;
        }
        seen.push(opt);
    }
}

/// The message for an unknown option, with a "did you mean" when a
/// known option is close.
fn unknown(which: Macro, given: &str) -> String {
    if let Some(close) = closest(given, which.options().iter().copied()) {
        return format!("unknown option `{given}`; did you mean `{close}`?");
    }
    let all = Macro::ALL.iter().flat_map(|m| m.options().iter().copied());
    if let Some(close) = closest(given, all) {
        return format!(
            "unknown option `{given}`; did you mean `{close}`? It is an option of `#[{}]` only",
            owner(close)
        );
    }
    format!("unknown option `{given}`; {}", takes(which))
}

/// The message for a known option given to the macro that lacks it.
fn not_applicable(which: Macro, given: &str) -> String {
    format!(
        "`{given}` is an option of `#[{}]`, not of `#[{}]`; {}",
        owner(given),
        which.name(),
        takes(which)
    )
}

/// The name of the macro that has the known option `option`.
fn owner(option: &str) -> &'static str {
    Macro::ALL
        .iter()
        .find(|m| m.options().contains(&option))
        .map_or("", |m| m.name())
}

/// "`#[send_token]` takes `action`", listing the macro's options.
fn takes(which: Macro) -> String {
    let names: Vec<String> = which.options().iter().map(|o| format!("`{o}`")).collect();
    let list = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    };
    format!("`#[{}]` takes {list}", which.name())
}

fn check_handler(which: Macro, h: &Handler, errors: &mut Errors) {
    let name = which.name();
    if h.sig.asyncness.is_none() {
        errors.spanned(
            h.sig.fn_token,
            format!("`#[{name}]` needs an `async fn` handler: add `async` before `fn`"),
        );
    }
    if let Some(receiver) = h.receiver() {
        errors.spanned(
            receiver,
            format!(
                "`#[{name}]` goes on a free handler fn, not on a method taking `self`: \
                 actix-web calls handlers with extractors only"
            ),
        );
    }
    if let Some(again) = h.attrs.iter().find(|a| {
        a.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == which.name())
    }) {
        errors.spanned(again, format!("`#[{name}]` is given twice on this handler"));
    }
    if which == Macro::HandleToken
        && let Some(ty) = h.arg_types().find(|t| is_valid_xsrf(t))
    {
        let mut error = syn::Error::new_spanned(
            ty,
            "this handler already takes `ValidXsrf`, which checks the token",
        );
        error.combine(syn::Error::new(
            Span::call_site(),
            "remove either `#[handle_token]` or the `ValidXsrf` argument",
        ));
        errors.push(error);
    }
}

/// Whether the type is `ValidXsrf` by any path (`xsrf_actix::ValidXsrf`).
fn is_valid_xsrf(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "ValidXsrf"),
        Type::Paren(p) => is_valid_xsrf(&p.elem),
        Type::Group(g) => is_valid_xsrf(&g.elem),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    /// The messages of every error, in order.
    fn messages(which: Macro, args: TokenStream, item: TokenStream) -> Vec<String> {
        let opts: Options = match syn::parse2(args) {
            Ok(o) => o,
            Err(e) => return vec![format!("parse: {e}")],
        };
        let handler = match Handler::parse(which, item) {
            Ok(h) => h,
            Err(e) => return vec![format!("item: {e}")],
        };
        match check(which, &opts, &handler) {
            Ok(()) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn handler() -> TokenStream {
        quote!(
            async fn f() {}
        )
    }

    #[test]
    fn good_uses_pass() {
        let all = quote!(action = "a", source = "form", one_time);
        assert!(messages(Macro::HandleToken, all, handler()).is_empty());
        assert!(messages(Macro::SendToken, quote!(action = "a"), handler()).is_empty());
        let item = quote!(
            async fn f<T>(mut a: web::Form<T>, xsrf::XsrfToken(t): X) -> u8 {
                1
            }
        );
        assert!(messages(Macro::HandleToken, quote!(), item).is_empty());
    }

    #[test]
    fn unknown_options_get_hints() {
        assert_eq!(
            messages(Macro::HandleToken, quote!(actoin = "x"), handler()),
            ["unknown option `actoin`; did you mean `action`?"]
        );
        assert_eq!(
            messages(Macro::SendToken, quote!(onetime), handler()),
            ["unknown option `onetime`; did you mean `one_time`? \
                 It is an option of `#[handle_token]` only"]
        );
        assert_eq!(
            messages(Macro::HandleToken, quote!(method = "POST"), handler()),
            ["unknown option `method`; \
                 `#[handle_token]` takes `action`, `source` and `one_time`"]
        );
    }

    #[test]
    fn options_of_the_other_macro_are_refused() {
        assert_eq!(
            messages(Macro::SendToken, quote!(one_time), handler()),
            [
                "`one_time` is an option of `#[handle_token]`, not of `#[send_token]`; \
                 `#[send_token]` takes `action`"
            ]
        );
        assert_eq!(
            messages(Macro::SendToken, quote!(source = "form"), handler()).len(),
            1
        );
    }

    #[test]
    fn duplicates_point_at_both() {
        assert_eq!(
            messages(Macro::HandleToken, quote!(one_time, one_time), handler()),
            [
                "duplicate option `one_time`",
                "`one_time` is first given here"
            ]
        );
    }

    #[test]
    fn handler_misuse_is_explained() {
        let sync = messages(
            Macro::SendToken,
            quote!(),
            quote!(
                fn f() {}
            ),
        );
        assert_eq!(
            sync,
            ["`#[send_token]` needs an `async fn` handler: add `async` before `fn`"]
        );
        let method = messages(
            Macro::HandleToken,
            quote!(),
            quote!(
                async fn f(&self) {}
            ),
        );
        assert!(method[0].contains("not on a method taking `self`"));
        let twice = messages(
            Macro::HandleToken,
            quote!(),
            quote!(
                #[xsrf_actix::handle_token]
                async fn f() {}
            ),
        );
        assert_eq!(twice, ["`#[handle_token]` is given twice on this handler"]);
    }

    #[test]
    fn valid_xsrf_is_found_by_any_path() {
        for item in [
            quote!(
                async fn f(_: ValidXsrf) {}
            ),
            quote!(
                async fn f(a: A, v: xsrf_actix::ValidXsrf) {}
            ),
            quote!(
                async fn f(_: (::xsrf_actix::ValidXsrf)) {}
            ),
        ] {
            let errors = messages(Macro::HandleToken, quote!(), item);
            assert_eq!(
                errors,
                [
                    "this handler already takes `ValidXsrf`, which checks the token",
                    "remove either `#[handle_token]` or the `ValidXsrf` argument"
                ]
            );
        }
        // `#[send_token]` on a guarded handler is fine.
        let item = quote!(
            async fn f(_: ValidXsrf) {}
        );
        assert!(messages(Macro::SendToken, quote!(), item).is_empty());
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let errors = messages(
            Macro::SendToken,
            quote!(actoin = "x", one_time),
            quote!(
                fn f(&self) {}
            ),
        );
        assert_eq!(errors.len(), 4, "{errors:?}");
    }
}
