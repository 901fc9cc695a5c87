//! The Cap'n Web protocol model: top-level messages and value expressions.
//!
//! These types are the only thing codecs see. Everything Capstan does (calls, callbacks,
//! capabilities, pipelining, `map`, streams, cancellation) is expressed in them; nothing gets a
//! side channel.

mod expr;
mod fetch;
mod message;

pub use expr::{CallExpr, ErrorExpr, Expr, PathKey, RemapExpr, TypedArrayKind};
pub use fetch::{RequestExpr, RequestInit, RequestOptions, ResponseExpr, is_body_expr};
pub use message::{Id, Message};
