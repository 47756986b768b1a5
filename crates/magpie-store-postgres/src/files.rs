//! Uploads, files, blob reference counts and sticker packs: SQL in, core types out.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::files::{FILE_BYTES_MIN, FileId, StoredFile, ThumbnailRef, Upload};
use magpie_core::model::{AccountId, DomainId};
use magpie_core::ports::{FileStore, StickerStore};
use magpie_core::stickers::{Sticker, StickerPack};
use tokio_postgres::Row;

use crate::accounts::lock_account;
use crate::{PgResult, PgStore, StoreResult, Tx, corrupt, read, read_tx, write_tx};

fn id_of(row: &Row, col: usize) -> PgResult<FileId> {
    let id: String = row.try_get(col)?;
    FileId::parse(&id).map_err(|_| corrupt("file id"))
}

fn size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn dimension(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

async fn bytes_used(c: &impl GenericClient, account: AccountId) -> PgResult<u64> {
    let sql = "SELECT (coalesce((SELECT sum(GREATEST(size, $2)) FROM files WHERE account_id = $1), 0) + \
               coalesce((SELECT sum(GREATEST(length, $2)) FROM uploads WHERE account_id = $1), 0))::bigint";
    let n: i64 = c.query_one(&c.prepare_cached(sql).await?, &[&account.0, &size(FILE_BYTES_MIN)]).await?.try_get(0)?;
    Ok(unsigned(n))
}

async fn add_blob_ref(tx: &Tx<'_>, sha256: &str, bytes: u64) -> PgResult<()> {
    let c = tx.c();
    let sql = "INSERT INTO blobs (sha256, size, refs) VALUES ($1, $2, 1) \
               ON CONFLICT (sha256) DO UPDATE SET refs = blobs.refs + 1";
    c.execute(&c.prepare_cached(sql).await?, &[&sha256, &size(bytes)]).await?;
    Ok(())
}

/// Drops one reference to a blob; returns true if that was the last.
pub(crate) async fn drop_blob_ref(tx: &Tx<'_>, sha256: &str) -> PgResult<bool> {
    let c = tx.c();
    let refs: i64 = c
        .query_one("UPDATE blobs SET refs = refs - 1 WHERE sha256 = $1 RETURNING refs", &[&sha256])
        .await?
        .try_get(0)?;
    if refs <= 0 {
        c.execute("DELETE FROM blobs WHERE sha256 = $1", &[&sha256]).await?;
    }
    Ok(refs <= 0)
}

async fn thumbnails(c: &impl GenericClient, id: &FileId) -> PgResult<Vec<ThumbnailRef>> {
    let sql = "SELECT side, sha256, size, width, height FROM thumbnails WHERE file_id = $1 ORDER BY side";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&id.as_str()]).await?;
    rows.iter()
        .map(|r| {
            Ok(ThumbnailRef {
                side: dimension(r.try_get(0)?).ok_or_else(|| corrupt("thumbnail side"))?,
                sha256: r.try_get(1)?,
                size: unsigned(r.try_get(2)?),
                width: dimension(r.try_get(3)?).ok_or_else(|| corrupt("thumbnail width"))?,
                height: dimension(r.try_get(4)?).ok_or_else(|| corrupt("thumbnail height"))?,
            })
        })
        .collect()
}

async fn stickers_of(c: &impl GenericClient, pack: i64) -> PgResult<Vec<Sticker>> {
    let sql = "SELECT s.file_id, s.emoji, f.width, f.height FROM stickers s JOIN files f ON f.id = s.file_id \
               WHERE s.pack_id = $1 ORDER BY s.position";
    let rows = c.query(&c.prepare_cached(sql).await?, &[&pack]).await?;
    rows.iter()
        .map(|r| {
            Ok(Sticker {
                file: id_of(r, 0)?,
                emoji: r.try_get(1)?,
                width: dimension(r.try_get(2)?),
                height: dimension(r.try_get(3)?),
            })
        })
        .collect()
}

fn pack_from_row(r: &Row) -> PgResult<StickerPack> {
    Ok(StickerPack {
        id: r.try_get(0)?,
        domain_id: DomainId(r.try_get(1)?),
        name: r.try_get(2)?,
        created_at_ms: r.try_get(3)?,
        stickers: vec![],
    })
}

