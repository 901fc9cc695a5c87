//! Capstan: MessagePack over TCP, or JSON over WebSocket.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{Stream, StreamExt, stream};
use rpc_core::{Callback, RpcError, RpcStream, Session, SessionBuilder, rpc_interface};
use rpc_transports::{tcp, websocket};

use crate::harness::{self, Outcome, Params, Res, Workload, err};
use crate::proxy;

/// Which codec and transport.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MessagePack (the default codec) over length-prefixed TCP.
    TcpMsgPack,
    /// JSON (Cap'n Web's wire format) over WebSocket.
    WsJson,
}

#[rpc_interface]
pub trait Bench {
    /// `a + b`.
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError>;
    /// The same bytes back.
    async fn echo(&self, data: Bytes) -> Result<Bytes, RpcError>;
    /// `0 … n-1`.
    async fn count(&self, n: u64) -> Result<RpcStream<u64>, RpcError>;
    /// Every item of `input` back, as it arrives.
    async fn echo_stream(&self, input: RpcStream<u64>) -> Result<RpcStream<u64>, RpcError>;
    /// A number held by the server.
    async fn number(&self, start: i64) -> Result<NumberClient, RpcError>;
    /// Calls `cb(i)` `n` times, one at a time; returns each call's latency in nanoseconds.
    async fn call_me(&self, cb: Callback<i64, i64>, n: u64) -> Result<Vec<u64>, RpcError>;
}

/// A number capability: the pipeline workload chains calls on it.
#[rpc_interface]
pub trait Number {
    /// A new number, `self + b`.
    async fn plus(&self, b: i64) -> Result<NumberClient, RpcError>;
    /// The value.
    async fn get(&self) -> Result<i64, RpcError>;
}

struct BenchImpl;

struct NumberImpl(i64);

impl Number for NumberImpl {
    async fn plus(&self, b: i64) -> Result<NumberClient, RpcError> {
        Ok(NumberClient::local(NumberImpl(self.0 + b)))
    }
    async fn get(&self) -> Result<i64, RpcError> {
        Ok(self.0)
    }
}

impl Bench for BenchImpl {
    async fn add(&self, a: i64, b: i64) -> Result<i64, RpcError> {
        Ok(a + b)
    }
    async fn echo(&self, data: Bytes) -> Result<Bytes, RpcError> {
        Ok(data)
    }
    async fn count(&self, n: u64) -> Result<RpcStream<u64>, RpcError> {
        Ok(RpcStream::new(stream::iter(0..n)))
    }
    async fn echo_stream(&self, input: RpcStream<u64>) -> Result<RpcStream<u64>, RpcError> {
        Ok(RpcStream::from_results(input))
    }
    async fn number(&self, start: i64) -> Result<NumberClient, RpcError> {
        Ok(NumberClient::local(NumberImpl(start)))
    }
    async fn call_me(&self, cb: Callback<i64, i64>, n: u64) -> Result<Vec<u64>, RpcError> {
        let mut latencies = Vec::with_capacity(n as usize);
        for i in 0..n as i64 {
            let start = Instant::now();
            let y = cb.call(i).await?;
            latencies.push(start.elapsed().as_nanos() as u64);
            if y != i + 1 {
                return Err(RpcError::range_error("wrong callback result"));
            }
        }
        Ok(latencies)
    }
}

fn builder(flavor: Flavor) -> SessionBuilder {
    match flavor {
        Flavor::TcpMsgPack => Session::builder(),
        Flavor::WsJson => Session::builder().codec(rpc_core::codec::Json),
    }
}

/// Starts a server; returns the address to connect to.
async fn start_server(flavor: Flavor) -> Res<SocketAddr> {
    let configure = move || builder(flavor).main(BenchServer::new(BenchImpl));
    match flavor {
        Flavor::TcpMsgPack => {
            let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            tokio::spawn(rpc_core::serve(listener.incoming(), configure));
            Ok(addr)
        }
        Flavor::WsJson => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            // The handshake runs in the accept loop: fine for a benchmark's connect rate.
            let incoming = stream::unfold(listener, |listener| async move {
                let accepted: io::Result<_> = async {
                    let (tcp, _) = listener.accept().await?;
                    websocket::accept(tcp).await
                }
                .await;
                Some((accepted, listener))
            });
            tokio::spawn(rpc_core::serve(incoming, configure));
            Ok(addr)
        }
    }
}

async fn connect(flavor: Flavor, addr: SocketAddr) -> Res<Session> {
    Ok(match flavor {
        Flavor::TcpMsgPack => builder(flavor).start(tcp::connect(addr).await?),
        Flavor::WsJson => {
            builder(flavor).start(websocket::connect(&format!("ws://{addr}/")).await?)
        }
    })
}

