//! Sticker packs: a domain's admins make packs of image files; every member of the domain
//! lists them, sees their images, and sends their stickers as `sticker` messages.

use std::sync::Arc;

use crate::audit::Change;
use crate::files::{FileId, Files};
use crate::model::{Actor, DomainId, Principal};
use crate::names;
use crate::ports::{StickerStore, Stores};
use crate::{Deps, Error, Result};
use serde_json::json;

/// Longest pack name, in characters.
pub const PACK_NAME_CHARS_MAX: usize = 64;
/// Stickers in one pack.
pub const STICKERS_PER_PACK_MAX: usize = 200;
/// Packs in one domain.
pub const PACKS_PER_DOMAIN_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sticker {
    /// The sticker's image file; also its id within the pack.
    pub file: FileId,
    pub emoji: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickerPack {
    pub id: i64,
    pub domain_id: DomainId,
    pub name: String,
    pub created_at_ms: i64,
    pub stickers: Vec<Sticker>,
}

impl StickerPack {
    /// The pack's id as messages carry it: `p` and the number.
    pub fn wire_id(&self) -> String {
        format!("p{}", self.id)
    }
}

/// Reads a pack id as messages carry it.
pub fn parse_pack_id(s: &str) -> Option<i64> {
    s.strip_prefix('p')?.parse().ok().filter(|n| *n > 0)
}

#[derive(Clone)]
pub struct Stickers {
    deps: Arc<Deps>,
    sticker_store: Arc<dyn StickerStore>,
    files: Files,
}

impl Stickers {
    pub(crate) fn new(deps: Arc<Deps>, stores: &Stores, files: Files) -> Stickers {
        Stickers { deps, sticker_store: stores.stickers.clone(), files }
    }

    /// Makes an empty pack in the caller's domain (domain admins).
    pub async fn create_pack(&self, caller: &Principal, name: &str) -> Result<StickerPack> {
        if !Actor::Account(caller).may_administer(caller.account.domain_id) {
            return Err(Error::Forbidden);
        }
        let name = names::free_text("name", name, PACK_NAME_CHARS_MAX)?;
        if name.is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        if self.sticker_store.sticker_packs(caller.account.domain_id).await?.len() >= PACKS_PER_DOMAIN_MAX {
            return Err(Error::LimitExceeded("the domain has as many sticker packs as it may"));
        }
        let pack =
            self.sticker_store.create_sticker_pack(caller.account.domain_id, &name, self.deps.clock.now_ms()).await?;
        let change = Change::new(
            "stickers.pack_create",
            Some(pack.domain_id),
            format!("sticker pack {} ({})", pack.id, pack.name),
        )
        .after(json!({ "name": pack.name }));
        self.deps.audit(Actor::Account(caller), change).await;
        Ok(pack)
    }

    /// Adds an image file the caller uploaded to a pack of its domain (domain admins).
    pub async fn add(&self, caller: &Principal, pack: i64, file: &FileId, emoji: Option<&str>) -> Result<StickerPack> {
        if !Actor::Account(caller).may_administer(caller.account.domain_id) {
            return Err(Error::Forbidden);
        }
        let current = self.pack(caller, pack).await?;
        if current.stickers.len() >= STICKERS_PER_PACK_MAX {
            return Err(Error::LimitExceeded("the pack has as many stickers as it may"));
        }
        let stored = self.files.file(caller, file).await.map_err(|_| Error::invalid("file", "no such file"))?;
        // Only files the admin uploaded: a file that was merely sent to them is someone
        // else's, and a sticker makes it readable by the whole domain.
        if stored.account != caller.account.id {
            return Err(Error::invalid("file", "a sticker must be an image you uploaded"));
        }
        if !stored.media_type.starts_with("image/") {
            return Err(Error::invalid("file", "a sticker is an image"));
        }
        let emoji = emoji.map(|e| names::free_text("emoji", e, 16)).transpose()?.filter(|e| !e.is_empty());
        self.sticker_store.add_sticker(pack, file, emoji.as_deref()).await?;
        let change = Change::new(
            "stickers.add",
            Some(current.domain_id),
            format!("sticker pack {} ({})", current.id, current.name),
        )
        .before(json!({ "stickers": current.stickers.len() }))
        .after(json!({ "file": file.as_str(), "emoji": emoji }));
        self.deps.audit(Actor::Account(caller), change).await;
        self.pack(caller, pack).await
    }

    /// The packs of the caller's domain, with their stickers.
    pub async fn packs(&self, caller: &Principal) -> Result<Vec<StickerPack>> {
        Ok(self.sticker_store.sticker_packs(caller.account.domain_id).await?)
    }

    /// One pack of the caller's domain; other domains' packs do not exist for it.
    pub async fn pack(&self, caller: &Principal, id: i64) -> Result<StickerPack> {
        let pack = self.sticker_store.sticker_pack(id).await?.filter(|p| p.domain_id == caller.account.domain_id);
        pack.ok_or(Error::NotFound("sticker pack"))
    }
}