#[async_trait]
impl FileStore for PgStore {
    async fn create_upload(&self, u: &Upload, quota_bytes: u64) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            // Uploads created at once must not each pass the check against the same usage.
            lock_account(tx, u.account).await?;
            let used = bytes_used(tx.c(), u.account).await?;
            if used.saturating_add(u.length.max(FILE_BYTES_MIN)) > quota_bytes {
                false
            } else {
                tx.c()
                    .execute(
                        "INSERT INTO uploads (id, account_id, length, \"offset\", name, declared_type, created_at_ms, \
                         expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        &[
                            &u.id.as_str(),
                            &u.account.0,
                            &size(u.length),
                            &size(u.offset),
                            &u.name,
                            &u.declared_type,
                            &u.created_at_ms,
                            &u.expires_at_ms,
                        ],
                    )
                    .await?;
                true
            }
        })
    }

    async fn upload(&self, id: &FileId) -> StoreResult<Option<Upload>> {
        read!(self, |c| {
            let sql = "SELECT id, account_id, length, \"offset\", name, declared_type, created_at_ms, expires_at_ms \
                       FROM uploads WHERE id = $1";
            let row = c.query_opt(&c.prepare_cached(sql).await?, &[&id.as_str()]).await?;
            match row {
                None => None,
                Some(r) => Some(Upload {
                    id: id_of(&r, 0)?,
                    account: AccountId(r.try_get(1)?),
                    length: unsigned(r.try_get(2)?),
                    offset: unsigned(r.try_get(3)?),
                    name: r.try_get(4)?,
                    declared_type: r.try_get(5)?,
                    created_at_ms: r.try_get(6)?,
                    expires_at_ms: r.try_get(7)?,
                }),
            }
        })
    }

    async fn set_upload_offset(&self, id: &FileId, offset: u64, expires_at_ms: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let sql = "UPDATE uploads SET \"offset\" = $2, expires_at_ms = $3 WHERE id = $1";
            tx.c().execute(sql, &[&id.as_str(), &size(offset), &expires_at_ms]).await?;
        })
    }

    async fn delete_upload(&self, id: &FileId) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c().execute("DELETE FROM uploads WHERE id = $1", &[&id.as_str()]).await?;
        })
    }

    async fn complete_upload(&self, f: &StoredFile) -> StoreResult<()> {
        write_tx!(self, |tx| {
            tx.c().execute("DELETE FROM uploads WHERE id = $1", &[&f.id.as_str()]).await?;
            add_blob_ref(tx, &f.sha256, f.size).await?;
            tx.c()
                .execute(
                    "INSERT INTO files (id, account_id, sha256, size, media_type, name, created_at_ms, width, height, \
                     blurhash, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    &[
                        &f.id.as_str(),
                        &f.account.0,
                        &f.sha256,
                        &size(f.size),
                        &f.media_type,
                        &f.name,
                        &f.created_at_ms,
                        &f.width.map(i64::from),
                        &f.height.map(i64::from),
                        &f.blurhash,
                        &f.duration_ms.map(size),
                    ],
                )
                .await?;
            for t in &f.thumbnails {
                add_blob_ref(tx, &t.sha256, t.size).await?;
                tx.c()
                    .execute(
                        "INSERT INTO thumbnails (file_id, side, sha256, size, width, height) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &[
                            &f.id.as_str(),
                            &i64::from(t.side),
                            &t.sha256,
                            &size(t.size),
                            &i64::from(t.width),
                            &i64::from(t.height),
                        ],
                    )
                    .await?;
            }
        })
    }

    async fn file(&self, id: &FileId) -> StoreResult<Option<StoredFile>> {
        read_tx!(self, |c| {
            let sql = "SELECT id, account_id, sha256, size, media_type, name, created_at_ms, width, height, blurhash, \
                       duration_ms FROM files WHERE id = $1";
            let row = c.query_opt(&c.prepare_cached(sql).await?, &[&id.as_str()]).await?;
            match row {
                None => None,
                Some(r) => Some(StoredFile {
                    id: id_of(&r, 0)?,
                    account: AccountId(r.try_get(1)?),
                    sha256: r.try_get(2)?,
                    size: unsigned(r.try_get(3)?),
                    media_type: r.try_get(4)?,
                    name: r.try_get(5)?,
                    created_at_ms: r.try_get(6)?,
                    width: dimension(r.try_get(7)?),
                    height: dimension(r.try_get(8)?),
                    blurhash: r.try_get(9)?,
                    thumbnails: thumbnails(c, id).await?,
                    duration_ms: r.try_get::<_, Option<i64>>(10)?.and_then(|d| u64::try_from(d).ok()),
                }),
            }
        })
    }

    async fn bytes_used(&self, account: AccountId) -> StoreResult<u64> {
        read!(self, |c| bytes_used(c, account).await?)
    }

    async fn file_shared_with(&self, file: &FileId, account: AccountId) -> StoreResult<bool> {
        read!(self, |c| {
            let sql = "SELECT EXISTS (SELECT 1 FROM file_refs r \
                 JOIN members m ON m.conversation_id = r.conversation_id AND m.account_id = $2 \
                 JOIN entries e ON e.conversation_id = r.conversation_id AND e.seq = r.seq \
                 WHERE r.file_id = $1 AND r.seq >= m.joined_seq AND (m.left_seq IS NULL OR r.seq < m.left_seq) \
                 AND e.recalled_at_ms IS NULL) \
                 OR EXISTS (SELECT 1 FROM stickers s JOIN sticker_packs p ON p.id = s.pack_id \
                            JOIN accounts a ON a.id = $2 WHERE s.file_id = $1 AND p.domain_id = a.domain_id) \
                 OR (EXISTS (SELECT 1 FROM files f JOIN accounts up ON up.id = f.account_id JOIN accounts me ON me.id = $2 \
                             WHERE f.id = $1 AND up.domain_id = me.domain_id) \
                     AND (EXISTS (SELECT 1 FROM accounts WHERE avatar = $1) \
                          OR EXISTS (SELECT 1 FROM conversations WHERE avatar = $1)))";
            c.query_one(&c.prepare_cached(sql).await?, &[&file.as_str(), &account.0]).await?.try_get(0)?
        })
    }

    async fn take_expired_uploads(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<FileId>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            // SKIP LOCKED: two nodes sweeping at once take different uploads.
            let rows = tx
                .c()
                .query(
                    "DELETE FROM uploads WHERE id IN (SELECT id FROM uploads WHERE expires_at_ms < $1 \
                     ORDER BY expires_at_ms LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id",
                    &[&now_ms, &limit],
                )
                .await?;
            rows.iter().map(|r| id_of(r, 0)).collect::<PgResult<Vec<_>>>()?
        })
    }

    async fn take_unshared_files(&self, before_ms: i64, limit: usize) -> StoreResult<Vec<String>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            let files = tx
                .c()
                .query(
                    "SELECT id, sha256 FROM files WHERE NOT shared AND created_at_ms < $1 \
                     AND NOT EXISTS (SELECT 1 FROM accounts WHERE avatar = files.id) \
                     AND NOT EXISTS (SELECT 1 FROM conversations WHERE avatar = files.id) \
                     AND NOT EXISTS (SELECT 1 FROM scheduled_files WHERE file_id = files.id) \
                     ORDER BY created_at_ms LIMIT $2 FOR UPDATE SKIP LOCKED",
                    &[&before_ms, &limit],
                )
                .await?;
            let mut orphaned = vec![];
            for row in &files {
                let (id, sha256): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                let thumbs = tx.c().query("DELETE FROM thumbnails WHERE file_id = $1 RETURNING sha256", &[&id]).await?;
                tx.c().execute("DELETE FROM files WHERE id = $1", &[&id]).await?;
                let mut blobs = thumbs.iter().map(|r| r.try_get::<_, String>(0)).collect::<Result<Vec<_>, _>>()?;
                blobs.push(sha256);
                for blob in blobs {
                    if drop_blob_ref(tx, &blob).await? {
                        orphaned.push(blob);
                    }
                }
            }
            orphaned
        })
    }

    async fn blob_in_use(&self, sha256: &str) -> StoreResult<bool> {
        read!(self, |c| {
            let sql = "SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1 AND refs > 0)";
            c.query_one(&c.prepare_cached(sql).await?, &[&sha256]).await?.try_get(0)?
        })
    }
}

