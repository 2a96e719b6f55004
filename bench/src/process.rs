//! Child processes a benchmark starts and stops: the release server, the hello-world
//! baseline. Each is killed (and its scratch directory removed) when dropped, so a
//! panicking benchmark leaves nothing running.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running server process.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Its scratch directory, removed on drop.
    pub dir: PathBuf,
}

impl Server {
    /// The process ID, for reading its RSS and CPU from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the base URL ends in a port")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `cmd` with stdout piped and waits for the line `<marker><host:port>…`; the rest
/// of its output is drained so the child never blocks on a full pipe.
pub fn spawn_server(mut cmd: Command, marker: &str, dir: PathBuf) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("{cmd:?} exited before printing its address"))
            .unwrap();
        if let Some(a) = line.strip_prefix(marker) {
            break a.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base: format!("http://{addr}"),
        dir,
    }
}
