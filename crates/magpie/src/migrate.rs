//! `magpie admin migrate --to postgres://…`: moves an embedded deployment (the SQLite database
//! of the data directory) into the PostgreSQL database of a cluster, checked row for row.
//!
//! Every shared table is read in one read transaction of SQLite (the copy is of one moment;
//! stop the server first), written into PostgreSQL with the same ids, seqs and activities, and
//! then each table's rows are digested on both sides and compared (magpie_core::dump); the
//! server key (file links, device keys) goes along. With `--blobs s3://…` every file is copied
//! into the bucket too, each checked by its SHA-256; without it the files stay in the data
//! directory's `files/`, which the cluster's nodes then share.

use std::sync::Arc;

use anyhow::Context;
use magpie_core::dump::{Cell, Digester, Table, TableDigest};
use magpie_core::ports::LocalBus;
use magpie_store_postgres::PgStore;
use magpie_store_sqlite::dump::{Exported, export};

use crate::config::{Config, DatabaseKind, redact_url};

/// Rows written to PostgreSQL per transaction.
const BATCH_ROWS: usize = 1_000;
/// Batches read ahead of the writer.
const BATCHES_AHEAD: usize = 4;
/// Connections the migration opens to PostgreSQL.
const POOL_SIZE: usize = 2;

/// What the reading thread hands the writer.
enum Batch {
    Table(Table),
    Rows(Vec<Vec<Cell>>),
}

/// What a migration copied: each table with its rows' count and digest.
pub struct Report {
    pub tables: Vec<(Table, TableDigest)>,
    /// With a bucket: the files copied into it and their bytes, each checked by its digest.
    pub files: Option<(usize, u64)>,
}

/// Copies every blob named in `digests` from the data directory's files into the bucket at
/// `bucket` (its key from the environment), each through an upload that the bucket finishes
/// under the SHA-256 of what it received: a blob whose digest differs stops the migration.
async fn copy_blobs(config: &Config, bucket: &str, digests: &[String]) -> anyhow::Result<u64> {
    use magpie_blobs_s3::{S3Blobs, S3Config, S3Credentials};
    use magpie_core::files::FileId;
    use magpie_core::ports::BlobStore;
    let source = crate::serve::open_blobs(config)?;
    let s3 = S3Config::from_url(bucket, S3Credentials::from_env()?)?;
    let target = S3Blobs::open(&s3)?;
    target.check().await.with_context(|| format!("cannot reach the bucket {bucket}"))?;
    let mut bytes = 0;
    for (n, sha256) in digests.iter().enumerate() {
        let reader = source.read(sha256, None).await.with_context(|| format!("cannot read the file {sha256}"))?;
        let upload = FileId::random();
        target.start(&upload).await?;
        let written = target.append(&upload, 0, u64::MAX, false, reader).await?;
        if written.interrupted {
            anyhow::bail!("reading the file {sha256} broke off");
        }
        let finished = target.finish(&upload).await?;
        if finished.sha256 != *sha256 {
            anyhow::bail!("the file {sha256} arrived in the bucket as {}: it is damaged on disk", finished.sha256);
        }
        bytes += finished.size;
        if (n + 1) % 1000 == 0 {
            eprintln!("copied {} of {} files", n + 1, digests.len());
        }
    }
    Ok(bytes)
}

pub async fn run(config: &Config, to: &str, blobs: Option<&str>) -> anyhow::Result<Report> {
    if config.database_kind()? != DatabaseKind::Sqlite {
        anyhow::bail!("migrate copies the embedded SQLite database of the data directory; database is not \"sqlite\"");
    }
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        anyhow::bail!("--to must be a postgres:// URL, not {:?}", redact_url(to));
    }
    let source = config.database_path();
    if !source.exists() {
        anyhow::bail!("there is no database at {}", source.display());
    }
    let target = PgStore::open(to, POOL_SIZE, Arc::new(LocalBus::new(1)))
        .await
        .with_context(|| format!("cannot open the database at {}", redact_url(to)))?;
    if !target.is_empty().await? {
        anyhow::bail!("the database at {} is not empty: migrate only into a new database", redact_url(to));
    }

    // Read on a thread of its own (SQLite is synchronous), a bounded number of batches ahead.
    let (batches, mut incoming) = tokio::sync::mpsc::channel::<Batch>(BATCHES_AHEAD);
    let reader = tokio::task::spawn_blocking(move || {
        let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(BATCH_ROWS);
        let send = |batch: Batch| batches.blocking_send(batch).map_err(|_| "the writer stopped".to_owned());
        export(&source, |item| match item {
            Exported::Table(table) => {
                if !rows.is_empty() {
                    send(Batch::Rows(std::mem::take(&mut rows)))?;
                }
                send(Batch::Table(table))
            }
            Exported::Row(row) => {
                rows.push(row);
                if rows.len() >= BATCH_ROWS {
                    send(Batch::Rows(std::mem::replace(&mut rows, Vec::with_capacity(BATCH_ROWS))))?;
                }
                Ok(())
            }
        })?;
        if !rows.is_empty() {
            send(Batch::Rows(rows)).map_err(anyhow::Error::msg)?;
        }
        anyhow::Ok(())
    });

    if let Some(bucket) = blobs
        && !bucket.starts_with("s3://")
    {
        anyhow::bail!("--blobs must be an s3:// URL, not {bucket:?}");
    }
    let mut import = target.import();
    let mut copied: Vec<(Table, Digester)> = vec![];
    // The content digests of the files, from the blobs table, to copy them after the rows.
    let mut digests: Vec<String> = vec![];
    while let Some(batch) = incoming.recv().await {
        match batch {
            Batch::Table(table) => {
                eprintln!("copying {}", table.name);
                copied.push((table, Digester::default()));
            }
            Batch::Rows(rows) => {
                let Some((table, digester)) = copied.last_mut() else { anyhow::bail!("rows before their table") };
                let compared = table.compared_columns();
                if table.name == "blobs"
                    && let Some(at) = table.columns.iter().position(|c| c == "sha256")
                {
                    digests.extend(rows.iter().filter_map(|row| match &row[at] {
                        Cell::Text(sha256) => Some(sha256.clone()),
                        _ => None,
                    }));
                }
                for row in &rows {
                    let cells: Vec<Cell> = compared.iter().map(|&i| row[i].clone()).collect();
                    digester.add(&cells);
                }
                import.rows(table, rows).await.with_context(|| format!("cannot copy {}", table.name))?;
            }
        }
    }
    reader.await.context("the reading thread failed")??;
    import.finish().await?;
    // The key that signs file links and device keys moves too, so that links and devices known
    // before the move stay valid.
    let key_path = config.data_dir.join("files").join("link.key");
    if let Ok(bytes) = std::fs::read(&key_path) {
        let key: [u8; 32] =
            bytes.try_into().map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", key_path.display()))?;
        if target.server_key(key).await? != key {
            anyhow::bail!("the target database has a server key of its own");
        }
    }

    let files = match blobs {
        Some(bucket) => Some((digests.len(), copy_blobs(config, bucket, &digests).await?)),
        None => None,
    };
    // Check: every table holds in PostgreSQL exactly what SQLite held.
    let mut report = Report { tables: vec![], files };
    for (table, digester) in copied {
        let expected = digester.finish();
        let found = target.digest(&table.compared()).await?;
        if found != expected {
            anyhow::bail!(
                "{} differs after the copy: {} rows read, {} found, or their contents differ; the target database is \
                 not to be used",
                table.name,
                expected.rows,
                found.rows
            );
        }
        report.tables.push((table, expected));
    }
    Ok(report)
}