pub async fn run(flavor: Flavor, workload: Workload, p: &Params) -> Res<Outcome> {
    let addr = start_server(flavor).await?;
    let fields = match workload {
        Workload::Latency | Workload::Throughput => {
            let session = connect(flavor, addr).await?;
            let api: BenchClient = session.main_as();
            let call = |i: u64| {
                let api = api.clone();
                async move {
                    let sum = api.add(i as i64, 1).await.map_err(err)?;
                    if sum != i as i64 + 1 {
                        return Err("wrong sum".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup(), p.conc, call).await?;
            harness::call_fields(p.n, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Payload => {
            let session = connect(flavor, addr).await?;
            let api: BenchClient = session.main_as();
            let data = Bytes::from(vec![0xA5u8; p.size]);
            let call = |_| {
                let (api, data) = (api.clone(), data.clone());
                async move {
                    let back = api.echo(data).await.map_err(err)?;
                    if back.len() != p.size {
                        return Err("wrong echo".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup().min(100), p.conc, call).await?;
            harness::payload_fields(p.n, p.size, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Stream => {
            let session = connect(flavor, addr).await?;
            let api: BenchClient = session.main_as();
            read_all(api.count(p.n / 100).await.map_err(err)?, p.n / 100).await?;
            let start = Instant::now();
            let items = api.count(p.n).await.map_err(err)?;
            read_all(items, p.n).await?;
            harness::stream_fields(p.n, start.elapsed())
        }
        Workload::StreamBidi => {
            let session = connect(flavor, addr).await?;
            let api: BenchClient = session.main_as();
            let bidi = |n: u64| {
                let api = api.clone();
                async move {
                    let input = RpcStream::new(stream::iter(0..n));
                    let back = api.echo_stream(input).await.map_err(err)?;
                    read_all(back, n).await
                }
            };
            bidi(p.n / 100).await?;
            let start = Instant::now();
            bidi(p.n).await?;
            harness::stream_fields(p.n, start.elapsed())
        }
        Workload::Pipeline => {
            let delay = Duration::from_millis(p.delay_ms);
            let rtt = proxy::measure_rtt(delay).await?;
            let proxied = proxy::start(addr, delay).await?;
            let session = connect(flavor, proxied).await?;
            let api: BenchClient = session.main_as();
            let depth = p.depth.max(2);
            let chain = || async {
                // number(1), then depth-2 `plus` calls on the last result, then `get`: each
                // call names the previous result before it has arrived.
                let mut n = api.number(1);
                for _ in 0..depth - 2 {
                    n = n.plus(1);
                }
                let value = n.get().await.map_err(err)?;
                if value != depth as i64 - 1 {
                    return Err::<(), harness::BoxError>("wrong chain value".into());
                }
                Ok(())
            };
            harness::time_chains(
                p.n,
                depth,
                rtt,
                "number(1) -> plus(1) x (depth-2) -> get(), promise pipelining",
                chain,
            )
            .await?
        }
        Workload::Callback => {
            let session = connect(flavor, addr).await?;
            let api: BenchClient = session.main_as();
            let cb: Callback<i64, i64> = Callback::new(|x: i64| async move { Ok(x + 1) });
            api.call_me(cb.clone(), p.warmup()).await.map_err(err)?;
            let start = Instant::now();
            let nanos = api.call_me(cb, p.n).await.map_err(err)?;
            let elapsed = start.elapsed();
            let timing = harness::Timing {
                elapsed,
                latencies: nanos.into_iter().map(Duration::from_nanos).collect(),
            };
            harness::call_fields(p.n, timing)
        }
        Workload::Connections => {
            // Warm the runtime and allocator with one connection first.
            let warm = connect(flavor, addr).await?;
            let warm_api: BenchClient = warm.main_as();
            let warm_number = warm_api.number(0).await.map_err(err)?;
            warm_number.get().await.map_err(err)?;
            let before = harness::settled_rss_kb().await;
            let mut held = Vec::with_capacity(p.n as usize);
            for _ in 0..p.n {
                let session = connect(flavor, addr).await?;
                let api: BenchClient = session.main_as();
                let number = api.number(7).await.map_err(err)?;
                held.push((session, api, number));
            }
            // Every connection is live: one call on each.
            for (_, _, number) in &held {
                number.get().await.map_err(err)?;
            }
            let after = harness::settled_rss_kb().await;
            harness::connection_fields(
                p.n,
                before,
                after,
                "both ends in this process; each client holds one server-exported capability",
            )
        }
    };
    Ok(Outcome::Ok(fields))
}

async fn read_all(items: impl Stream<Item = Result<u64, RpcError>>, n: u64) -> Res<()> {
    let mut items = std::pin::pin!(items);
    let mut next = 0;
    while let Some(item) = items.next().await {
        if item.map_err(err)? != next {
            return Err("items out of order".into());
        }
        next += 1;
    }
    if next != n {
        return Err(format!("{next} of {n} items arrived").into());
    }
    Ok(())
}
