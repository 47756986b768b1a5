//! `magpie`: the server, its admin CLI and its load generator, in one binary.
//! This crate is glue: it reads configuration, builds the adapters and starts transports.

mod admin;
mod archive;
mod audit;
mod backup;
mod bots;
mod config;
mod migrate;
mod name_matcher;
mod redact;
mod search_index;
mod serve;
mod tls;
mod webhook_sender;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(name = "magpie", version, about = "Magpie (喜鹊): self-hosted enterprise instant messaging")]
struct Cli {
    /// TOML configuration file (env MAGPIE_CONFIG).
    #[arg(long, global = true, env = "MAGPIE_CONFIG")]
    config: Option<PathBuf>,
    /// Directory holding all state (overrides the config file and MAGPIE_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// "sqlite" or a postgres:// URL (overrides the config file and MAGPIE_DATABASE).
    #[arg(long, global = true)]
    database: Option<String>,
    /// "local" or a redis:// URL (overrides the config file and MAGPIE_BUS).
    #[arg(long, global = true)]
    bus: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default when no command is given).
    Serve(ServeArgs),
    /// Manage domains and accounts directly in the data directory; works whether or not the
    /// server is running.
    Admin {
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Load a running server and measure it (see BENCHMARKS.md).
    Bench(Box<magpie_bench::BenchArgs>),
}

#[derive(Debug, Default, clap::Args)]
struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080 (overrides MAGPIE_LISTEN).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Domain created at first start (overrides MAGPIE_DOMAIN).
    #[arg(long)]
    domain: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the annotated example configuration with every option and its default.
    Example,
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("magpie: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Config { command: ConfigCommand::Example }) = &cli.command {
        print!("{}", config::example());
        return Ok(());
    }
    if let Some(Command::Bench(args)) = cli.command {
        // The bench is a client: it reads no server configuration.
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        return runtime.block_on(magpie_bench::run(*args));
    }
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(database) = cli.database {
        config.database = database;
    }
    if let Some(bus) = cli.bus {
        config.bus = bus;
    }
    // A bad value is an error at start, before anything opens.
    config.database_kind()?;
    config.bus_kind()?;
    config.blobs_bucket()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            if let Some(listen) = args.listen {
                config.listen = listen;
            }
            if let Some(domain) = args.domain {
                config.domain = domain;
            }
            let logs = serve::init_logging(&config)?;
            runtime.block_on(serve::serve(config, logs))
        }
        Command::Admin { command } => runtime.block_on(admin::run(config, command)),
        Command::Config { .. } | Command::Bench(_) => Ok(()),
    }
}
