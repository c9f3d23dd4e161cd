//! Stage 4: code generation, and the pipeline from tokens to tokens.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use syn::{FnArg, parse_quote};

use crate::ast::{Handler, Output};
use crate::attr::{Macro, Options, Source};
use crate::valid;

/// Parses the options and the item, checks them and expands. On error,
/// emits the original item next to the error, so the compiler reports the
/// misuse and nothing that would follow from a missing handler.
pub(crate) fn run(which: Macro, args: TokenStream, item: TokenStream) -> TokenStream {
    match try_run(which, args, item.clone()) {
        Ok(expanded) => expanded,
        Err(error) => {
            let error = error.into_compile_error();
            quote!(#item #error)
        }
    }
}

fn try_run(which: Macro, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let opts = syn::parse2::<Options>(args);
    let handler = Handler::parse(which, item);
    let (opts, handler) = match (opts, handler) {
        (Ok(opts), Ok(handler)) => (opts, handler),
        (Err(mut a), Err(b)) => {
            a.combine(b);
            return Err(a);
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    valid::check(which, &opts, &handler)?;
    Ok(expand(which, &opts, handler))
}

/// The request argument each macro adds. Distinct names, so both macros
/// can stand on one handler; mixed-site hygiene, so the handler's own code
/// can neither see nor shadow it.
fn request_ident(which: Macro) -> Ident {
    let name = match which {
        Macro::HandleToken => "__xsrf_handle_request",
        Macro::SendToken => "__xsrf_send_request",
    };
    Ident::new(name, Span::mixed_site())
}

/// The original body as a future of the original output. With a nameable
/// return type, the value is annotated, so `?` in the body knows what it
/// converts into, as it would in the original fn.
fn body_future(h: &Handler) -> TokenStream {
    let block = &h.block;
    match &h.output {
        Output::Opaque(_) => quote!(async move #block),
        Output::Unit | Output::Named(_) => {
            let ty = h.output.ty();
            let value = Ident::new("__xsrf_value", Span::mixed_site());
            quote!(async move {
                let #value: #ty = #block;
                #value
            })
        }
    }
}

/// The handler's own arguments, taken out of its signature: as one tuple
/// pattern and one tuple type, or `None` when it has none.
fn take_args(sig: &mut syn::Signature) -> Option<(TokenStream, TokenStream)> {
    let inputs = std::mem::take(&mut sig.inputs);
    let (pats, tys): (Vec<_>, Vec<_>) = inputs
        .into_iter()
        .filter_map(|arg| match arg {
            // Argument attributes cannot stand in a tuple pattern; the
            // checks refused receivers before.
            FnArg::Typed(pt) => Some((pt.pat, pt.ty)),
            FnArg::Receiver(_) => None,
        })
        .unzip();
    (!pats.is_empty()).then(|| (quote!((#(#pats,)*)), quote!((#(#tys,)*))))
}

/// The new fn: the original attributes, visibility, name and generics, the
/// request first; the original body inside.
fn expand(which: Macro, opts: &Options, h: Handler) -> TokenStream {
    let request = request_ident(which);
    let body = body_future(&h);
    let output = h.output.ty();
    let action = opts.action().map(|lit| quote!(.action(#lit)));
    let Handler {
        attrs,
        vis,
        mut sig,
        ..
    } = h;
    let block: TokenStream = match which {
        Macro::HandleToken => {
            let source = opts.source().map(|source| {
                let variant = match source {
                    Source::Header => quote!(Header),
                    Source::Form => quote!(Form),
                    Source::Cookie => quote!(Cookie),
                };
                quote!(.source(::xsrf_actix::Source::#variant))
            });
            let one_time = opts.one_time().then(|| quote!(.one_time()));
            // The handler's arguments are extracted only after the check:
            // a forged request never reaches its extractors.
            let extract = take_args(&mut sig).map(|(pats, tys)| {
                let args = Ident::new("__xsrf_handle_args", Span::mixed_site());
                sig.inputs
                    .push(parse_quote!(#args: ::xsrf_actix::Deferred<#tys>));
                quote!(let #pats = #args.extract().await?;)
            });
            sig.inputs.insert(
                0,
                parse_quote!(#request: ::xsrf_actix::__private::HttpRequest),
            );
            sig.output = parse_quote!(
                -> ::std::result::Result<#output, ::xsrf_actix::__private::Error>
            );
            quote!({
                ::xsrf_actix::Check::new() #action #source #one_time
                    .run(&#request)
                    .await?;
                #extract
                ::std::result::Result::Ok(#body.await)
            })
        }
        Macro::SendToken => {
            sig.inputs.insert(
                0,
                parse_quote!(#request: ::xsrf_actix::__private::HttpRequest),
            );
            let response = Ident::new("__xsrf_response", Span::mixed_site());
            sig.output = parse_quote!(-> ::xsrf_actix::WithToken<#output>);
            quote!({
                let #response = #body.await;
                ::xsrf_actix::WithToken::new(&#request, #response) #action
            })
        }
    };
    quote!(#(#attrs)* #vis #sig #block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::ItemFn;

    fn expanded(which: Macro, args: TokenStream, item: TokenStream) -> ItemFn {
        let tokens = run(which, args, item);
        match syn::parse2(tokens.clone()) {
            Ok(f) => f,
            Err(e) => panic!("not a fn ({e}): {tokens}"),
        }
    }

    fn text(tokens: impl quote::ToTokens) -> String {
        tokens.to_token_stream().to_string()
    }

    #[test]
    fn handle_token_checks_then_runs_the_body() {
        let f = expanded(
            Macro::HandleToken,
            quote!(action = "delete-account", source = "header", one_time),
            quote! {
                /// Docs.
                #[post("/x")]
                pub async fn delete<T>(web::Form(f): web::Form<T>) -> HttpResponse { todo() }
            },
        );
        assert_eq!(f.attrs.len(), 2);
        assert_eq!(text(&f.vis), "pub");
        assert_eq!(text(&f.sig.generics), "< T >");
        let args: Vec<String> = f.sig.inputs.iter().map(text).collect();
        assert_eq!(
            args,
            [
                "__xsrf_handle_request : :: xsrf_actix :: __private :: HttpRequest",
                "__xsrf_handle_args : :: xsrf_actix :: Deferred < (web :: Form < T > ,) >"
            ]
        );
        assert_eq!(
            text(&f.sig.output),
            "-> :: std :: result :: Result < HttpResponse , :: xsrf_actix :: __private :: Error >"
        );
        // The check first, then the handler's own extractors, then its body.
        let body = text(&f.block);
        assert!(
            body.starts_with(
                "{ :: xsrf_actix :: Check :: new () . action (\"delete-account\") \
             . source (:: xsrf_actix :: Source :: Header) . one_time () \
             . run (& __xsrf_handle_request) . await ? ; \
             let (web :: Form (f) ,) = __xsrf_handle_args . extract () . await ? ;"
            ),
            "{body}"
        );
        assert!(body.contains("let __xsrf_value : HttpResponse = { todo () } ;"));
    }

    #[test]
    fn send_token_wraps_the_response() {
        let f = expanded(
            Macro::SendToken,
            quote!(action = "a"),
            quote!(
                async fn page() -> impl Responder {
                    "x"
                }
            ),
        );
        assert!(matches!(f.sig.inputs.first(), Some(syn::FnArg::Typed(_))));
        assert_eq!(
            text(&f.sig.output),
            "-> :: xsrf_actix :: WithToken < impl Responder >"
        );
        assert_eq!(
            text(&f.block),
            "{ let __xsrf_response = async move { \"x\" } . await ; \
             :: xsrf_actix :: WithToken :: new (& __xsrf_send_request , __xsrf_response) \
             . action (\"a\") }"
        );
    }

    #[test]
    fn no_options_no_builder_calls() {
        let f = expanded(
            Macro::HandleToken,
            quote!(),
            quote!(
                async fn f() {}
            ),
        );
        // Nothing to defer: the request is the only argument.
        assert_eq!(f.sig.inputs.len(), 1);
        let body = text(&f.block);
        assert!(body.contains("Check :: new () . run (& __xsrf_handle_request)"));
        assert!(!body.contains("extract"));
        assert!(body.contains("let __xsrf_value : () = { } ;"));
        let f = expanded(
            Macro::SendToken,
            quote!(),
            quote!(
                async fn f() {}
            ),
        );
        assert_eq!(text(&f.sig.output), "-> :: xsrf_actix :: WithToken < () >");
        assert!(
            text(&f.block)
                .ends_with("WithToken :: new (& __xsrf_send_request , __xsrf_response) }")
        );
    }

    #[test]
    fn errors_keep_the_original_item() {
        let item = quote!(
            fn f(&self) -> u8 {
                1
            }
        );
        let out = run(Macro::HandleToken, quote!(action = 5), item.clone()).to_string();
        assert!(out.starts_with(&item.to_string()), "{out}");
        assert!(out.contains("compile_error"));
        // Both a bad option and a bad item are reported.
        let out = run(
            Macro::SendToken,
            quote!(action = 5),
            quote!(
                struct S;
            ),
        )
        .to_string();
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }
}
