//! capnp-rpc 0.27 (Cap'n Proto two-party RPC, interfaces in `schema/bench.capnp`).
//!
//! capnp-rpc is single-threaded by design (`Rc`, `!Send`), so its server runs on its own
//! thread (a current-thread tokio runtime with a `LocalSet`) and so does the client; the
//! in-process proxy of `pipeline` stays on the main multi-thread runtime. Streams use a
//! `-> stream` method (capnp-rpc's flow-controlled streaming), one call per item.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use capnp_rpc::{RpcSystem, rpc_twoparty_capnp, twoparty};
use futures::AsyncReadExt;
use serde_json::{Map, Value};
use tokio::sync::oneshot;
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::harness::{self, Outcome, Params, Res, Workload, err};
use crate::proxy;

use crate::bench_capnp::{bench, callback, number, sink};

type CapResult = Result<(), capnp::Error>;

struct BenchImpl;

impl bench::Server for BenchImpl {
    async fn add(
        self: Rc<Self>,
        params: bench::AddParams,
        mut results: bench::AddResults,
    ) -> CapResult {
        let p = params.get()?;
        results.get().set_sum(p.get_a() + p.get_b());
        Ok(())
    }

    async fn echo(
        self: Rc<Self>,
        params: bench::EchoParams,
        mut results: bench::EchoResults,
    ) -> CapResult {
        results.get().set_data(params.get()?.get_data()?);
        Ok(())
    }

    async fn count(
        self: Rc<Self>,
        params: bench::CountParams,
        _: bench::CountResults,
    ) -> CapResult {
        let p = params.get()?;
        let n = p.get_n();
        let sink: sink::Client = p.get_sink()?;
        for i in 0..n {
            let mut req = sink.push_request();
            req.get().set_value(i);
            req.send().await?;
        }
        sink.done_request().send().promise.await?;
        Ok(())
    }

    async fn echo_stream(
        self: Rc<Self>,
        params: bench::EchoStreamParams,
        mut results: bench::EchoStreamResults,
    ) -> CapResult {
        let back: sink::Client = params.get()?.get_back()?;
        let input: sink::Client = capnp_rpc::new_client(Forward { back });
        results.get().set_input(input);
        Ok(())
    }

    async fn number(
        self: Rc<Self>,
        params: bench::NumberParams,
        mut results: bench::NumberResults,
    ) -> CapResult {
        let start = params.get()?.get_start();
        results
            .get()
            .set_number(capnp_rpc::new_client(NumberImpl(start)));
        Ok(())
    }

    async fn call_me(
        self: Rc<Self>,
        params: bench::CallMeParams,
        mut results: bench::CallMeResults,
    ) -> CapResult {
        let p = params.get()?;
        let (cb, n): (callback::Client, u64) = (p.get_cb()?, p.get_n());
        let mut nanos = Vec::with_capacity(n as usize);
        for i in 0..n as i64 {
            let start = Instant::now();
            let mut req = cb.call_request();
            req.get().set_x(i);
            let y = req.send().promise.await?.get()?.get_y();
            nanos.push(start.elapsed().as_nanos() as u64);
            if y != i + 1 {
                return Err(capnp::Error::failed("wrong callback result".into()));
            }
        }
        let mut list = results.get().init_nanos(nanos.len() as u32);
        for (i, v) in nanos.into_iter().enumerate() {
            list.set(i as u32, v);
        }
        Ok(())
    }
}

struct NumberImpl(i64);

impl number::Server for NumberImpl {
    async fn plus(
        self: Rc<Self>,
        params: number::PlusParams,
        mut results: number::PlusResults,
    ) -> CapResult {
        let b = params.get()?.get_b();
        results
            .get()
            .set_number(capnp_rpc::new_client(NumberImpl(self.0 + b)));
        Ok(())
    }

    async fn get(
        self: Rc<Self>,
        _: number::GetParams,
        mut results: number::GetResults,
    ) -> CapResult {
        results.get().set_value(self.0);
        Ok(())
    }
}

/// The server's side of `echoStream`: every item pushed in is pushed back into `back`.
struct Forward {
    back: sink::Client,
}

impl sink::Server for Forward {
    async fn push(self: Rc<Self>, params: sink::PushParams) -> CapResult {
        let mut req = self.back.push_request();
        req.get().set_value(params.get()?.get_value());
        req.send().await
    }

    async fn done(self: Rc<Self>, _: sink::DoneParams, _: sink::DoneResults) -> CapResult {
        self.back.done_request().send().promise.await?;
        Ok(())
    }
}

