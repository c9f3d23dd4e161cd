//! The handler, as the macros see it.

use syn::{FnArg, ItemFn, ReturnType, Type};

/// A handler fn and what the checks need to know about it.
pub(crate) struct Handler {
    pub(crate) item: ItemFn,
}

impl Handler {
    pub(crate) fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<Self> {
        Ok(Self {
            item: syn::parse2(tokens)?,
        })
    }

    /// The declared return type, `()` when none is written.
    pub(crate) fn output(&self) -> Type {
        match &self.item.sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        }
    }

    /// The types of the typed arguments (`self` excluded).
    pub(crate) fn arg_types(&self) -> impl Iterator<Item = &Type> {
        self.item.sig.inputs.iter().filter_map(|a| match a {
            FnArg::Typed(pt) => Some(&*pt.ty),
            FnArg::Receiver(_) => None,
        })
    }
}
