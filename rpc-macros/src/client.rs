//! `FooClient`: a typed stub, which also implements the trait.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::Interface;

pub(crate) fn expand(interface: &Interface) -> TokenStream {
    let name = interface.name();
    let vis = interface.vis();
    let client = interface.client_ident();
    let server = interface.server_ident();
    let name_str = name.to_string();
    let description = crate::describe::description(interface);
    let description_doc = format!(
        "What [`{name}`] offers: its doc comments, and each method's wire name, parameters and \
         types as written. Servers answer a peer's reserved `__describe__` call with it (see \
         `rpc_core::reflect`)."
    );
    let doc = format!(
        "A typed stub for a [`{name}`], usually remote.\n\n\
         Its methods send the call at once and return a promise: await it for the result, or \
         call methods on it to pipeline. It also implements [`{name}`]."
    );
    let inherent = interface.methods.iter().map(|m| {
        let (method, wire, docs, ok) = (&m.ident, &m.wire_name, &m.docs, &m.ok);
        let params = m
            .args
            .iter()
            .map(|(n, ty)| quote!(#n: impl ::rpc_core::__private::IntoArg<#ty>));
        let values = m
            .args
            .iter()
            .map(|(n, _)| quote!(::rpc_core::__private::IntoArg::into_arg(#n)));
        quote! {
            #(#docs)*
            #vis fn #method(&self, #(#params),*) -> ::rpc_core::__private::RpcPromise<#ok> {
                ::rpc_core::__private::call(&self.0, #wire, [#(#values),*])
            }
        }
    });
    let trait_methods = interface.methods.iter().map(|m| {
        let (method, output) = (&m.ident, &m.output);
        let params = m.args.iter().map(|(n, ty)| quote!(#n: #ty));
        let names = m.args.iter().map(|(n, _)| n);
        // Spanned so that an error type that cannot convert is reported at the user's type.
        let body = quote_spanned! {output.span()=>
            ::rpc_core::__private::finish(#client::#method(self, #(#names),*))
        };
        quote! {
            fn #method(&self, #(#params),*)
                -> impl ::core::future::Future<Output = #output> + ::core::marker::Send
            {
                #body
            }
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        #vis struct #client(::rpc_core::__private::Stub);

        impl #client {
            #[doc = #description_doc]
            #vis const DESCRIPTION: &'static ::rpc_core::__private::InterfaceDescription =
                #description;

            /// Wraps a local implementation, to pass it to peers by reference.
            #vis fn local(inner: impl #name) -> Self {
                #client(::rpc_core::__private::Stub::new(#server::new(inner)))
            }

            #(#inherent)*
        }

        impl #name for #client {
            #(#trait_methods)*
        }

        impl ::rpc_core::__private::TypedStub for #client {
            const INTERFACE: &'static str = #name_str;
            fn from_stub(stub: ::rpc_core::__private::Stub) -> Self {
                #client(stub)
            }
            fn as_stub(&self) -> &::rpc_core::__private::Stub {
                &self.0
            }
        }

        impl ::core::convert::From<#client> for ::rpc_core::__private::Stub {
            fn from(client: #client) -> Self {
                client.0
            }
        }

        impl<T: #name> ::core::convert::From<#server<T>> for #client {
            fn from(server: #server<T>) -> Self {
                #client(::rpc_core::__private::Stub::new(server))
            }
        }

        impl ::rpc_core::__private::serde::Serialize for #client {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: ::rpc_core::__private::serde::Serializer,
            {
                ::rpc_core::__private::serde::Serialize::serialize(&self.0, serializer)
            }
        }

        impl<'de> ::rpc_core::__private::serde::Deserialize<'de> for #client {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: ::rpc_core::__private::serde::Deserializer<'de>,
            {
                <::rpc_core::__private::Stub as ::rpc_core::__private::serde::Deserialize>
                    ::deserialize(deserializer)
                    .map(#client)
            }
        }
    }
}
