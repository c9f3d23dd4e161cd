//! Stage 2: the annotated item, as a handler the checks and the codegen
//! understand.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote};
use syn::{
    Attribute, Block, FnArg, Ident, Item, Receiver, ReturnType, Signature, Type, Visibility,
};

use crate::attr::Macro;

/// A handler fn, taken apart.
pub(crate) struct Handler {
    /// Doc comments, route macros and any other attributes, kept as is.
    pub(crate) attrs: Vec<Attribute>,
    /// Kept as is.
    pub(crate) vis: Visibility,
    /// Name, generics, arguments and `async`; the output is in `output`.
    pub(crate) sig: Signature,
    /// The original body.
    pub(crate) block: Box<Block>,
    /// What the original body evaluates to.
    pub(crate) output: Output,
}

/// The handler's declared return type.
pub(crate) enum Output {
    /// No `->`: the body evaluates to `()`.
    Unit,
    /// A type that can be written in a `let` (so it can guide `?`).
    Named(Type),
    /// A type containing `impl Trait`, such as `impl Responder`, which
    /// only the compiler can name.
    Opaque(Type),
}

impl Output {
    fn new(output: &ReturnType) -> Self {
        match output {
            ReturnType::Default => Output::Unit,
            ReturnType::Type(_, ty) if has_impl_trait(&ty.to_token_stream()) => {
                Output::Opaque((**ty).clone())
            }
            ReturnType::Type(_, ty) => Output::Named((**ty).clone()),
        }
    }

    /// The type, `()` when none was written.
    pub(crate) fn ty(&self) -> TokenStream {
        match self {
            Output::Unit => quote!(()),
            Output::Named(ty) | Output::Opaque(ty) => ty.to_token_stream(),
        }
    }
}

/// Whether `impl` appears anywhere in the type (`impl Responder`,
/// `Result<impl Responder, E>`, `(impl A, impl B)`).
fn has_impl_trait(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => ident == "impl",
        TokenTree::Group(group) => has_impl_trait(&group.stream()),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}

impl Handler {
    /// Takes `item` apart; anything but a fn with a body is an error at
    /// the item's keyword.
    pub(crate) fn parse(which: Macro, item: TokenStream) -> syn::Result<Self> {
        match syn::parse2::<Item>(item) {
            Ok(Item::Fn(f)) => Ok(Handler {
                output: Output::new(&f.sig.output),
                attrs: f.attrs,
                vis: f.vis,
                sig: f.sig,
                block: f.block,
            }),
            Ok(other) => {
                let (what, tokens) = describe(&other);
                Err(syn::Error::new_spanned(
                    tokens,
                    format!(
                        "#[{}] goes on an `async fn` handler, not on {what}",
                        which.name()
                    ),
                ))
            }
            Err(e) => {
                let mut err = syn::Error::new(
                    e.span(),
                    format!("#[{}] goes on an `async fn` handler", which.name()),
                );
                err.combine(e);
                Err(err)
            }
        }
    }

    /// `self`, `&self` or `&mut self`, if the fn is a method.
    pub(crate) fn receiver(&self) -> Option<&Receiver> {
        self.sig.inputs.iter().find_map(|arg| match arg {
            FnArg::Receiver(r) => Some(r),
            FnArg::Typed(_) => None,
        })
    }

    /// The types of the typed arguments, `self` excluded.
    pub(crate) fn arg_types(&self) -> impl Iterator<Item = &Type> {
        self.sig.inputs.iter().filter_map(|arg| match arg {
            FnArg::Typed(pt) => Some(&*pt.ty),
            FnArg::Receiver(_) => None,
        })
    }
}

