//! The link-preview cache: SQL in, core types out.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use magpie_core::ports::PreviewStore;
use magpie_core::previews::{CachedPreview, PreviewCard, PreviewImage};
use tokio_postgres::Row;

use crate::{PgResult, PgStore, StoreResult, corrupt, read, write_tx};

const COLUMNS: &str = "url, fetched_at_ms, expires_at_ms, found, title, description, site_name, \
     image_width, image_height, image_blurhash, image_sha256";

fn preview_from_row(row: &Row) -> PgResult<CachedPreview> {
    let found: bool = row.try_get(3)?;
    let side = |col: usize| -> PgResult<Option<u32>> {
        row.try_get::<_, Option<i64>>(col)?.map(|n| u32::try_from(n).map_err(|_| corrupt("image size"))).transpose()
    };
    let image = match (side(7)?, side(8)?, row.try_get::<_, Option<String>>(10)?) {
        (Some(width), Some(height), Some(sha256)) => {
            Some(PreviewImage { width, height, blurhash: row.try_get(9)?, sha256 })
        }
        _ => None,
    };
    let card = if found {
        Some(PreviewCard { title: row.try_get(4)?, description: row.try_get(5)?, site_name: row.try_get(6)?, image })
    } else {
        None
    };
    Ok(CachedPreview { url: row.try_get(0)?, fetched_at_ms: row.try_get(1)?, expires_at_ms: row.try_get(2)?, card })
}

async fn link_preview(c: &impl GenericClient, url: &str) -> PgResult<Option<CachedPreview>> {
    let sql = format!("SELECT {COLUMNS} FROM link_previews WHERE url = $1");
    c.query_opt(&c.prepare_cached(&sql).await?, &[&url]).await?.as_ref().map(preview_from_row).transpose()
}

#[async_trait]
impl PreviewStore for PgStore {
    async fn link_preview(&self, url: &str) -> StoreResult<Option<CachedPreview>> {
        read!(self, |c| link_preview(c, url).await?)
    }

    async fn put_link_preview(&self, preview: &CachedPreview, image_jpeg: Option<&[u8]>) -> StoreResult<()> {
        let card = preview.card.as_ref();
        let image = card.and_then(|c| c.image.as_ref());
        let jpeg = image.and(image_jpeg);
        write_tx!(self, |tx| {
            let sql = "INSERT INTO link_previews (url, fetched_at_ms, expires_at_ms, found, title, description, \
                       site_name, image_width, image_height, image_blurhash, image_sha256, image_jpeg) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                       ON CONFLICT (url) DO UPDATE SET fetched_at_ms = $2, expires_at_ms = $3, found = $4, title = $5, \
                       description = $6, site_name = $7, image_width = $8, image_height = $9, image_blurhash = $10, \
                       image_sha256 = $11, image_jpeg = $12";
            tx.c()
                .execute(
                    sql,
                    &[
                        &preview.url,
                        &preview.fetched_at_ms,
                        &preview.expires_at_ms,
                        &card.is_some(),
                        &card.and_then(|c| c.title.as_deref()),
                        &card.and_then(|c| c.description.as_deref()),
                        &card.and_then(|c| c.site_name.as_deref()),
                        &image.map(|i| i64::from(i.width)),
                        &image.map(|i| i64::from(i.height)),
                        &image.and_then(|i| i.blurhash.as_deref()),
                        &image.map(|i| i.sha256.as_str()),
                        &jpeg,
                    ],
                )
                .await?;
        })
    }

    async fn link_preview_image(&self, url: &str) -> StoreResult<Option<Vec<u8>>> {
        read!(self, |c| {
            let sql = "SELECT image_jpeg FROM link_previews WHERE url = $1 AND found";
            let row = c.query_opt(&c.prepare_cached(sql).await?, &[&url]).await?;
            row.map(|r| r.try_get::<_, Option<Vec<u8>>>(0)).transpose()?.flatten()
        })
    }

    async fn prune_link_previews(&self, before_ms: i64, limit: usize) -> StoreResult<u64> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        write_tx!(self, |tx| {
            tx.c()
                .execute(
                    "DELETE FROM link_previews WHERE url IN \
                     (SELECT url FROM link_previews WHERE expires_at_ms < $1 ORDER BY expires_at_ms LIMIT $2)",
                    &[&before_ms, &limit],
                )
                .await?
        })
    }
}
