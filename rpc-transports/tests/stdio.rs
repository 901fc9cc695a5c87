#![cfg(feature = "stdio")]

mod common;

use std::io;

use common::{payload, within_time};
use futures::{SinkExt, StreamExt};
use rpc_core::Frame;
use rpc_transports::stdio;
use tokio::process::Command;

fn echo_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stdio-echo"))
}

#[tokio::test]
async fn child_echoes_frames_and_exits_cleanly_when_stdin_closes() {
    within_time(async {
        let (mut child, transport) = stdio::spawn_child(echo_command()).unwrap();
        let frames = [
            Frame::Binary(payload(0, 0)),
            Frame::Binary(payload(1, 1)),
            Frame::Binary(payload(64 * 1024, 2)),
            Frame::Binary(payload(1024 * 1024, 3)),
        ];
        // Send and receive at once: the pipes hold only ~64 KiB, so sending the 1 MiB frame
        // before reading would deadlock against the child's blocked echo.
        let (mut sink, mut stream) = transport.split();
        let send_all = async {
            for frame in &frames {
                sink.send(frame.clone()).await.unwrap();
            }
            // Text goes out as bytes, so its echo comes back binary.
            sink.send(Frame::Text("hi".into())).await.unwrap();
        };
        let receive_all = async {
            for frame in &frames {
                assert_eq!(&stream.next().await.unwrap().unwrap(), frame);
            }
            assert_eq!(
                stream.next().await.unwrap().unwrap(),
                Frame::Binary("hi".into())
            );
        };
        futures::join!(send_all, receive_all);

        sink.close().await.unwrap();
        assert!(stream.next().await.is_none(), "child closed stdout");
        let status = child.wait().await.unwrap();
        assert!(status.success(), "{status}");
    })
    .await;
}

#[tokio::test]
async fn from_child_needs_both_pipes() {
    within_time(async {
        let mut cmd = echo_command();
        cmd.stdin(std::process::Stdio::piped());
        cmd.stdout(std::process::Stdio::null());
        let mut child = cmd.spawn().unwrap();

        let err = stdio::from_child(&mut child).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(child.stdin.is_some(), "the stdin pipe is left in place");

        drop(child.stdin.take()); // the echo child exits at end of input
        assert!(child.wait().await.unwrap().success());
    })
    .await;
}