/// The client's sink: checks the order and reports the count when `done` arrives.
struct CountingSink {
    next: Cell<u64>,
    done: RefCell<Option<oneshot::Sender<u64>>>,
}

impl sink::Server for CountingSink {
    async fn push(self: Rc<Self>, params: sink::PushParams) -> CapResult {
        let value = params.get()?.get_value();
        if value != self.next.get() {
            return Err(capnp::Error::failed("items out of order".into()));
        }
        self.next.set(value + 1);
        Ok(())
    }

    async fn done(self: Rc<Self>, _: sink::DoneParams, _: sink::DoneResults) -> CapResult {
        if let Some(tx) = self.done.borrow_mut().take() {
            let _ = tx.send(self.next.get());
        }
        Ok(())
    }
}

struct PlusOne;

impl callback::Server for PlusOne {
    async fn call(
        self: Rc<Self>,
        params: callback::CallParams,
        mut results: callback::CallResults,
    ) -> CapResult {
        results.get().set_y(params.get()?.get_x() + 1);
        Ok(())
    }
}

fn local_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime")
}

fn vat(
    stream: tokio::net::TcpStream,
    side: rpc_twoparty_capnp::Side,
) -> twoparty::VatNetwork<
    futures::io::BufReader<
        futures::io::ReadHalf<tokio_util::compat::Compat<tokio::net::TcpStream>>,
    >,
> {
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.compat().split();
    twoparty::VatNetwork::new(
        futures::io::BufReader::new(reader),
        futures::io::BufWriter::new(writer),
        side,
        Default::default(),
    )
}

/// Starts the server on its own thread; returns its address.
fn start_server() -> Res<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let local = tokio::task::LocalSet::new();
        local.block_on(&local_runtime(), async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
            let main: bench::Client = capnp_rpc::new_client(BenchImpl);
            while let Ok((stream, _)) = listener.accept().await {
                let network = vat(stream, rpc_twoparty_capnp::Side::Server);
                let system = RpcSystem::new(Box::new(network), Some(main.clone().client));
                tokio::task::spawn_local(system);
            }
        });
    });
    Ok(addr)
}

/// Connects from the current `LocalSet`.
async fn connect(addr: SocketAddr) -> Res<bench::Client> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let network = vat(stream, rpc_twoparty_capnp::Side::Client);
    let mut system = RpcSystem::new(Box::new(network), None);
    let main: bench::Client = system.bootstrap(rpc_twoparty_capnp::Side::Server);
    tokio::task::spawn_local(system);
    Ok(main)
}

pub async fn run(workload: Workload, p: &Params) -> Res<Outcome> {
    let server = start_server()?;
    // The pipeline's proxy runs here, on the multi-thread runtime.
    let (target, rtt) = if workload == Workload::Pipeline {
        let delay = Duration::from_millis(p.delay_ms);
        let rtt = proxy::measure_rtt(delay).await?;
        (proxy::start(server, delay).await?, rtt)
    } else {
        (server, Duration::ZERO)
    };
    let (tx, rx) = oneshot::channel();
    let params = p.clone();
    std::thread::spawn(move || {
        let local = tokio::task::LocalSet::new();
        let result = local.block_on(&local_runtime(), client(workload, params, target, rtt));
        let _ = tx.send(result.map_err(|e| e.to_string()));
    });
    match rx.await? {
        Ok(fields) => Ok(Outcome::Ok(fields)),
        Err(e) => Err(e.into()),
    }
}

