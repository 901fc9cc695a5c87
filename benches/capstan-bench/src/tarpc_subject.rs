//! tarpc 0.38 with its Bincode serde transport over length-delimited TCP (`TCP_NODELAY` set on
//! both ends, as Capstan's TCP transport does). tarpc has no streams, no callbacks and no
//! pipelining: those workloads report `unsupported`, except `pipeline`, which runs the same
//! chain as dependent calls (one round trip each), the best tarpc can do.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use tarpc::server::{BaseChannel, Channel};
use tarpc::tokio_serde::formats::Bincode;
use tarpc::{client, context, serde_transport};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use crate::harness::{self, Outcome, Params, Res, Workload, err};
use crate::proxy;

#[tarpc::service]
pub trait Bench {
    /// `a + b`.
    async fn add(a: i64, b: i64) -> i64;
    /// The same bytes back.
    async fn echo(data: Bytes) -> Bytes;
}

#[derive(Clone)]
struct BenchImpl;

impl Bench for BenchImpl {
    async fn add(self, _: context::Context, a: i64, b: i64) -> i64 {
        a + b
    }
    async fn echo(self, _: context::Context, data: Bytes) -> Bytes {
        data
    }
}

fn framed(stream: TcpStream) -> Framed<TcpStream, LengthDelimitedCodec> {
    let codec = LengthDelimitedCodec::builder()
        .max_frame_length(32 << 20)
        .new_codec();
    Framed::new(stream, codec)
}

async fn start_server() -> Res<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let transport = serde_transport::new(framed(stream), Bincode::default());
            tokio::spawn(
                BaseChannel::with_defaults(transport)
                    .execute(BenchImpl.serve())
                    .for_each(|handler| async move {
                        tokio::spawn(handler);
                    }),
            );
        }
    });
    Ok(addr)
}

async fn connect(addr: SocketAddr) -> Res<BenchClient> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let transport = serde_transport::new(framed(stream), Bincode::default());
    Ok(BenchClient::new(client::Config::default(), transport).spawn())
}

fn ctx() -> context::Context {
    let mut ctx = context::current();
    ctx.deadline = Instant::now() + Duration::from_secs(120);
    ctx
}

pub async fn run(workload: Workload, p: &Params) -> Res<Outcome> {
    let fields = match workload {
        Workload::Latency | Workload::Throughput => {
            let client = connect(start_server().await?).await?;
            let call = |i: u64| {
                let client = client.clone();
                async move {
                    if client.add(ctx(), i as i64, 1).await.map_err(err)? != i as i64 + 1 {
                        return Err("wrong sum".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup(), p.conc, call).await?;
            harness::call_fields(p.n, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Payload => {
            let client = connect(start_server().await?).await?;
            let data = Bytes::from(vec![0xA5u8; p.size]);
            let call = |_| {
                let (client, data) = (client.clone(), data.clone());
                async move {
                    if client.echo(ctx(), data).await.map_err(err)?.len() != p.size {
                        return Err("wrong echo".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup().min(100), p.conc, call).await?;
            harness::payload_fields(p.n, p.size, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Pipeline => {
            let delay = Duration::from_millis(p.delay_ms);
            let rtt = proxy::measure_rtt(delay).await?;
            let client = connect(proxy::start(start_server().await?, delay).await?).await?;
            let depth = p.depth as i64;
            let chain = || async {
                let mut x = 0;
                for _ in 0..depth {
                    x = client.add(ctx(), x, 1).await.map_err(err)?;
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
                "no pipelining in tarpc: depth dependent add calls, one round trip each",
                chain,
            )
            .await?
        }
        Workload::Connections => {
            let addr = start_server().await?;
            let warm = connect(addr).await?;
            warm.add(ctx(), 1, 1).await.map_err(err)?;
            let before = harness::settled_rss_kb().await;
            let mut held = Vec::with_capacity(p.n as usize);
            for _ in 0..p.n {
                let client = connect(addr).await?;
                client.add(ctx(), 1, 1).await.map_err(err)?;
                held.push(client);
            }
            let after = harness::settled_rss_kb().await;
            harness::connection_fields(
                p.n,
                before,
                after,
                "both ends in this process; tarpc has no capabilities, so a plain connection",
            )
        }
        Workload::Stream | Workload::StreamBidi => {
            return Ok(Outcome::Unsupported(
                "tarpc has no streaming (google/tarpc#189)".into(),
            ));
        }
        Workload::Callback => {
            return Ok(Outcome::Unsupported(
                "tarpc cannot call back into the client on one connection".into(),
            ));
        }
    };
    Ok(Outcome::Ok(fields))
}