/// A keyword and a name, to point at both.
fn pair(keyword: &impl ToTokens, name: &Ident) -> TokenStream {
    quote!(#keyword #name)
}

/// What the item is, and the tokens to point at (its keyword and name).
fn describe(item: &Item) -> (&'static str, TokenStream) {
    match item {
        Item::Struct(i) => ("a struct", pair(&i.struct_token, &i.ident)),
        Item::Enum(i) => ("an enum", pair(&i.enum_token, &i.ident)),
        Item::Union(i) => ("a union", pair(&i.union_token, &i.ident)),
        Item::Const(i) => ("a const", pair(&i.const_token, &i.ident)),
        Item::Static(i) => ("a static", pair(&i.static_token, &i.ident)),
        Item::Type(i) => ("a type alias", pair(&i.type_token, &i.ident)),
        Item::Trait(i) => ("a trait", pair(&i.trait_token, &i.ident)),
        Item::Mod(i) => ("a module", pair(&i.mod_token, &i.ident)),
        Item::Impl(i) => ("an impl block", i.impl_token.to_token_stream()),
        Item::Use(i) => ("a `use`", i.use_token.to_token_stream()),
        Item::ExternCrate(i) => ("an `extern crate`", i.crate_token.to_token_stream()),
        Item::ForeignMod(i) => ("an `extern` block", i.abi.to_token_stream()),
        Item::Macro(i) => ("a macro", i.mac.path.to_token_stream()),
        // A fn without a body, a trait alias, ...
        other => ("this item", other.to_token_stream()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler(tokens: TokenStream) -> Handler {
        match Handler::parse(Macro::HandleToken, tokens) {
            Ok(h) => h,
            Err(e) => panic!("not a handler: {e}"),
        }
    }

    fn error(tokens: TokenStream) -> String {
        match Handler::parse(Macro::SendToken, tokens) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn fn_is_taken_apart() {
        let h = handler(quote! {
            /// Docs.
            #[post("/x")]
            pub async fn f<T: Clone>(mut a: A, web::Form(f): web::Form<T>) -> HttpResponse { a }
        });
        assert_eq!(h.attrs.len(), 2);
        assert!(matches!(h.vis, Visibility::Public(_)));
        assert_eq!(h.sig.ident, "f");
        assert_eq!(h.sig.generics.params.len(), 1);
        assert!(h.receiver().is_none());
        assert_eq!(h.arg_types().count(), 2);
        assert!(matches!(h.output, Output::Named(_)));
        assert_eq!(h.output.ty().to_string(), "HttpResponse");
    }

    #[test]
    fn outputs_are_classified() {
        let kind = |tokens| match handler(tokens).output {
            Output::Unit => "unit",
            Output::Named(_) => "named",
            Output::Opaque(_) => "opaque",
        };
        assert_eq!(
            kind(quote!(
                async fn f() {}
            )),
            "unit"
        );
        assert_eq!(
            kind(quote!(
                async fn f() -> Result<R, E> {}
            )),
            "named"
        );
        assert_eq!(
            kind(quote!(
                async fn f() -> impl Responder {}
            )),
            "opaque"
        );
        assert_eq!(
            kind(quote!(
                async fn f() -> Result<impl R, E> {}
            )),
            "opaque"
        );
        assert_eq!(
            kind(quote!(
                async fn f() -> (u8, impl R) {}
            )),
            "opaque"
        );
        assert_eq!(
            handler(quote!(
                async fn f() {}
            ))
            .output
            .ty()
            .to_string(),
            "()"
        );
    }

    #[test]
    fn methods_are_seen() {
        let h = handler(quote!(
            async fn f(&self, a: A) {}
        ));
        assert!(h.receiver().is_some());
        assert_eq!(h.arg_types().count(), 1);
    }

    #[test]
    fn other_items_are_refused() {
        assert_eq!(
            error(quote!(
                struct S;
            )),
            "#[send_token] goes on an `async fn` handler, not on a struct"
        );
        assert_eq!(
            error(quote!(impl S {})),
            "#[send_token] goes on an `async fn` handler, not on an impl block"
        );
        assert_eq!(
            error(quote!(
                const C: u8 = 1;
            )),
            "#[send_token] goes on an `async fn` handler, not on a const"
        );
        assert_eq!(
            error(quote!(
                async fn f();
            )),
            "#[send_token] goes on an `async fn` handler, not on this item"
        );
    }
}
