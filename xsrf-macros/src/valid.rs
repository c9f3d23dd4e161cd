//! Checks of the handler, each spanned at the offending tokens.

use syn::{FnArg, Type};

use crate::ast::Handler;
use crate::attr::Macro;

pub(crate) fn check(which: Macro, h: &Handler) -> syn::Result<()> {
    let sig = &h.item.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            format!("#[{}] needs an `async fn` handler", which.name()),
        ));
    }
    if let Some(FnArg::Receiver(r)) = sig.inputs.first() {
        return Err(syn::Error::new_spanned(
            r,
            format!(
                "#[{}] works on free handler functions, not on methods taking `self`",
                which.name()
            ),
        ));
    }
    if which == Macro::HandleToken
        && let Some(ty) = h.arg_types().find(|t| is_valid_xsrf(t))
    {
        let mut err = syn::Error::new_spanned(
            ty,
            "this handler already takes `ValidXsrf`, which checks the token",
        );
        err.combine(syn::Error::new_spanned(
            &sig.ident,
            "remove either `#[handle_token]` or the `ValidXsrf` argument",
        ));
        return Err(err);
    }
    Ok(())
}

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