async fn client(
    workload: Workload,
    p: Params,
    addr: SocketAddr,
    rtt: Duration,
) -> Res<Map<String, Value>> {
    let fields = match workload {
        Workload::Latency | Workload::Throughput => {
            let api = connect(addr).await?;
            let call = |i: u64| {
                let mut req = api.add_request();
                req.get().set_a(i as i64);
                req.get().set_b(1);
                let promise = req.send().promise;
                async move {
                    if promise.await.map_err(err)?.get().map_err(err)?.get_sum() != i as i64 + 1 {
                        return Err("wrong sum".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup(), p.conc, call).await?;
            harness::call_fields(p.n, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Payload => {
            let api = connect(addr).await?;
            let data = vec![0xA5u8; p.size];
            let size = p.size;
            let call = |_| {
                let mut req = api.echo_request();
                req.get().set_data(&data);
                let promise = req.send().promise;
                async move {
                    let resp = promise.await.map_err(err)?;
                    if resp.get().map_err(err)?.get_data().map_err(err)?.len() != size {
                        return Err("wrong echo".into());
                    }
                    Ok(())
                }
            };
            harness::closed_loop(p.warmup().min(100), p.conc, call).await?;
            harness::payload_fields(p.n, p.size, harness::closed_loop(p.n, p.conc, call).await?)
        }
        Workload::Stream => {
            let api = connect(addr).await?;
            let count = |n: u64| {
                let (tx, rx) = oneshot::channel();
                let sink: sink::Client = capnp_rpc::new_client(CountingSink {
                    next: Cell::new(0),
                    done: RefCell::new(Some(tx)),
                });
                let mut req = api.count_request();
                req.get().set_n(n);
                req.get().set_sink(sink);
                let promise = req.send().promise;
                async move {
                    promise.await.map_err(err)?;
                    let got = rx.await?;
                    if got != n {
                        return Err::<(), harness::BoxError>(format!("{got} of {n} items").into());
                    }
                    Ok(())
                }
            };
            count(p.n / 100).await?;
            let start = Instant::now();
            count(p.n).await?;
            harness::stream_fields(p.n, start.elapsed())
        }
        Workload::StreamBidi => {
            let api = connect(addr).await?;
            let bidi = |n: u64| {
                let (tx, rx) = oneshot::channel();
                let back: sink::Client = capnp_rpc::new_client(CountingSink {
                    next: Cell::new(0),
                    done: RefCell::new(Some(tx)),
                });
                let mut req = api.echo_stream_request();
                req.get().set_back(back);
                let input = req.send().pipeline.get_input();
                async move {
                    for i in 0..n {
                        let mut push = input.push_request();
                        push.get().set_value(i);
                        push.send().await.map_err(err)?;
                    }
                    input.done_request().send().promise.await.map_err(err)?;
                    let got = rx.await?;
                    if got != n {
                        return Err::<(), harness::BoxError>(format!("{got} of {n} items").into());
                    }
                    Ok(())
                }
            };
            bidi(p.n / 100).await?;
            let start = Instant::now();
            bidi(p.n).await?;
            harness::stream_fields(p.n, start.elapsed())
        }
        Workload::Pipeline => {
            let api = connect(addr).await?;
            let depth = p.depth.max(2);
            let chain = || {
                let mut req = api.number_request();
                req.get().set_start(1);
                let mut n: number::Client = req.send().pipeline.get_number();
                for _ in 0..depth - 2 {
                    let mut plus = n.plus_request();
                    plus.get().set_b(1);
                    n = plus.send().pipeline.get_number();
                }
                let promise = n.get_request().send().promise;
                async move {
                    let value = promise.await.map_err(err)?.get().map_err(err)?.get_value();
                    if value != depth as i64 - 1 {
                        return Err::<(), harness::BoxError>("wrong chain value".into());
                    }
                    Ok(())
                }
            };
            harness::time_chains(
                p.n,
                depth,
                rtt,
                "number(1) -> plus(1) x (depth-2) -> get(), promise pipelining on capabilities",
                chain,
            )
            .await?
        }
        Workload::Callback => {
            let api = connect(addr).await?;
            let cb: callback::Client = capnp_rpc::new_client(PlusOne);
            let call_me = |n: u64| {
                let mut req = api.call_me_request();
                req.get().set_cb(cb.clone());
                req.get().set_n(n);
                let promise = req.send().promise;
                async move {
                    let resp = promise.await.map_err(err)?;
                    let list = resp.get().map_err(err)?.get_nanos().map_err(err)?;
                    Ok::<_, harness::BoxError>(
                        list.iter().map(Duration::from_nanos).collect::<Vec<_>>(),
                    )
                }
            };
            call_me(p.warmup()).await?;
            let start = Instant::now();
            let latencies = call_me(p.n).await?;
            harness::call_fields(
                p.n,
                harness::Timing {
                    elapsed: start.elapsed(),
                    latencies,
                },
            )
        }
        Workload::Connections => {
            let warm = connect(addr).await?;
            let mut req = warm.number_request();
            req.get().set_start(0);
            let number = req.send().pipeline.get_number();
            number.get_request().send().promise.await.map_err(err)?;
            let before = harness::settled_rss_kb().await;
            let mut held = Vec::with_capacity(p.n as usize);
            for _ in 0..p.n {
                let api = connect(addr).await?;
                let mut req = api.number_request();
                req.get().set_start(7);
                let number = req.send().pipeline.get_number();
                number.get_request().send().promise.await.map_err(err)?;
                held.push((api, number));
            }
            let after = harness::settled_rss_kb().await;
            harness::connection_fields(
                p.n,
                before,
                after,
                "both ends in this process (server and client threads); each client holds one server-exported capability",
            )
        }
    };
    Ok(fields)
}
