//! The floor: hand-written request/response over the same length-prefixed framing Capstan's
//! TCP transport uses (`rpc_transports::FramedTransport`), with no encoding beyond fixed
//! little-endian fields.
//!
//! A request frame is `[id: u64][op: u8][body]`, a response `[id: u64][body]`. The client
//! multiplexes calls by id like any RPC client (a writer task, a reader task, a table of
//! waiting calls); the server answers each request inline as it reads it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use futures::{Sink, SinkExt, StreamExt};
use rpc_transports::{Frame, TcpTransport, tcp};
use tokio::sync::{mpsc, oneshot};

use crate::harness::{self, Outcome, Params, Res, Workload};
use crate::proxy;

const OP_ADD: u8 = 0;
const OP_ECHO: u8 = 1;

/// Feeds frames from `rx` into `sink`, flushing whenever nothing more is ready.
async fn frame_writer<S>(mut sink: S, mut rx: mpsc::UnboundedReceiver<Bytes>)
where
    S: Sink<Frame> + Unpin,
{
    while let Some(first) = rx.recv().await {
        if sink.feed(Frame::Binary(first)).await.is_err() {
            return;
        }
        while let Ok(more) = rx.try_recv() {
            if sink.feed(Frame::Binary(more)).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
    let _ = sink.close().await;
}

fn binary(frame: Frame) -> Res<Bytes> {
    match frame {
        Frame::Binary(b) => Ok(b),
        _ => Err("unexpected frame".into()),
    }
}

/// Serves one connection: answers `add` and `echo`, and echoes 8-byte stream items.
async fn serve_conn(conn: TcpTransport) {
    let (sink, mut stream) = conn.split();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(frame_writer(sink, rx));
    while let Some(Ok(frame)) = stream.next().await {
        let Ok(req) = binary(frame) else { return };
        let reply = if req.len() == 8 {
            req // a stream item: echo it
        } else {
            let mut out = BytesMut::with_capacity(16);
            out.put_slice(&req[..8]);
            match req[8] {
                OP_ADD => {
                    let a = i64::from_le_bytes(req[9..17].try_into().unwrap());
                    let b = i64::from_le_bytes(req[17..25].try_into().unwrap());
                    out.put_i64_le(a + b);
                    out.freeze()
                }
                _ => {
                    out.put_slice(&req[9..]);
                    out.freeze()
                }
            }
        };
        if tx.send(reply).is_err() {
            return;
        }
    }
}

async fn start_server() -> Res<SocketAddr> {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            tokio::spawn(serve_conn(conn));
        }
    });
    Ok(addr)
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Bytes>>>>;

/// A multiplexing client.
#[derive(Clone)]
struct RawClient {
    tx: mpsc::UnboundedSender<Bytes>,
    pending: Pending,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

impl RawClient {
    async fn connect(addr: SocketAddr) -> Res<RawClient> {
        let (sink, mut stream) = tcp::connect(addr).await?.split();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(frame_writer(sink, rx));
        let pending: Pending = Default::default();
        let table = pending.clone();
        tokio::spawn(async move {
            while let Some(Ok(Frame::Binary(resp))) = stream.next().await {
                let id = u64::from_le_bytes(resp[..8].try_into().unwrap());
                if let Some(waiter) = table.lock().unwrap().remove(&id) {
                    let _ = waiter.send(resp.slice(8..));
                }
            }
            table.lock().unwrap().clear();
        });
        Ok(RawClient {
            tx,
            pending,
            next_id: Default::default(),
        })
    }

    async fn call(&self, op: u8, body: &[u8]) -> Res<Bytes> {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (done, wait) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, done);
        let mut req = BytesMut::with_capacity(9 + body.len());
        req.put_u64_le(id);
        req.put_u8(op);
        req.put_slice(body);
        self.tx
            .send(req.freeze())
            .map_err(|_| "connection closed")?;
        Ok(wait.await.map_err(|_| "connection closed")?)
    }

    async fn add(&self, a: i64, b: i64) -> Res<i64> {
        let mut body = [0u8; 16];
        body[..8].copy_from_slice(&a.to_le_bytes());
        body[8..].copy_from_slice(&b.to_le_bytes());
        let resp = self.call(OP_ADD, &body).await?;
        Ok(i64::from_le_bytes(resp[..8].try_into()?))
    }
}

