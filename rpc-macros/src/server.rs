//! `FooServer<T>`: serves any implementation of the trait.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::Interface;

pub(crate) fn expand(interface: &Interface) -> TokenStream {
    let name = interface.name();
    let vis = interface.vis();
    let server = interface.server_ident();
    let client = interface.client_ident();
    let name_str = name.to_string();
    let doc = format!("Serves a [`{name}`] implementation to peers.");
    let arms = interface.methods.iter().map(|m| {
        let method = &m.ident;
        let wire = &m.wire_name;
        let names = m.args.iter().map(|(n, _)| n);
        let decls = m.args.iter().map(|(n, ty)| {
            let label = n.to_string();
            quote! { let #n: #ty = args.next(#label)?; }
        });
        let respond = quote_spanned! {m.output.span()=>
            ::rpc_core::__private::respond(self.0.#method(#(#names),*).await)
        };
        quote! {
            #wire => ::std::boxed::Box::pin(async move {
                let mut args = ::rpc_core::__private::Args::new(#wire, args);
                #(#decls)*
                #respond
            }),
        }
    });
    quote! {
        #[doc = #doc]
        #vis struct #server<T>(::std::sync::Arc<T>);

        impl<T: #name> #server<T> {
            /// What the interface offers (the same as the client's `DESCRIPTION`).
            #vis const DESCRIPTION: &'static ::rpc_core::__private::InterfaceDescription =
                #client::DESCRIPTION;

            /// Wraps an implementation.
            #vis fn new(inner: T) -> Self {
                #server(::std::sync::Arc::new(inner))
            }

            /// Wraps a shared implementation.
            #vis fn from_arc(inner: ::std::sync::Arc<T>) -> Self {
                #server(inner)
            }

            /// The implementation.
            #vis fn get_ref(&self) -> &::std::sync::Arc<T> {
                &self.0
            }
        }

        impl<T: #name> ::rpc_core::__private::RpcTarget for #server<T> {
            fn call(
                self: ::std::sync::Arc<Self>,
                method: &str,
                args: ::std::vec::Vec<::rpc_core::__private::Value>,
            ) -> ::rpc_core::__private::CallFuture {
                match method {
                    #(#arms)*
                    _ => ::rpc_core::__private::unknown_method(method),
                }
            }

            fn interface_name(&self) -> &'static str {
                #name_str
            }

            fn description(
                &self,
            ) -> ::core::option::Option<&'static ::rpc_core::__private::InterfaceDescription> {
                ::core::option::Option::Some(#client::DESCRIPTION)
            }
        }

        impl<T: #name> ::core::convert::From<#server<T>> for ::rpc_core::__private::Stub {
            fn from(server: #server<T>) -> Self {
                ::rpc_core::__private::Stub::new(server)
            }
        }
    }
}
