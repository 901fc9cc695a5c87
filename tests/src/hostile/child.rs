//! `ChildServer`: the `hostile-server` binary in its own process, so that an input that
//! crashes a server process (a stack overflow aborts it) fails a test instead of killing the
//! test binary.

use std::{net::SocketAddr, process::Stdio};

use rpc_core::{Session, codec::Json};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::{PATIENCE, RawConn};
use crate::CalculatorClient;

/// A calculator server process; killed when dropped.
pub struct ChildServer {
    child: tokio::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ChildServer {
    /// Starts `program` (pass `env!("CARGO_BIN_EXE_hostile-server")`) and waits until it
    /// listens.
    pub async fn spawn(program: &str) -> Self {
        let mut child = tokio::process::Command::new(program)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the server process");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("the server process starts in time")
            .expect("read its first line");
        let port: u16 = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        ChildServer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// A raw connection to it.
    pub async fn raw(&self) -> RawConn {
        let connect = rpc_transports::tcp::connect(self.addr);
        let transport = tokio::time::timeout(PATIENCE, connect)
            .await
            .expect("connected in time")
            .expect("connect");
        RawConn::new(transport)
    }

    /// The process is still running and a fresh well-behaved client gets an answer.
    pub async fn assert_healthy(&mut self, case: &str) {
        if let Some(status) = self.child.try_wait().expect("poll the server process") {
            panic!("[{case}] the server process died: {status}");
        }
        let connect = rpc_transports::tcp::connect(self.addr);
        let transport = tokio::time::timeout(PATIENCE, connect)
            .await
            .unwrap_or_else(|_| panic!("[{case}] no connection in time"))
            .unwrap_or_else(|e| panic!("[{case}] the server process refuses connections: {e}"));
        let client = Session::builder().codec(Json).start(transport);
        let calc: CalculatorClient = client.main_as();
        let sum = tokio::time::timeout(PATIENCE, calc.add(20, 22))
            .await
            .unwrap_or_else(|_| panic!("[{case}] a fresh client got no answer"))
            .unwrap_or_else(|e| panic!("[{case}] a fresh client's call failed: {e}"));
        assert_eq!(sum, 42, "[{case}]");
        client.close();
    }
}
