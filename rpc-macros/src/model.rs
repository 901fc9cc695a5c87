//! The parsed interface, validated, with every error at the user's own span.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ItemTrait, LitStr, Pat, PathArguments, ReturnType,
    TraitItem, TraitItemFn, Type, Visibility, spanned::Spanned,
};

/// `rpc_core::reflect::DESCRIBE_METHOD`: calls of it never reach the object, so a method of
/// that name could never be called.
const RESERVED_DESCRIBE: &str = "__describe__";

pub(crate) struct Interface {
    pub(crate) item: ItemTrait,
    pub(crate) methods: Vec<Method>,
}

pub(crate) struct Method {
    pub(crate) ident: Ident,
    pub(crate) wire_name: String,
    pub(crate) docs: Vec<Attribute>,
    pub(crate) args: Vec<(Ident, Type)>,
    pub(crate) ok: Type,
    pub(crate) err: Type,
    pub(crate) output: Type,
}

impl Interface {
    pub(crate) fn parse(mut item: ItemTrait) -> syn::Result<Self> {
        if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
            return Err(syn::Error::new_spanned(
                &item.generics,
                "#[rpc_interface] traits cannot be generic",
            ));
        }
        let mut methods = Vec::new();
        let mut errors: Option<syn::Error> = None;
        for trait_item in &mut item.items {
            let result = match trait_item {
                TraitItem::Fn(f) => Method::parse(f),
                other => Err(syn::Error::new_spanned(
                    other,
                    "#[rpc_interface] traits may only contain `async fn` methods",
                )),
            };
            match result {
                Ok(m) => methods.push(m),
                Err(e) => match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                },
            }
        }
        if let Some(e) = errors {
            return Err(e);
        }
        let mut seen = std::collections::HashSet::new();
        for m in &methods {
            if !seen.insert(m.wire_name.clone()) {
                return Err(syn::Error::new_spanned(
                    &m.ident,
                    format!("two methods share the wire name `{}`", m.wire_name),
                ));
            }
        }
        Ok(Interface { item, methods })
    }

    pub(crate) fn name(&self) -> &Ident {
        &self.item.ident
    }

    pub(crate) fn vis(&self) -> &Visibility {
        &self.item.vis
    }

    pub(crate) fn server_ident(&self) -> Ident {
        format_ident!("{}Server", self.item.ident)
    }

    pub(crate) fn client_ident(&self) -> Ident {
        format_ident!("{}Client", self.item.ident)
    }

    /// The trait as users implement it: each `async fn` becomes a method returning a `Send`
    /// future, so an implementation with plain `async fn`s is checked to be `Send`.
    pub(crate) fn trait_definition(&self) -> TokenStream {
        let mut item = self.item.clone();
        item.supertraits
            .push(syn::parse_quote!(::core::marker::Send));
        item.supertraits
            .push(syn::parse_quote!(::core::marker::Sync));
        item.supertraits.push(syn::parse_quote!('static));
        for (trait_item, method) in item.items.iter_mut().zip(&self.methods) {
            if let TraitItem::Fn(f) = trait_item {
                f.attrs.retain(|a| !a.path().is_ident("rpc"));
                f.sig.asyncness = None;
                let output = &method.output;
                f.sig.output = syn::parse_quote_spanned! {output.span()=>
                    -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
                };
            }
        }
        let checks = self.methods.iter().map(Method::type_checks);
        quote! {
            #item
            const _: fn() = || { #(#checks)* };
        }
    }
}

impl Method {
    fn parse(f: &TraitItemFn) -> syn::Result<Self> {
        let sig = &f.sig;
        if sig.asyncness.is_none() {
            return Err(syn::Error::new_spanned(
                sig.fn_token,
                "#[rpc_interface] methods must be `async fn`",
            ));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            return Err(syn::Error::new_spanned(
                &sig.generics,
                "#[rpc_interface] methods cannot be generic: the wire has no types to pick from",
            ));
        }
        if let Some(v) = &sig.variadic {
            return Err(syn::Error::new_spanned(
                v,
                "variadic methods are not supported",
            ));
        }
        if let Some(body) = &f.default {
            return Err(syn::Error::new_spanned(
                body,
                "#[rpc_interface] methods cannot have a default body",
            ));
        }
        let mut inputs = sig.inputs.iter();
        match inputs.next() {
            Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_none() => {}
            Some(other @ FnArg::Receiver(_)) => {
                return Err(syn::Error::new_spanned(
                    other,
                    "#[rpc_interface] methods take `&self`: calls run concurrently on a shared object",
                ));
            }
            _ => {
                return Err(syn::Error::new(
                    sig.paren_token.span.join(),
                    "#[rpc_interface] methods take `&self` as their first parameter",
                ));
            }
        }
        let mut args = Vec::new();
        for input in inputs {
            let FnArg::Typed(pt) = input else {
                unreachable!("only the first parameter can be a receiver")
            };
            let Pat::Ident(pi) = &*pt.pat else {
                return Err(syn::Error::new_spanned(
                    &pt.pat,
                    "#[rpc_interface] arguments must be plain names",
                ));
            };
            if let Type::Reference(r) = &*pt.ty {
                return Err(syn::Error::new_spanned(
                    r,
                    "#[rpc_interface] arguments must be owned types (they arrive over the wire)",
                ));
            }
            if let Type::ImplTrait(t) = &*pt.ty {
                return Err(syn::Error::new_spanned(
                    t,
                    "#[rpc_interface] arguments cannot be `impl Trait`",
                ));
            }
            args.push((pi.ident.clone(), (*pt.ty).clone()));
        }
        let (ok, err, output) = parse_result(&sig.output, sig.ident.span())?;
        let wire_name = match rename(&f.attrs)? {
            Some(name) => name,
            None => camel_case(&sig.ident.to_string()),
        };
        if wire_name == RESERVED_DESCRIBE {
            return Err(syn::Error::new_spanned(
                &sig.ident,
                "`__describe__` is reserved: Capstan answers it with the interface's description \
                 (see `rpc_core::reflect`)",
            ));
        }
        Ok(Method {
            ident: sig.ident.clone(),
            wire_name,
            docs: f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
            args,
            ok,
            err,
            output,
        })
    }

    /// Assertions placed at the user's types, so a type that cannot travel is reported there.
    fn type_checks(&self) -> TokenStream {
        let args = self.args.iter().map(|(_, ty)| {
            quote_spanned! {ty.span()=> ::rpc_core::__private::assert_arg::<#ty>(); }
        });
        let (ok, err) = (&self.ok, &self.err);
        let result = quote_spanned! {self.output.span()=>
            ::rpc_core::__private::assert_result::<#ok, #err>();
        };
        quote! { #(#args)* #result }
    }
}

fn parse_result(output: &ReturnType, fallback: Span) -> syn::Result<(Type, Type, Type)> {
    let ReturnType::Type(_, ty) = output else {
        return Err(syn::Error::new(
            fallback,
            "#[rpc_interface] methods must return `Result<T, E>`: a call can always fail",
        ));
    };
    let not_result = || {
        syn::Error::new_spanned(
            ty,
            "#[rpc_interface] methods must return `Result<T, E>`: a call can always fail",
        )
    };
    let Type::Path(tp) = &**ty else {
        return Err(not_result());
    };
    let last = tp.path.segments.last().ok_or_else(not_result)?;
    if last.ident != "Result" {
        return Err(not_result());
    }
    let PathArguments::AngleBracketed(generic) = &last.arguments else {
        return Err(not_result());
    };
    let types: Vec<&Type> = generic
        .args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [ok, err] => Ok(((*ok).clone(), (*err).clone(), (**ty).clone())),
        _ => Err(not_result()),
    }
}

fn rename(attrs: &[Attribute]) -> syn::Result<Option<String>> {
    let mut name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("rpc")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                let lit: LitStr = meta.value()?.parse()?;
                name = Some(lit.value());
                Ok(())
            } else {
                Err(meta.error("unknown #[rpc] option; expected `name = \"…\"`"))
            }
        })?;
    }
    Ok(name)
}

/// `make_counter` → `makeCounter`, the JavaScript convention.
pub(crate) fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for (i, c) in name.trim_start_matches("r#").chars().enumerate() {
        if c == '_' && i > 0 {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_reserved_describe_method_cannot_be_declared() {
        // (`fn __describe__` itself goes on the wire as `_Describe`, so only a rename can.)
        let item = syn::parse_quote! {
            trait T {
                #[rpc(name = "__describe__")]
                async fn what(&self) -> Result<(), E>;
            }
        };
        let error = super::Interface::parse(item).err().expect("rejected");
        assert!(error.to_string().contains("`__describe__` is reserved"));
    }

    #[test]
    fn camel_case() {
        assert_eq!(super::camel_case("make_counter"), "makeCounter");
        assert_eq!(super::camel_case("square"), "square");
        assert_eq!(
            super::camel_case("call_function_twice"),
            "callFunctionTwice"
        );
    }
}
