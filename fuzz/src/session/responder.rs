//! The cooperative responder: the harness's stand-in for a well-behaved client.

use rpc_core::protocol::{Expr, Id, Message};

/// Answers the server as a cooperative client would: resolves every pull, acknowledges every
/// stream write. It tracks the server's import IDs (each `push`, `stream` and `pipe` the server
/// sends takes the next positive one).
#[derive(Debug)]
pub(super) struct Responder {
    next_server_import: Id,
}

impl Default for Responder {
    fn default() -> Self {
        Responder {
            next_server_import: 1,
        }
    }
}

impl Responder {
    pub(super) fn answer(&mut self, message: &Message) -> Vec<Message> {
        match message {
            Message::Push(_) | Message::Pipe => {
                self.next_server_import += 1;
                vec![]
            }
            Message::Stream(_) => {
                let id = self.next_server_import;
                self.next_server_import += 1;
                vec![Message::Resolve(id, Expr::Undefined)]
            }
            Message::Pull(id) => vec![Message::Resolve(*id, Expr::Int(7))],
            _ => vec![],
        }
    }
}
