//! `magpie admin audit …`: the audit log read from the data directory, as the operator (who
//! reads everything): a listing for people, or JSON Lines for other tools.

use std::io::Write;

use anyhow::Context;
use clap::{Args, Subcommand};
use magpie_core::Core;
use magpie_core::audit::{AUDIT_PAGE_LEN_MAX, AuditFilter};
use magpie_core::model::Actor;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Records newest first, one per line: time, domain, actor (role), ip, action, target,
    /// and the changed fields before → after.
    List {
        #[command(flatten)]
        filter: FilterArgs,
        /// How many records to print.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Every record the filter selects as JSON Lines, oldest first, the same lines as the REST
    /// API's `GET /v1/admin/audit/export`.
    Export {
        #[command(flatten)]
        filter: FilterArgs,
        /// Write to this file instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Only this domain's records.
    #[arg(long, conflicts_with = "deployment_only")]
    domain: Option<String>,
    /// Only deployment-wide records (no domain: a new domain, …).
    #[arg(long)]
    deployment_only: bool,
    /// Only actors whose name contains this (ignoring case).
    #[arg(long)]
    actor: Option<String>,
    /// Only this action, or this area's (`account` for `account.*`).
    #[arg(long)]
    action: Option<String>,
    /// Only targets that contain this (ignoring case).
    #[arg(long)]
    target: Option<String>,
    /// At or after this moment: an RFC 3339 time (2026-12-01T09:00:00+08:00) or a date
    /// (2026-12-01, from its start in UTC).
    #[arg(long, value_parser = parse_moment)]
    since: Option<i64>,
    /// Before this moment (the same forms as --since).
    #[arg(long, value_parser = parse_moment)]
    until: Option<i64>,
}

impl FilterArgs {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            deployment_only: self.deployment_only,
            actor: self.actor.clone(),
            action: self.action.clone(),
            target: self.target.clone(),
            since_ms: self.since,
            until_ms: self.until,
            ..AuditFilter::default()
        }
    }
}

/// A moment on the command line, in ms since the epoch.
pub(crate) fn parse_moment(text: &str) -> Result<i64, String> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let date: jiff::civil::Date =
        text.parse().map_err(|_| format!("{text:?} is neither an RFC 3339 time nor a date (YYYY-MM-DD)"))?;
    let start = jiff::tz::TimeZone::UTC.to_timestamp(date.to_datetime(jiff::civil::Time::midnight()));
    Ok(start.map_err(|e| e.to_string())?.as_millisecond())
}

pub async fn run(core: &Core, command: AuditCommand) -> anyhow::Result<()> {
    let op = Actor::Operator;
    match command {
        AuditCommand::List { filter, limit } => {
            let mut left = limit;
            let mut before = None;
            while left > 0 {
                let page_filter = AuditFilter { before_id: before, ..filter.filter() };
                let len = left.min(AUDIT_PAGE_LEN_MAX);
                let page = core.audit.list(op, filter.domain.as_deref(), page_filter, len).await?;
                for r in &page {
                    println!("{}", line(r));
                }
                left = left.saturating_sub(page.len());
                match page.last() {
                    Some(last) if page.len() == len => before = Some(last.id),
                    _ => break,
                }
            }
        }
        AuditCommand::Export { filter, output } => {
            let mut out: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create_new(path).with_context(|| format!("creating {}", path.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            let mut after = 0;
            let mut written = 0u64;
            loop {
                let page = core.audit.export_page(op, filter.domain.as_deref(), filter.filter(), after).await?;
                for r in &page {
                    serde_json::to_writer(&mut out, &magpie_http::audit_record_info(r))?;
                    out.write_all(b"\n")?;
                }
                written += page.len() as u64;
                match page.last() {
                    Some(last) if page.len() == magpie_core::audit::AUDIT_EXPORT_PAGE_LEN => after = last.id,
                    _ => break,
                }
            }
            out.flush()?;
            if let Some(path) = output {
                eprintln!("exported {written} records to {}", path.display());
            }
        }
    }
    Ok(())
}

/// A record on one line, for people.
fn line(r: &magpie_core::audit::AuditRecord) -> String {
    let at = jiff::Timestamp::from_millisecond(r.record.at_ms).map(|t| t.to_string()).unwrap_or_default();
    let json = |v: &Option<serde_json::Value>| v.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
    format!(
        "{at}\t{}\t{} ({})\t{}\t{}\t{}\t{} -> {}",
        r.domain_name.as_deref().unwrap_or("-"),
        r.record.actor.name,
        r.record.actor.role,
        r.record.ip.as_deref().unwrap_or("-"),
        r.record.action,
        r.record.target,
        json(&r.record.before),
        json(&r.record.after),
    )
}

/// Who runs the command line, for the records of what it does: the user `sudo` was run by, else
/// the login name, else the numeric user id.
pub fn operator_name() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| format!("uid {}", rustix::process::getuid().as_raw()))
}
