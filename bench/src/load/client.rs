//! One simulated learner's HTTP/1.1 connection, as a browser holds one: opened on first
//! use from its own loopback source address (127.0.0.0/8 is all loopback, so 50,000
//! learners do not run out of ephemeral ports on one address), kept alive, and reopened
//! when the server has closed it while the learner was thinking.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::net::{Ipv4Addr, SocketAddr};

/// A learner's connection to `127.0.0.1:port`.
pub struct Conn {
    port: u16,
    source: Ipv4Addr,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Connections opened, the first included.
    pub opened: u32,
}

/// What a request got back.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: Bytes,
}

impl Conn {
    /// A connection for learner `n`, not yet open.
    pub fn new(port: u16, n: usize) -> Self {
        // 127.0.1.0 upwards, 250 learners per address.
        let k = u32::try_from(n / 250).unwrap_or(0);
        Self {
            port,
            source: Ipv4Addr::from(0x7f00_0100 + k),
            sender: None,
            opened: 0,
        }
    }

    async fn open(&mut self) -> Result<(), String> {
        let socket = tokio::net::TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
        socket
            .bind(SocketAddr::from((self.source, 0)))
            .map_err(|e| format!("bind: {e}"))?;
        let stream = socket
            .connect(SocketAddr::from(([127, 0, 0, 1], self.port)))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(conn);
        self.sender = Some(sender);
        self.opened += 1;
        Ok(())
    }

    /// Forgets the connection (after a timeout, its state is unknown); the next request
    /// opens a new one.
    pub fn drop_connection(&mut self) {
        self.sender = None;
    }

    /// Sends one request and reads the whole answer. A connection the server closed
    /// while idle is reopened first, as a browser would; a request that was sent and
    /// got no answer is an error.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&'static str, &str)],
        body: Option<Vec<u8>>,
    ) -> Result<Answer, String> {
        let idle_closed = match self.sender.as_mut() {
            None => true,
            Some(s) => s.ready().await.is_err(),
        };
        if idle_closed {
            self.open().await?;
        }
        let sender = self.sender.as_mut().ok_or("no connection")?;
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("127.0.0.1:{}", self.port));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| format!("request: {e}"))?;
        let resp = sender.send_request(req).await.map_err(|e| {
            self.sender = None;
            format!("send: {e}")
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok(Answer { status, body })
    }
}