#[async_trait]
impl StickerStore for PgStore {
    async fn create_sticker_pack(&self, domain: DomainId, name: &str, at_ms: i64) -> StoreResult<StickerPack> {
        write_tx!(self, |tx| {
            let id: i64 = tx
                .c()
                .query_one(
                    "INSERT INTO sticker_packs (domain_id, name, created_at_ms) VALUES ($1, $2, $3) RETURNING id",
                    &[&domain.0, &name, &at_ms],
                )
                .await?
                .try_get(0)?;
            StickerPack { id, domain_id: domain, name: name.to_owned(), created_at_ms: at_ms, stickers: vec![] }
        })
    }

    async fn add_sticker(&self, pack: i64, file: &FileId, emoji: Option<&str>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let c = tx.c();
            // Stickers added to one pack at once take positions one after the other.
            c.query_opt("SELECT 1 FROM sticker_packs WHERE id = $1 FOR NO KEY UPDATE", &[&pack]).await?;
            c.execute(
                "INSERT INTO stickers (pack_id, file_id, emoji, position) \
                 VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM stickers WHERE pack_id = $1)) \
                 ON CONFLICT DO NOTHING",
                &[&pack, &file.as_str(), &emoji],
            )
            .await?;
            c.execute("UPDATE files SET shared = TRUE WHERE id = $1", &[&file.as_str()]).await?;
        })
    }

    async fn sticker_pack(&self, id: i64) -> StoreResult<Option<StickerPack>> {
        read_tx!(self, |c| {
            let sql = "SELECT id, domain_id, name, created_at_ms FROM sticker_packs WHERE id = $1";
            match c.query_opt(sql, &[&id]).await? {
                None => None,
                Some(r) => {
                    let mut pack = pack_from_row(&r)?;
                    pack.stickers = stickers_of(c, pack.id).await?;
                    Some(pack)
                }
            }
        })
    }

    async fn sticker_packs(&self, domain: DomainId) -> StoreResult<Vec<StickerPack>> {
        read_tx!(self, |c| {
            let sql = "SELECT id, domain_id, name, created_at_ms FROM sticker_packs WHERE domain_id = $1 ORDER BY id";
            let mut packs =
                c.query(sql, &[&domain.0]).await?.iter().map(pack_from_row).collect::<PgResult<Vec<_>>>()?;
            for pack in &mut packs {
                pack.stickers = stickers_of(c, pack.id).await?;
            }
            packs
        })
    }
}
