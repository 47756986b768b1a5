//! The PostgreSQL baseline of `magpie bench search`: the same corpus and queries on
//! PostgreSQL's full-text search (`to_tsvector('simple')`) and `pg_trgm`, what a user might
//! pick instead of Magpie's search. Like ejabberd and Prosody in the other scenarios, this is
//! a peer being measured, in a database of its own: the bench never reads Magpie's. It is the
//! one place outside the store adapters with SQL and a PostgreSQL client, and the
//! architecture tests name it as such.

use std::time::Instant;

use anyhow::{Context, Result};

use crate::corpus::Corpus;
use crate::search::{EngineReport, PG_BATCH_LEN, QueryReport, QuerySpec, SearchBench, micros, queries};
use crate::stats::Latency;

pub(crate) async fn postgres(url: &str, corpus: &Corpus, bench: &SearchBench) -> Result<Vec<EngineReport>> {
    let (pg, connection) =
        tokio_postgres::connect(url, tokio_postgres::NoTls).await.context("connect to PostgreSQL")?;
    tokio::spawn(connection);
    pg.batch_execute(
        "DROP TABLE IF EXISTS bench_messages;
         CREATE EXTENSION IF NOT EXISTS pg_trgm;
         CREATE TABLE bench_messages (
             id bigint PRIMARY KEY, conversation int NOT NULL, sender int NOT NULL, at_ms bigint NOT NULL,
             kind text NOT NULL, has_file bool NOT NULL, mentions int[] NOT NULL, text text NOT NULL);",
    )
    .await?;
    let started = Instant::now();
    let insert = pg
        .prepare(
            "INSERT INTO bench_messages SELECT id, conversation, sender, at_ms, kind, has_file,
                 CASE WHEN mention < 0 THEN '{}'::int[] ELSE ARRAY[mention] END, text
             FROM unnest($1::bigint[], $2::int[], $3::int[], $4::bigint[], $5::text[], $6::bool[], $7::int[], $8::text[])
                 AS t(id, conversation, sender, at_ms, kind, has_file, mention, text)",
        )
        .await?;
    let mut i = 0;
    while i < bench.messages {
        let end = (i + PG_BATCH_LEN as u64).min(bench.messages);
        let mut cols = PgColumns::default();
        for n in i..end {
            let m = corpus.message(n);
            cols.0.push(n as i64);
            cols.1.push(m.chat as i32);
            cols.2.push(m.sender as i32);
            cols.3.push(1_700_000_000_000 + n as i64 * 100);
            cols.4.push(if m.file_name.is_some() { "file" } else { "text" }.to_owned());
            cols.5.push(m.file_name.is_some());
            // The corpus names at most one member per message.
            cols.6.push(m.mentions.first().map_or(-1, |&u| u as i32));
            cols.7.push(m.file_name.unwrap_or(m.text));
        }
        pg.execute(&insert, &[&cols.0, &cols.1, &cols.2, &cols.3, &cols.4, &cols.5, &cols.6, &cols.7]).await?;
        i = end;
    }
    pg.batch_execute("VACUUM ANALYZE bench_messages").await?;
    let load_secs = started.elapsed().as_secs_f64();
    let readable: Vec<i32> =
        corpus.chats.iter().enumerate().filter(|(_, c)| c.members.contains(&0)).map(|(k, _)| k as i32).collect();

    let mut reports = Vec::new();
    for engine in ["postgres-simple", "postgres-trgm"] {
        let started = Instant::now();
        let (create, index) = match engine {
            "postgres-simple" => {
                ("CREATE INDEX bench_fts ON bench_messages USING gin (to_tsvector('simple', text))", "bench_fts")
            }
            _ => ("CREATE INDEX bench_trgm ON bench_messages USING gin (text gin_trgm_ops)", "bench_trgm"),
        };
        pg.batch_execute(create).await?;
        pg.batch_execute("ANALYZE bench_messages").await?;
        let build = started.elapsed().as_secs_f64();
        let size: i64 = pg.query_one("SELECT pg_relation_size($1::text::regclass)", &[&index]).await?.get(0);
        let mut report = EngineReport {
            engine: engine.to_owned(),
            load_secs,
            load_rate: bench.messages as f64 / load_secs,
            acked: bench.messages,
            failed: 0,
            server_cpu_us_per_message: None,
            usage: None,
            indexed_secs: None,
            indexing_rate: None,
            ack_to_searchable_under_load: None,
            ack_to_searchable_idle: None,
            probes_never_found: 0,
            index_build_secs: Some(build),
            index_bytes: Some(size as u64),
            index_bytes_per_message: Some(size as f64 / bench.messages.max(1) as f64),
            queries: Vec::new(),
        };
        for spec in queries() {
            let (sql, count_sql) = pg_query(engine, &spec);
            let terms: Vec<String> = spec.q.split_whitespace().map(|t| format!("%{t}%")).collect();
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&readable, &spec.q, &terms];
            let count: i64 = pg.query_one(&count_sql, &params).await?.get(0);
            let statement = pg.prepare(&sql).await?;
            let mut latency = Latency::default();
            for _ in 0..bench.repeats {
                let at = Instant::now();
                pg.query(&statement, &params).await?;
                latency.record(micros(at.elapsed()));
            }
            report.queries.push(QueryReport {
                name: spec.name.to_owned(),
                q: spec.q.to_owned(),
                worst: spec.worst,
                latency: latency.summary(),
                matches: count as u64,
            });
        }
        pg.batch_execute(&format!("DROP INDEX {index}")).await?;
        reports.push(report);
    }
    pg.batch_execute("DROP TABLE bench_messages").await?;
    Ok(reports)
}

/// One batch of rows for PostgreSQL, a vector per column.
type PgColumns = (Vec<i64>, Vec<i32>, Vec<i32>, Vec<i64>, Vec<String>, Vec<bool>, Vec<i32>, Vec<String>);

/// The page query (20 rows, as Magpie's default page) and the count query for `spec` on
/// `engine`; parameters: $1 the readable conversations, $2 the query, $3 its words as ILIKE
/// patterns. `simple` matches whole tokens (plainto_tsquery ANDs them) and ranks by ts_rank;
/// trigram matches substrings (every word, ILIKE) and has no relevance: newest first.
fn pg_query(engine: &str, spec: &QuerySpec) -> (String, String) {
    let mut filter = String::from("conversation = ANY($1)");
    if engine == "postgres-simple" {
        filter.push_str(" AND to_tsvector('simple', text) @@ plainto_tsquery('simple', $2) AND $3::text[] IS NOT NULL");
    } else {
        filter.push_str(" AND text ILIKE ALL($3::text[]) AND $2::text IS NOT NULL");
    }
    if spec.from_user1 {
        filter.push_str(" AND sender = 1");
    }
    if spec.has_file {
        filter.push_str(" AND has_file");
    }
    if spec.mentions_me {
        filter.push_str(" AND mentions @> ARRAY[0]");
    }
    let order = if spec.newest || engine != "postgres-simple" {
        "at_ms DESC"
    } else {
        "ts_rank(to_tsvector('simple', text), plainto_tsquery('simple', $2)) DESC"
    };
    (
        format!("SELECT id, conversation, text FROM bench_messages WHERE {filter} ORDER BY {order} LIMIT 20"),
        format!("SELECT count(*) FROM bench_messages WHERE {filter}"),
    )
}

// ---- the report ---------------------------------------------------------------------------
