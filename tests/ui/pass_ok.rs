use rpc_core::{Callback, RpcError, rpc_interface};

/// Every supported shape compiles.
#[rpc_interface]
pub trait Api {
    /// Docs are kept.
    async fn nothing(&self) -> Result<(), RpcError>;
    async fn many(&self, a: i64, b: String, c: Vec<u8>, d: Option<f64>) -> Result<(i64, String), RpcError>;
    async fn callback(&self, cb: Callback<i64, String>) -> Result<(), RpcError>;
    async fn capability(&self) -> Result<ApiClient, RpcError>;
    #[rpc(name = "renamed")]
    async fn with_rename(&self) -> Result<(), RpcError>;
}

fn main() {}
