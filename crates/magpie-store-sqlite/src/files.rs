//! Uploads, files and blob reference counts: SQL in, core types out.

use async_trait::async_trait;
use magpie_core::ports::{FileStore, StickerStore};

use crate::{SqliteStore, StoreResult};
use magpie_core::files::{FILE_BYTES_MIN, FileId, StoredFile, ThumbnailRef, Upload};
use magpie_core::model::{AccountId, DomainId};
use magpie_core::stickers::{Sticker, StickerPack};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::Tx;

fn id_of(row: &Row<'_>, col: usize) -> rusqlite::Result<FileId> {
    let id: String = row.get(col)?;
    FileId::parse(&id).map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Text,
            "invalid file id in database".into(),
        )
    })
}

fn size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Records an upload if the account's usage with it stays within `quota_bytes`; `false` (and
/// nothing recorded) if not. The usage is read in the write transaction, so uploads created
/// at once cannot each pass the check against the same usage.
pub(crate) fn create_upload(tx: &Tx<'_>, u: &Upload, quota_bytes: u64) -> rusqlite::Result<bool> {
    let used = bytes_used(tx, u.account)?;
    if used.saturating_add(u.length.max(FILE_BYTES_MIN)) > quota_bytes {
        return Ok(false);
    }
    tx.execute(
        "INSERT INTO uploads (id, account_id, length, offset, name, declared_type, created_at_ms, expires_at_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            u.id.as_str(),
            u.account.0,
            size(u.length),
            size(u.offset),
            u.name,
            u.declared_type,
            u.created_at_ms,
            u.expires_at_ms
        ],
    )
    .map(|_| true)
}

pub(crate) fn upload(conn: &Connection, id: &FileId) -> rusqlite::Result<Option<Upload>> {
    conn.prepare_cached(
        "SELECT id, account_id, length, offset, name, declared_type, created_at_ms, expires_at_ms \
         FROM uploads WHERE id = ?1",
    )?
    .query_row([id.as_str()], |r| {
        Ok(Upload {
            id: id_of(r, 0)?,
            account: AccountId(r.get(1)?),
            length: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
            offset: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            name: r.get(4)?,
            declared_type: r.get(5)?,
            created_at_ms: r.get(6)?,
            expires_at_ms: r.get(7)?,
        })
    })
    .optional()
}

pub(crate) fn set_upload_offset(tx: &Tx<'_>, id: &FileId, offset: u64, expires_at_ms: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE uploads SET offset = ?2, expires_at_ms = ?3 WHERE id = ?1",
        params![id.as_str(), size(offset), expires_at_ms],
    )
    .map(drop)
}

pub(crate) fn delete_upload(tx: &Tx<'_>, id: &FileId) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM uploads WHERE id = ?1", [id.as_str()]).map(drop)
}

fn add_blob_ref(tx: &Tx<'_>, sha256: &str, bytes: u64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO blobs (sha256, size, refs) VALUES (?1, ?2, 1) ON CONFLICT (sha256) DO UPDATE SET refs = refs + 1",
    )?
    .execute(params![sha256, size(bytes)])
    .map(drop)
}

/// Drops one reference to a blob; returns true if that was the last.
pub(crate) fn drop_blob_ref(tx: &Tx<'_>, sha256: &str) -> rusqlite::Result<bool> {
    let refs: i64 =
        tx.query_row("UPDATE blobs SET refs = refs - 1 WHERE sha256 = ?1 RETURNING refs", [sha256], |r| r.get(0))?;
    if refs <= 0 {
        tx.execute("DELETE FROM blobs WHERE sha256 = ?1", [sha256])?;
    }
    Ok(refs <= 0)
}