pub async fn run(workload: Workload, p: &Params) -> Res<Outcome> {
    let fields = match workload {
        Workload::Latency | Workload::Throughput => {
            let client = RawClient::connect(start_server().await?).await?;
            let call = |i: u64| {
                let client = client.clone();
                async move {
                    if client.add(i as i64, 1).await? != i as i64 + 1 {
                        return Err("wrong sum".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup(), p.conc, call).await?;
            harness::call_fields(p.n, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Payload => {
            let client = RawClient::connect(start_server().await?).await?;
            let data = vec![0xA5u8; p.size];
            let call = |_| {
                let (client, data) = (client.clone(), &data);
                async move {
                    if client.call(OP_ECHO, data).await?.len() != p.size {
                        return Err("wrong echo".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup().min(100), p.conc, call).await?;
            harness::payload_fields(p.n, p.size, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Stream => {
            // The server writes n 8-byte frames, flushing every 4096, then closes.
            let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let n = p.n;
            tokio::spawn(async move {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                for i in 0..n {
                    let item = Bytes::copy_from_slice(&i.to_le_bytes());
                    if conn.feed(Frame::Binary(item)).await.is_err() {
                        return;
                    }
                    if i % 4096 == 4095 && conn.flush().await.is_err() {
                        return;
                    }
                }
                let _ = conn.close().await;
            });
            let mut conn = tcp::connect(addr).await?;
            let start = Instant::now();
            let mut next = 0u64;
            while let Some(frame) = conn.next().await {
                let item = binary(frame?)?;
                if u64::from_le_bytes(item[..8].try_into()?) != next {
                    return Err("items out of order".into());
                }
                next += 1;
            }
            if next != p.n {
                return Err(format!("{next} of {} items", p.n).into());
            }
            harness::stream_fields(p.n, start.elapsed())
        }
        Workload::StreamBidi => {
            // The client writes n 8-byte frames while reading the server's echo of each.
            let addr = start_server().await?;
            let (mut sink, mut stream) = tcp::connect(addr).await?.split();
            let n = p.n;
            let start = Instant::now();
            let writer = tokio::spawn(async move {
                for i in 0..n {
                    sink.feed(Frame::Binary(Bytes::copy_from_slice(&i.to_le_bytes())))
                        .await?;
                    if i % 4096 == 4095 {
                        sink.flush().await?;
                    }
                }
                sink.flush().await?;
                std::io::Result::Ok(sink)
            });
            let mut next = 0u64;
            while next < n {
                let item = binary(stream.next().await.ok_or("closed early")??)?;
                if u64::from_le_bytes(item[..8].try_into()?) != next {
                    return Err("items out of order".into());
                }
                next += 1;
            }
            let elapsed = start.elapsed();
            drop(writer.await??);
            harness::stream_fields(p.n, elapsed)
        }
        Workload::Pipeline => {
            let delay = Duration::from_millis(p.delay_ms);
            let rtt = proxy::measure_rtt(delay).await?;
            let proxied = proxy::start(start_server().await?, delay).await?;
            let client = RawClient::connect(proxied).await?;
            let depth = p.depth as i64;
            let chain = || async {
                let mut x = 0;
                for _ in 0..depth {
                    x = client.add(x, 1).await?;
                }
                if x != depth {
                    return Err::<(), harness::BoxError>("wrong chain".into());
                }
                Ok(())
            };
            harness::time_chains(
                p.n,
                p.depth,
                rtt,
                "no pipelining: depth dependent add calls, one round trip each",
                chain,
            )
            .await?
        }
        Workload::Callback => {
            // The server pings the client, which answers x+1: the server times each.
            let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let (warm, n) = (p.warmup(), p.n);
            let server = tokio::spawn(async move {
                let (mut conn, _) = listener.accept().await?;
                let mut latencies = Vec::with_capacity(n as usize);
                for i in 0..warm + n {
                    if i == warm {
                        latencies.clear();
                    }
                    let start = Instant::now();
                    conn.send(Frame::Binary(Bytes::copy_from_slice(&i.to_le_bytes())))
                        .await?;
                    let back = binary(conn.next().await.ok_or("closed")??)?;
                    latencies.push(start.elapsed());
                    if u64::from_le_bytes(back[..8].try_into()?) != i + 1 {
                        return Err::<_, harness::BoxError>("wrong answer".into());
                    }
                }
                let measured: Duration = latencies.iter().sum();
                Ok((measured, latencies))
            });
            let mut conn = tcp::connect(addr).await?;
            tokio::spawn(async move {
                while let Some(Ok(Frame::Binary(x))) = conn.next().await {
                    let x = u64::from_le_bytes(x[..8].try_into().unwrap());
                    let reply = Bytes::copy_from_slice(&(x + 1).to_le_bytes());
                    if conn.send(Frame::Binary(reply)).await.is_err() {
                        break;
                    }
                }
            });
            let (elapsed, latencies) = server.await??;
            harness::call_fields(p.n, harness::Timing { elapsed, latencies })
        }
        Workload::Connections => {
            let addr = start_server().await?;
            let warm = RawClient::connect(addr).await?;
            warm.add(1, 1).await?;
            let before = harness::settled_rss_kb().await;
            let mut held = Vec::with_capacity(p.n as usize);
            for _ in 0..p.n {
                let client = RawClient::connect(addr).await?;
                client.add(1, 1).await?;
                held.push(client);
            }
            let after = harness::settled_rss_kb().await;
            harness::connection_fields(
                p.n,
                before,
                after,
                "both ends in this process; no capabilities (a connection with a reader and a writer task each side)",
            )
        }
    };
    Ok(Outcome::Ok(fields))
}
