//! An in-process TCP proxy on 127.0.0.1 that delays every byte by a fixed time each way
//! without limiting bandwidth, and a measure of its own round trip.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use rpc_transports::{Frame, tcp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::harness::Res;

/// Starts a proxy to `upstream` delaying each direction by `delay`; returns its address.
pub async fn start(upstream: SocketAddr, delay: Duration) -> Res<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((down, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(up) = TcpStream::connect(upstream).await else {
                    return;
                };
                let _ = down.set_nodelay(true);
                let _ = up.set_nodelay(true);
                let (dr, dw) = down.into_split();
                let (ur, uw) = up.into_split();
                tokio::spawn(pump(dr, uw, delay));
                tokio::spawn(pump(ur, dw, delay));
            });
        }
    });
    Ok(addr)
}

/// Copies `from` to `to`, each chunk written `delay` after it was read.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    delay: Duration,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = tokio::spawn(async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due.into()).await;
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    });
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if tx
                    .send((Instant::now() + delay, buf[..n].to_vec()))
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// The median round trip of a tiny framed ping through a proxy adding `delay` each way to a
/// raw echo server: the floor any call through that proxy pays.
pub async fn measure_rtt(delay: Duration) -> Res<Duration> {
    let listener = tcp::TcpListener::bind("127.0.0.1:0").await?;
    let echo_addr = listener.local_addr()?;
    tokio::spawn(async move {
        let Ok((mut conn, _)) = listener.accept().await else {
            return;
        };
        while let Some(Ok(frame)) = conn.next().await {
            if conn.send(frame).await.is_err() {
                break;
            }
        }
    });
    let proxy = start(echo_addr, delay).await?;
    let mut conn = tcp::connect(proxy).await?;
    let mut times = Vec::new();
    for i in 0..21u8 {
        let start = Instant::now();
        conn.send(Frame::Binary(vec![i].into())).await?;
        conn.next().await.ok_or("echo closed")??;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}
