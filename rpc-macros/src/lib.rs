//! The `#[rpc_interface]` attribute macro for Capstan.
//!
//! Use it through `rpc_core::rpc_interface`; the generated code names `::rpc_core` and reaches
//! only its documented `__private` module.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod client;
mod describe;
mod model;
mod server;

use proc_macro::TokenStream;
use quote::quote;

/// Turns a trait of `async fn`s into an RPC interface.
///
/// For `trait Counter` it generates:
/// - the trait itself, with each method returning a `Send` future (implement it with plain
///   `async fn`s);
/// - `CounterServer<T>`, which serves any `T: Counter` to peers;
/// - `CounterClient`, a typed stub for a remote (or local) `Counter`. Its inherent methods
///   return `RpcPromise`s that can be awaited or pipelined, and it also implements `Counter`,
///   so code can be generic over local and remote objects.
/// - `CounterClient::DESCRIPTION` (also `CounterServer::<T>::DESCRIPTION`): the interface's
///   `rpc_core::reflect::InterfaceDescription` (its name, doc comments, and each method's wire
///   name, parameters and types as written), which the server answers peers' reserved
///   `__describe__` calls with.
///
/// Every method takes `&self` and owned serde arguments, and returns `Result<T, E>` where `E`
/// converts to and from `RpcError`. On the wire, method names are camelCase (`make_counter` is
/// `makeCounter`), as JavaScript expects; `#[rpc(name = "…")]` on a method overrides it.
///
/// See `rpc_core`'s crate docs for a full example.
#[proc_macro_attribute]
pub fn rpc_interface(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = proc_macro2::TokenStream::from(attr);
    if !attr.is_empty() {
        return syn::Error::new_spanned(attr, "#[rpc_interface] takes no arguments")
            .to_compile_error()
            .into();
    }
    let item = syn::parse_macro_input!(item as syn::ItemTrait);
    match model::Interface::parse(item) {
        Ok(interface) => {
            let trait_def = interface.trait_definition();
            let server = server::expand(&interface);
            let client = client::expand(&interface);
            quote!(#trait_def #server #client).into()
        }
        Err(e) => e.to_compile_error().into(),
    }
}