pub(crate) fn complete_upload(tx: &Tx<'_>, f: &StoredFile) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM uploads WHERE id = ?1", [f.id.as_str()])?;
    add_blob_ref(tx, &f.sha256, f.size)?;
    tx.execute(
        "INSERT INTO files (id, account_id, sha256, size, media_type, name, created_at_ms, width, height, blurhash, \
         duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            f.id.as_str(),
            f.account.0,
            f.sha256,
            size(f.size),
            f.media_type,
            f.name,
            f.created_at_ms,
            f.width,
            f.height,
            f.blurhash,
            f.duration_ms.map(size)
        ],
    )?;
    for t in &f.thumbnails {
        add_blob_ref(tx, &t.sha256, t.size)?;
        tx.execute(
            "INSERT INTO thumbnails (file_id, side, sha256, size, width, height) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![f.id.as_str(), t.side, t.sha256, size(t.size), t.width, t.height],
        )?;
    }
    Ok(())
}

pub(crate) fn file(conn: &Connection, id: &FileId) -> rusqlite::Result<Option<StoredFile>> {
    conn.prepare_cached(
        "SELECT id, account_id, sha256, size, media_type, name, created_at_ms, width, height, blurhash, duration_ms \
         FROM files WHERE id = ?1",
    )?
    .query_row([id.as_str()], |r| {
        Ok(StoredFile {
            id: id_of(r, 0)?,
            account: AccountId(r.get(1)?),
            sha256: r.get(2)?,
            size: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            media_type: r.get(4)?,
            name: r.get(5)?,
            created_at_ms: r.get(6)?,
            width: r.get(7)?,
            height: r.get(8)?,
            blurhash: r.get(9)?,
            thumbnails: vec![],
            duration_ms: r.get::<_, Option<i64>>(10)?.and_then(|d| u64::try_from(d).ok()),
        })
    })
    .optional()?
    .map(|mut f| {
        f.thumbnails = thumbnails(conn, &f.id)?;
        Ok(f)
    })
    .transpose()
}

fn thumbnails(conn: &Connection, id: &FileId) -> rusqlite::Result<Vec<ThumbnailRef>> {
    conn.prepare_cached("SELECT side, sha256, size, width, height FROM thumbnails WHERE file_id = ?1 ORDER BY side")?
        .query_map([id.as_str()], |r| {
            Ok(ThumbnailRef {
                side: r.get(0)?,
                sha256: r.get(1)?,
                size: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                width: r.get(3)?,
                height: r.get(4)?,
            })
        })?
        .collect()
}

pub(crate) fn bytes_used(conn: &Connection, account: AccountId) -> rusqlite::Result<u64> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT coalesce((SELECT sum(max(size, ?2)) FROM files WHERE account_id = ?1), 0) + \
             coalesce((SELECT sum(max(length, ?2)) FROM uploads WHERE account_id = ?1), 0)",
        )?
        .query_row(params![account.0, size(FILE_BYTES_MIN)], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn file_shared_with(conn: &Connection, file: &FileId, account: AccountId) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM file_refs r \
         JOIN members m ON m.conversation_id = r.conversation_id AND m.account_id = ?2 \
         JOIN entries e ON e.conversation_id = r.conversation_id AND e.seq = r.seq \
         WHERE r.file_id = ?1 AND r.seq >= m.joined_seq AND (m.left_seq IS NULL OR r.seq < m.left_seq) \
         AND e.recalled_at_ms IS NULL) \
         OR EXISTS (SELECT 1 FROM stickers s JOIN sticker_packs p ON p.id = s.pack_id \
                    JOIN accounts a ON a.id = ?2 WHERE s.file_id = ?1 AND p.domain_id = a.domain_id) \
         OR (EXISTS (SELECT 1 FROM files f JOIN accounts up ON up.id = f.account_id JOIN accounts me ON me.id = ?2 \
                     WHERE f.id = ?1 AND up.domain_id = me.domain_id) \
             AND (EXISTS (SELECT 1 FROM accounts WHERE avatar = ?1) \
                  OR EXISTS (SELECT 1 FROM conversations WHERE avatar = ?1)))",
    )?
    .query_row(params![file.as_str(), account.0], |r| r.get(0))
}

