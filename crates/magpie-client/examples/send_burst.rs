//! Sends N messages from C concurrent REST clients into one direct chat and prints the rate
//! of durable (acknowledged) sends. A rough probe until `magpie bench` exists.
//!
//! ```sh
//! magpie admin user add alice --password-stdin <<< plum-kettle-orbit-47
//! magpie admin user add bob --password-stdin <<< plum-kettle-orbit-47
//! MAGPIE_REQUESTS_PER_SESSION_PER_SEC_MAX=0 MAGPIE_REQUESTS_PER_IP_PER_SEC_MAX=0 magpie serve &
//! cargo run --release -p magpie-client --example send_burst -- http://127.0.0.1:8080 32 3200
//! ```

use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: send_burst URL CLIENTS MESSAGES";
    let url = args.next().ok_or(usage)?;
    let clients: usize = args.next().ok_or(usage)?.parse()?;
    let messages: usize = args.next().ok_or(usage)?.parse()?;
    let anonymous = magpie_client::Client::new(&url)?;
    let (alice, _) = anonymous.login("alice@localhost", "plum-kettle-orbit-47").await?;
    let chat = alice.open_direct("bob@localhost").await?.id;
    let mut sessions = Vec::with_capacity(clients);
    for _ in 0..clients {
        sessions.push(anonymous.login("alice@localhost", "plum-kettle-orbit-47").await?.0);
    }
    let per_client = messages / clients.max(1);
    let start = Instant::now();
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(c, client)| {
            tokio::spawn(async move {
                for i in 0..per_client {
                    client.send_text(chat, &format!("burst-{c}-{i}"), "x").await?;
                }
                Ok::<(), magpie_client::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let sent = per_client * clients;
    let secs = start.elapsed().as_secs_f64();
    println!("{sent} durable sends by {clients} clients in {secs:.2} s: {:.0} msg/s", sent as f64 / secs);
    Ok(())
}
