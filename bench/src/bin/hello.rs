//! The load harness's ceiling: a bare hyper HTTP/1.1 server that answers every request
//! with one small JSON body, no routing, no state. The harness runs the same learner
//! sessions against it as against FinAI Nexus, so the difference is what our stack
//! costs; what it cannot reach is the machine's (and the load generator's) limit.
//!
//! Prints `hello listening on 127.0.0.1:<port>` and serves until killed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Every field a learner session reads from a real answer, so the scenario runs
/// unchanged against this server.
const BODY: &str = r#"{"token":"hello","id":"hello","questions":[],"items":[]}"#;

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("hello listening on {}", listener.local_addr().unwrap());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_req: Request<hyper::body::Incoming>| async {
                Ok::<_, std::convert::Infallible>(
                    Response::builder()
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from_static(BODY.as_bytes())))
                        .unwrap(),
                )
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
