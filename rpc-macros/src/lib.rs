//! The `#[rpc_interface]` attribute macro for Capstan.
