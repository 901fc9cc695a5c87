//! tonic 0.14 (gRPC over HTTP/2, prost messages from `schema/bench.proto`), `TCP_NODELAY` on
//! both ends (tonic's default). gRPC has no callbacks and no pipelining: `callback` reports
//! `unsupported`; `pipeline` runs the chain as dependent unary calls, one round trip each.

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Request, Response, Status, Streaming};

use crate::harness::{self, Outcome, Params, Res, Workload};
use crate::proxy;

#[allow(clippy::all)]
mod pb {
    tonic::include_proto!("bench");
}

use pb::bench_client::BenchClient;
use pb::bench_server::{Bench, BenchServer};
use pb::{AddReply, AddRequest, Blob, CountRequest, Item};

struct BenchImpl;

type ItemStream = Pin<Box<dyn Stream<Item = Result<Item, Status>> + Send>>;

#[tonic::async_trait]
impl Bench for BenchImpl {
    async fn add(&self, req: Request<AddRequest>) -> Result<Response<AddReply>, Status> {
        let AddRequest { a, b } = req.into_inner();
        Ok(Response::new(AddReply { sum: a + b }))
    }

    async fn echo(&self, req: Request<Blob>) -> Result<Response<Blob>, Status> {
        Ok(Response::new(req.into_inner()))
    }

    type CountStream = ItemStream;

    async fn count(&self, req: Request<CountRequest>) -> Result<Response<ItemStream>, Status> {
        let n = req.into_inner().n;
        let items = futures::stream::iter(0..n).map(|value| Ok(Item { value }));
        Ok(Response::new(Box::pin(items)))
    }

    type EchoStreamStream = ItemStream;

    async fn echo_stream(
        &self,
        req: Request<Streaming<Item>>,
    ) -> Result<Response<ItemStream>, Status> {
        Ok(Response::new(Box::pin(req.into_inner())))
    }
}

async fn start_server() -> Res<SocketAddr> {
    let incoming = tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse()?)?
        .with_nodelay(Some(true));
    let addr = incoming.local_addr()?;
    tokio::spawn(
        Server::builder()
            .add_service(BenchServer::new(BenchImpl))
            .serve_with_incoming(incoming),
    );
    Ok(addr)
}

async fn connect(addr: SocketAddr) -> Res<BenchClient<Channel>> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect()
        .await?;
    Ok(BenchClient::new(channel))
}

async fn read_all(items: Streaming<Item>, n: u64) -> Res<()> {
    let mut items = items;
    let mut next = 0;
    while let Some(item) = items.message().await? {
        if item.value != next {
            return Err("items out of order".into());
        }
        next += 1;
    }
    if next != n {
        return Err(format!("{next} of {n} items arrived").into());
    }
    Ok(())
}

pub async fn run(workload: Workload, p: &Params) -> Res<Outcome> {
    let fields = match workload {
        Workload::Latency | Workload::Throughput => {
            let client = connect(start_server().await?).await?;
            let call = |i: u64| {
                let mut client = client.clone();
                async move {
                    let req = AddRequest { a: i as i64, b: 1 };
                    if client.add(req).await?.into_inner().sum != i as i64 + 1 {
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
            let data = bytes::Bytes::from(vec![0xA5u8; p.size]);
            let call = |_| {
                let (mut client, data) = (client.clone(), data.clone());
                async move {
                    let back = client
                        .echo(Blob {
                            data: data.to_vec(),
                        })
                        .await?;
                    if back.into_inner().data.len() != p.size {
                        return Err("wrong echo".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup().min(100), p.conc, call).await?;
            harness::payload_fields(p.n, p.size, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Stream => {
            let mut client = connect(start_server().await?).await?;
            let warm = p.n / 100;
            read_all(
                client.count(CountRequest { n: warm }).await?.into_inner(),
                warm,
            )
            .await?;
            let start = Instant::now();
            read_all(
                client.count(CountRequest { n: p.n }).await?.into_inner(),
                p.n,
            )
            .await?;
            harness::stream_fields(p.n, start.elapsed())
        }
        Workload::StreamBidi => {
            let client = connect(start_server().await?).await?;
            let bidi = |n: u64| {
                let mut client = client.clone();
                async move {
                    let input = futures::stream::iter(0..n).map(|value| Item { value });
                    read_all(client.echo_stream(input).await?.into_inner(), n).await
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
            let client = connect(proxy::start(start_server().await?, delay).await?).await?;
            let depth = p.depth as i64;
            let chain = || {
                let mut client = client.clone();
                async move {
                    let mut x = 0;
                    for _ in 0..depth {
                        x = client
                            .add(AddRequest { a: x, b: 1 })
                            .await?
                            .into_inner()
                            .sum;
                    }
                    if x != depth {
                        return Err::<(), harness::BoxError>("wrong chain".into());
                    }
                    Ok(())
                }
            };
            harness::time_chains(
                p.n,
                p.depth,
                rtt,
                "no pipelining in gRPC: depth dependent unary calls, one round trip each",
                chain,
            )
            .await?
        }
        Workload::Callback => {
            return Ok(Outcome::Unsupported(
                "gRPC has no callbacks: the server can only answer or stream back".into(),
            ));
        }
        Workload::Connections => {
            let addr = start_server().await?;
            let mut warm = connect(addr).await?;
            warm.add(AddRequest { a: 1, b: 1 }).await?;
            let before = harness::settled_rss_kb().await;
            let mut held = Vec::with_capacity(p.n as usize);
            for _ in 0..p.n {
                let mut client = connect(addr).await?;
                client.add(AddRequest { a: 1, b: 1 }).await?;
                held.push(client);
            }
            let after = harness::settled_rss_kb().await;
            harness::connection_fields(
                p.n,
                before,
                after,
                "both ends in this process; gRPC has no capabilities, so a plain HTTP/2 connection",
            )
        }
    };
    Ok(Outcome::Ok(fields))
}
