//! The `#[rpc_interface]` attribute macro for Capstan.

use proc_macro::TokenStream;

/// Placeholder while the macro is written.
#[proc_macro_attribute]
pub fn rpc_interface(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