/// Deletes uploads that expired before `now_ms`, at most `limit`; returns their ids.
pub(crate) fn take_expired_uploads(tx: &Tx<'_>, now_ms: i64, limit: usize) -> rusqlite::Result<Vec<FileId>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids: Vec<FileId> = tx
        .prepare_cached("SELECT id FROM uploads WHERE expires_at_ms < ?1 ORDER BY expires_at_ms LIMIT ?2")?
        .query_map(params![now_ms, limit], |r| id_of(r, 0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut delete = tx.prepare_cached("DELETE FROM uploads WHERE id = ?1")?;
    for id in &ids {
        delete.execute([id.as_str()])?;
    }
    Ok(ids)
}

/// Deletes files never shared that were made before `before_ms`, at most `limit`, and the
/// blobs no file uses any more; returns the digests of those blobs.
pub(crate) fn take_unshared_files(tx: &Tx<'_>, before_ms: i64, limit: usize) -> rusqlite::Result<Vec<String>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let files: Vec<(String, String)> = tx
        .prepare_cached(
            "SELECT id, sha256 FROM files WHERE shared = 0 AND created_at_ms < ?1 \
             AND NOT EXISTS (SELECT 1 FROM accounts WHERE avatar = files.id) \
             AND NOT EXISTS (SELECT 1 FROM conversations WHERE avatar = files.id) \
             AND NOT EXISTS (SELECT 1 FROM scheduled_files WHERE file_id = files.id) LIMIT ?2",
        )?
        .query_map(params![before_ms, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut orphaned = vec![];
    for (id, sha256) in files {
        let thumbs: Vec<String> = tx
            .prepare_cached("SELECT sha256 FROM thumbnails WHERE file_id = ?1")?
            .query_map([&id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tx.execute("DELETE FROM thumbnails WHERE file_id = ?1", [&id])?;
        tx.execute("DELETE FROM files WHERE id = ?1", [&id])?;
        for blob in thumbs.into_iter().chain(std::iter::once(sha256)) {
            if drop_blob_ref(tx, &blob)? {
                orphaned.push(blob);
            }
        }
    }
    Ok(orphaned)
}

pub(crate) fn blob_in_use(conn: &Connection, sha256: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = ?1 AND refs > 0)")?
        .query_row([sha256], |r| r.get(0))
}

pub(crate) fn create_sticker_pack(
    tx: &Tx<'_>,
    domain: DomainId,
    name: &str,
    at_ms: i64,
) -> rusqlite::Result<StickerPack> {
    tx.execute(
        "INSERT INTO sticker_packs (domain_id, name, created_at_ms) VALUES (?1, ?2, ?3)",
        params![domain.0, name, at_ms],
    )?;
    Ok(StickerPack {
        id: tx.last_insert_rowid(),
        domain_id: domain,
        name: name.to_owned(),
        created_at_ms: at_ms,
        stickers: vec![],
    })
}

pub(crate) fn add_sticker(tx: &Tx<'_>, pack: i64, file: &FileId, emoji: Option<&str>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO stickers (pack_id, file_id, emoji, position) \
         VALUES (?1, ?2, ?3, (SELECT coalesce(max(position), 0) + 1 FROM stickers WHERE pack_id = ?1))",
        params![pack, file.as_str(), emoji],
    )?;
    tx.execute("UPDATE files SET shared = 1 WHERE id = ?1", [file.as_str()]).map(drop)
}

fn stickers_of(conn: &Connection, pack: i64) -> rusqlite::Result<Vec<Sticker>> {
    conn.prepare_cached(
        "SELECT s.file_id, s.emoji, f.width, f.height FROM stickers s JOIN files f ON f.id = s.file_id \
         WHERE s.pack_id = ?1 ORDER BY s.position",
    )?
    .query_map([pack], |r| Ok(Sticker { file: id_of(r, 0)?, emoji: r.get(1)?, width: r.get(2)?, height: r.get(3)? }))?
    .collect()
}

fn pack_from_row(r: &Row<'_>) -> rusqlite::Result<StickerPack> {
    Ok(StickerPack {
        id: r.get(0)?,
        domain_id: DomainId(r.get(1)?),
        name: r.get(2)?,
        created_at_ms: r.get(3)?,
        stickers: vec![],
    })
}

pub(crate) fn sticker_pack(conn: &Connection, id: i64) -> rusqlite::Result<Option<StickerPack>> {
    let pack = conn
        .prepare_cached("SELECT id, domain_id, name, created_at_ms FROM sticker_packs WHERE id = ?1")?
        .query_row([id], pack_from_row)
        .optional()?;
    pack.map(|mut p| {
        p.stickers = stickers_of(conn, p.id)?;
        Ok(p)
    })
    .transpose()
}

pub(crate) fn sticker_packs(conn: &Connection, domain: DomainId) -> rusqlite::Result<Vec<StickerPack>> {
    let packs: Vec<StickerPack> = conn
        .prepare_cached(
            "SELECT id, domain_id, name, created_at_ms FROM sticker_packs WHERE domain_id = ?1 ORDER BY id",
        )?
        .query_map([domain.0], pack_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    packs
        .into_iter()
        .map(|mut p| {
            p.stickers = stickers_of(conn, p.id)?;
            Ok(p)
        })
        .collect()
}

#[async_trait]
impl FileStore for SqliteStore {
    async fn create_upload(&self, upload: &Upload, quota_bytes: u64) -> StoreResult<bool> {
        let upload = upload.clone();
        self.write(move |tx| create_upload(tx, &upload, quota_bytes)).await
    }

    async fn upload(&self, id: &FileId) -> StoreResult<Option<Upload>> {
        let id = id.clone();
        self.read(move |c| upload(c, &id)).await
    }

    async fn set_upload_offset(&self, id: &FileId, offset: u64, expires_at_ms: i64) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |tx| set_upload_offset(tx, &id, offset, expires_at_ms)).await
    }

    async fn delete_upload(&self, id: &FileId) -> StoreResult<()> {
        let id = id.clone();
        self.write(move |tx| delete_upload(tx, &id)).await
    }

    async fn complete_upload(&self, file: &StoredFile) -> StoreResult<()> {
        let file = file.clone();
        self.write(move |tx| complete_upload(tx, &file)).await
    }

    async fn file(&self, id: &FileId) -> StoreResult<Option<StoredFile>> {
        let id = id.clone();
        self.read(move |c| file(c, &id)).await
    }

    async fn bytes_used(&self, account: AccountId) -> StoreResult<u64> {
        self.read(move |c| bytes_used(c, account)).await
    }

    async fn file_shared_with(&self, file: &FileId, account: AccountId) -> StoreResult<bool> {
        let file = file.clone();
        self.read(move |c| file_shared_with(c, &file, account)).await
    }

    async fn take_expired_uploads(&self, now_ms: i64, limit: usize) -> StoreResult<Vec<FileId>> {
        self.write(move |tx| take_expired_uploads(tx, now_ms, limit)).await
    }

    async fn take_unshared_files(&self, before_ms: i64, limit: usize) -> StoreResult<Vec<String>> {
        self.write(move |tx| take_unshared_files(tx, before_ms, limit)).await
    }

    async fn blob_in_use(&self, sha256: &str) -> StoreResult<bool> {
        let sha256 = sha256.to_owned();
        self.read(move |c| blob_in_use(c, &sha256)).await
    }
}

#[async_trait]
impl StickerStore for SqliteStore {
    async fn create_sticker_pack(&self, domain: DomainId, name: &str, at_ms: i64) -> StoreResult<StickerPack> {
        let name = name.to_owned();
        self.write(move |tx| create_sticker_pack(tx, domain, &name, at_ms)).await
    }

    async fn add_sticker(&self, pack: i64, file: &FileId, emoji: Option<&str>) -> StoreResult<()> {
        let (file, emoji) = (file.clone(), emoji.map(str::to_owned));
        self.write(move |tx| add_sticker(tx, pack, &file, emoji.as_deref())).await
    }

    async fn sticker_pack(&self, id: i64) -> StoreResult<Option<StickerPack>> {
        self.read(move |c| sticker_pack(c, id)).await
    }

    async fn sticker_packs(&self, domain: DomainId) -> StoreResult<Vec<StickerPack>> {
        self.read(move |c| sticker_packs(c, domain)).await
    }
}
