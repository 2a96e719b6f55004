//! A real SMTP server for mail tests: aiosmtpd (from PyPI), run as a child process on a
//! free loopback port, writing every message it accepts to a Maildir the test reads.
//! It is not a stand-in: the app speaks SMTP to it over TCP exactly as to a relay.
//!
//! When `python3 -m aiosmtpd` is not installed the SMTP tests skip with a message,
//! unless `NEXUS_TEST_REQUIRE_SMTP=1` (CI sets it), which turns the skip into a failure.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpServer {
    child: Child,
    dir: PathBuf,
    /// `smtp://127.0.0.1:<port>`.
    pub url: String,
}

impl SmtpServer {
    /// Starts a server, or `None` (with a note) when aiosmtpd is unavailable here.
    pub async fn start() -> Option<Self> {
        let have = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !have {
            assert!(
                std::env::var("NEXUS_TEST_REQUIRE_SMTP").is_err(),
                "NEXUS_TEST_REQUIRE_SMTP is set but python3 cannot import aiosmtpd (pip install aiosmtpd)"
            );
            eprintln!("skipping: aiosmtpd is not installed (pip install aiosmtpd)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("nexus-smtp-{}", uuid::Uuid::new_v4().simple()));
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            dir,
            url: format!("smtp://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start listening on port {port} within 10 s");
    }

    /// Every message delivered so far, as raw RFC 5322 text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect()
    }

    /// Waits (up to 15 s) for a message to `to` and returns it with its body decoded.
    pub async fn wait_for(&self, to: &str) -> String {
        for _ in 0..150 {
            if let Some(m) = self
                .messages()
                .into_iter()
                .find(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(to)))
            {
                return decode_quoted_printable(&m);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no mail to {to} reached the SMTP server in 15 s");
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Undoes quoted-printable (soft line breaks and `=XX`) if the message uses it; the mail
/// builder picks that encoding for bodies with long lines.
fn decode_quoted_printable(raw: &str) -> String {
    if !raw.contains("Content-Transfer-Encoding: quoted-printable") {
        return raw.to_owned();
    }
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
