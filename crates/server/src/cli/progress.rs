//! Human-friendly progress lines for CLI steps: `→ step… done (12 ms)`.

use std::future::Future;
use std::io::Write;
use std::time::Instant;

/// Runs one step, printing its name first and its outcome and duration after.
pub(super) async fn step<T, E: std::fmt::Display>(
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, super::CliError> {
    print!("→ {what}… ");
    let _ = std::io::stdout().flush();
    let started = Instant::now();
    match fut.await {
        Ok(v) => {
            println!("done ({} ms)", started.elapsed().as_millis());
            Ok(v)
        }
        Err(e) => {
            println!("failed");
            Err(super::CliError(format!("{what}: {e}")))
        }
    }
}
