//! Raw HTTP/1.1 over TCP, for requests a normal client cannot make: a body that
//! arrives slowly, so a request is provably in flight while something else happens.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request whose headers and first body half are sent; the rest waits for `finish`.
pub struct SlowRequest {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl SlowRequest {
    /// Sends the head and the first half of `body`.
    pub async fn start(
        addr: SocketAddr,
        method: &str,
        path: &str,
        extra_headers: &str,
        body: &str,
    ) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra_headers}\r\n",
            body.len()
        );
        let (first, rest) = body.as_bytes().split_at(body.len() / 2);
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(first).await.unwrap();
        stream.flush().await.unwrap();
        Self {
            stream,
            rest: rest.to_vec(),
        }
    }

    /// Sends the rest of the body and reads the whole response.
    pub async fn finish(mut self) -> String {
        // The server may already have answered (e.g. a timeout); a failed write is fine.
        let _ = self.stream.write_all(&self.rest).await;
        self.read_response().await
    }

    /// Reads the response without sending more.
    pub async fn read_response(mut self) -> String {
        let mut buf = Vec::new();
        let _ = self.stream.read_to_end(&mut buf).await;
        String::from_utf8_lossy(&buf).into_owned()
    }
}
