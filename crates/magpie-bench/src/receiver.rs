//! The HTTP services the bench runs for the server to call (the push gateway of `push`, the app
//! of `webhooks`): each on a thread of its own at the least CPU priority.

use std::net::SocketAddr;

use anyhow::{Context, Result};

/// How much less CPU priority a receiver has than the rest of the machine (the `nice`
/// increment; 19 is the least priority).
const RECEIVER_NICE: i32 = 19;

/// Serves `app` on `listen` until the bench ends.
///
/// A receiver stands for a service on machines of its own; here it shares the server's. So it
/// runs on a thread of its own at the least CPU priority: it takes what the server and the
/// bench's clients leave, and what it costs is not counted against the server's sends. `name`
/// names the thread.
pub fn serve(listen: SocketAddr, app: axum::Router, name: &str) -> Result<()> {
    let listener = std::net::TcpListener::bind(listen).with_context(|| format!("listen on {listen}"))?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name(name.to_owned()).spawn(move || {
        // Best effort: where the kernel refuses, the receiver runs at the bench's priority.
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), RECEIVER_NICE);
        runtime.block_on(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => {
                    let _ = axum::serve(listener, app).await;
                }
                Err(e) => eprintln!("the bench's receiver cannot listen on {listen}: {e}"),
            }
        });
    })?;
    Ok(())
}
