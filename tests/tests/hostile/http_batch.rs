//! HTTP batch with raw HTTP/1.1 requests: every malformed request gets its status, and a good
//! batch POST still answers after each.

use std::net::SocketAddr;

use rpc_transports::http_batch::{self, HttpConfig};
use tests::{
    CalculatorImpl, CalculatorServer,
    hostile::{PATIENCE, panics},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MAX_BODY: usize = 4 * 1024;

/// Sends one request on a fresh connection and returns the status and body.
async fn request(addr: SocketAddr, method: &str, body: &[u8]) -> (u16, String) {
    let exchange = async {
        let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let head = format!(
            "{method} /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        tcp.write_all(head.as_bytes()).await.expect("write head");
        // The server may answer (413) and close before reading all of an oversize body.
        let _ = tcp.write_all(body).await;
        let mut response = Vec::new();
        let _ = tcp.read_to_end(&mut response).await;
        response
    };
    let response = tokio::time::timeout(PATIENCE, exchange)
        .await
        .expect("an answer in time: the server hangs");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    (status, body.unwrap_or_default())
}

async fn good_batch_answers(addr: SocketAddr, case: &str) {
    let body = "[\"push\",[\"pipeline\",0,[\"add\"],[20,22]]]\n[\"pull\",1]";
    let (status, text) = request(addr, "POST", body.as_bytes()).await;
    assert_eq!(
        (status, text.as_str()),
        (200, r#"["resolve",1,42]"#),
        "[{case}]"
    );
    assert_eq!(panics::on_this_thread(), 0, "[{case}] something panicked");
}

#[tokio::test]
async fn malformed_batches_get_their_status_and_the_server_goes_on() {
    panics::watch();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let imp = CalculatorImpl::default();
    let config = HttpConfig::default().with_max_body_bytes(MAX_BODY);
    let serving = tokio::spawn(http_batch::serve_with(
        listener,
        move || CalculatorServer::new(imp.clone()),
        config,
    ));
    good_batch_answers(addr, "first").await;

    let oversize = format!(
        "[\"push\",[\"pipeline\",0,[\"add\"],[1,2,\"{}\"]]]",
        "x".repeat(MAX_BODY)
    );
    let cases: [(&str, &str, &[u8], u16); 8] = [
        // capnweb splits on "\n": the empty last message is malformed, so the session aborts.
        ("trailing newline", "POST", b"[\"pull\",0]\n", 500),
        ("a hostile message", "POST", b"[\"pull\",99]", 500),
        ("oversize body", "POST", oversize.as_bytes(), 413),
        ("GET", "GET", b"", 405),
        ("PUT", "PUT", b"[\"pull\",0]", 405),
        ("DELETE", "DELETE", b"", 405),
        ("invalid UTF-8", "POST", b"[\"push\",\"\xff\xfe\"]", 400),
        ("an empty body is no messages", "POST", b"", 200),
    ];
    for (case, method, body, expected) in cases {
        let (status, text) = request(addr, method, body).await;
        assert_eq!(status, expected, "[{case}] answered {text:?}");
        good_batch_answers(addr, case).await;
    }
    serving.abort();
}
