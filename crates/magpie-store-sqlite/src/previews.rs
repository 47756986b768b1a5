//! The link-preview cache: SQL in, core types out.

use async_trait::async_trait;
use magpie_core::ports::PreviewStore;
use magpie_core::previews::{CachedPreview, PreviewCard, PreviewImage};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::{SqliteStore, StoreResult, Tx};

const COLUMNS: &str = "url, fetched_at_ms, expires_at_ms, found, title, description, site_name, \
     image_width, image_height, image_blurhash, image_sha256";

fn preview_from_row(row: &Row<'_>) -> rusqlite::Result<CachedPreview> {
    let found: bool = row.get(3)?;
    let image = match (row.get::<_, Option<u32>>(7)?, row.get::<_, Option<u32>>(8)?, row.get::<_, Option<String>>(10)?)
    {
        (Some(width), Some(height), Some(sha256)) => {
            Some(PreviewImage { width, height, blurhash: row.get(9)?, sha256 })
        }
        _ => None,
    };
    let card = found.then(|| -> rusqlite::Result<PreviewCard> {
        Ok(PreviewCard { title: row.get(4)?, description: row.get(5)?, site_name: row.get(6)?, image })
    });
    Ok(CachedPreview {
        url: row.get(0)?,
        fetched_at_ms: row.get(1)?,
        expires_at_ms: row.get(2)?,
        card: card.transpose()?,
    })
}

fn link_preview(conn: &Connection, url: &str) -> rusqlite::Result<Option<CachedPreview>> {
    let sql = format!("SELECT {COLUMNS} FROM link_previews WHERE url = ?1");
    conn.prepare_cached(&sql)?.query_row([url], preview_from_row).optional()
}

fn put_link_preview(tx: &Tx<'_>, preview: &CachedPreview, jpeg: Option<&[u8]>) -> rusqlite::Result<()> {
    let card = preview.card.as_ref();
    let image = card.and_then(|c| c.image.as_ref());
    tx.prepare_cached(
        "INSERT OR REPLACE INTO link_previews (url, fetched_at_ms, expires_at_ms, found, title, description, \
         site_name, image_width, image_height, image_blurhash, image_sha256, image_jpeg) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        preview.url,
        preview.fetched_at_ms,
        preview.expires_at_ms,
        card.is_some(),
        card.and_then(|c| c.title.as_deref()),
        card.and_then(|c| c.description.as_deref()),
        card.and_then(|c| c.site_name.as_deref()),
        image.map(|i| i.width),
        image.map(|i| i.height),
        image.and_then(|i| i.blurhash.as_deref()),
        image.map(|i| i.sha256.as_str()),
        image.and(jpeg),
    ])?;
    Ok(())
}

#[async_trait]
impl PreviewStore for SqliteStore {
    async fn link_preview(&self, url: &str) -> StoreResult<Option<CachedPreview>> {
        let url = url.to_owned();
        self.read(move |c| link_preview(c, &url)).await
    }

    async fn put_link_preview(&self, preview: &CachedPreview, image_jpeg: Option<&[u8]>) -> StoreResult<()> {
        let (preview, jpeg) = (preview.clone(), image_jpeg.map(<[u8]>::to_vec));
        self.write(move |tx| put_link_preview(tx, &preview, jpeg.as_deref())).await
    }

    async fn link_preview_image(&self, url: &str) -> StoreResult<Option<Vec<u8>>> {
        let url = url.to_owned();
        self.read(move |c| {
            let sql = "SELECT image_jpeg FROM link_previews WHERE url = ?1 AND found = 1";
            Ok(c.prepare_cached(sql)?.query_row([&url], |r| r.get::<_, Option<Vec<u8>>>(0)).optional()?.flatten())
        })
        .await
    }

    async fn prune_link_previews(&self, before_ms: i64, limit: usize) -> StoreResult<u64> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "DELETE FROM link_previews WHERE url IN \
                     (SELECT url FROM link_previews WHERE expires_at_ms < ?1 ORDER BY expires_at_ms LIMIT ?2)",
                )?
                .execute(params![before_ms, limit])?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}
