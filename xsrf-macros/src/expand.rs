//! Code generation.

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse_quote;

use crate::ast::Handler;
use crate::attr::{self, Macro, Options, Source};
use crate::valid;

/// Parses, checks and expands; on error, emits the original item and the
/// error, so the compiler reports only the misuse.
pub(crate) fn run(which: Macro, args: TokenStream, item: TokenStream) -> TokenStream {
    let handler = match Handler::parse(item.clone()) {
        Ok(h) => h,
        Err(e) => {
            let mut err = syn::Error::new(
                e.span(),
                format!("#[{}] goes on an `async fn` handler", which.name()),
            );
            err.combine(e);
            let err = err.to_compile_error();
            return quote!(#err #item);
        }
    };
    let checked = attr::parse(which, args).and_then(|opts| {
        valid::check(which, &handler)?;
        Ok(opts)
    });
    match checked {
        Ok(opts) => expand(which, handler, &opts),
        Err(e) => {
            let err = e.to_compile_error();
            quote!(#err #item)
        }
    }
}

/// The original body as a future. With a nameable return type, the value
/// is annotated so `?` inside the body knows what it returns into.
fn body_future(block: &syn::Block, output: &syn::Type) -> TokenStream {
    let opaque = quote!(#output).into_iter().any(|t| t.to_string() == "impl");
    if opaque {
        quote!(async move #block)
    } else {
        quote!(async move {
            let __xsrf_value: #output = #block;
            __xsrf_value
        })
    }
}

fn expand(which: Macro, h: Handler, opts: &Options) -> TokenStream {
    let output = h.output();
    let mut item = h.item;
    let body = body_future(&item.block, &output);
    // One name per macro, so both can stand on the same handler.
    let req = match which {
        Macro::HandleToken => quote!(__xsrf_handle_request),
        Macro::SendToken => quote!(__xsrf_send_request),
    };
    item.sig
        .inputs
        .insert(0, parse_quote!(#req: ::xsrf_actix::__private::HttpRequest));
    let action = opts.action.as_ref().map(|(_, lit)| quote!(.action(#lit)));
    match which {
        Macro::HandleToken => {
            let source = opts.source.map(|(_, s)| {
                let variant = match s {
                    Source::Header => quote!(Header),
                    Source::Form => quote!(Form),
                    Source::Cookie => quote!(Cookie),
                };
                quote!(.source(::xsrf_actix::Source::#variant))
            });
            let one_time = opts.one_time.map(|_| quote!(.one_time()));
            item.sig.output = parse_quote!(
                -> ::std::result::Result<#output, ::xsrf_actix::XsrfError>
            );
            item.block = parse_quote!({
                ::xsrf_actix::Check::new() #action #source #one_time
                    .run(&#req)
                    .await?;
                ::std::result::Result::Ok(#body.await)
            });
        }
        Macro::SendToken => {
            item.sig.output = parse_quote!(-> ::xsrf_actix::WithToken<#output>);
            item.block = parse_quote!({
                let __xsrf_response = #body.await;
                ::xsrf_actix::WithToken::new(&#req, __xsrf_response) #action
            });
        }
    }
    quote!(#item)
}
