//! Small helpers for tests and examples.

use futures::{SinkExt, StreamExt, channel::mpsc};

use crate::{Frame, Transport, transport};

/// Two connected in-memory transports, for tests and doc examples.
///
/// `rpc-transports` has the full in-memory transport; this one exists so `rpc-core`'s own docs
/// and tests need nothing else.
///
/// ```
/// use futures::{SinkExt, StreamExt};
/// use rpc_core::Frame;
/// # futures::executor::block_on(async {
/// let (mut a, mut b) = rpc_core::testing::memory_pair();
/// a.send(Frame::Text("hi".into())).await.unwrap();
/// assert_eq!(b.next().await.unwrap().unwrap(), Frame::Text("hi".into()));
/// # });
/// ```
pub fn memory_pair() -> (impl Transport, impl Transport) {
    let (a_tx, a_rx) = mpsc::unbounded::<Frame>();
    let (b_tx, b_rx) = mpsc::unbounded::<Frame>();
    let a = transport::join(b_rx.map(Ok), a_tx.sink_map_err(std::io::Error::other));
    let b = transport::join(a_rx.map(Ok), b_tx.sink_map_err(std::io::Error::other));
    (a, b)
}
