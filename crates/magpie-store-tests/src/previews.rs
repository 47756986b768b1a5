//! [`PreviewStore`](magpie_core::ports::PreviewStore): the link-preview cache.

use magpie_core::previews::{CachedPreview, PreviewCard, PreviewImage};

use crate::StoreFactory;
use crate::fixtures::{T0, World};

/// A preview is read back as it was stored (its image's bytes apart), replaced by a later
/// fetch of the same URL, cached as a failure without a card, and pruned once expired.
pub async fn previews_are_cached_replaced_and_pruned<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let store = &w.stores.previews;
    let url = "https://example.com/post?id=1";
    assert_eq!(store.link_preview(url).await.unwrap(), None);
    let found = CachedPreview {
        url: url.into(),
        fetched_at_ms: T0,
        expires_at_ms: T0 + 1000,
        card: Some(PreviewCard {
            title: Some("喜鹊 Magpie".into()),
            description: Some("A description".into()),
            site_name: Some("example.com".into()),
            image: Some(PreviewImage {
                width: 256,
                height: 134,
                blurhash: Some("LEHV6n".into()),
                sha256: "ab".repeat(32),
            }),
        }),
    };
    let jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3];
    store.put_link_preview(&found, Some(&jpeg)).await.unwrap();
    assert_eq!(store.link_preview(url).await.unwrap(), Some(found.clone()));
    assert_eq!(store.link_preview_image(url).await.unwrap(), Some(jpeg));
    assert_eq!(store.link_preview("https://example.com/post?id=2").await.unwrap(), None, "keyed by the whole URL");

    let bare = CachedPreview {
        card: Some(PreviewCard { title: Some("Only a title".into()), ..PreviewCard::default() }),
        fetched_at_ms: T0 + 10,
        ..found.clone()
    };
    store.put_link_preview(&bare, None).await.unwrap();
    assert_eq!(store.link_preview(url).await.unwrap(), Some(bare), "a later fetch replaces the entry");
    assert_eq!(store.link_preview_image(url).await.unwrap(), None, "with its image");

    let failed =
        CachedPreview { url: "https://down.example/".into(), fetched_at_ms: T0, expires_at_ms: T0 + 5, card: None };
    store.put_link_preview(&failed, Some(b"ignored")).await.unwrap();
    assert_eq!(store.link_preview(&failed.url).await.unwrap(), Some(failed.clone()), "a failure is cached");
    assert_eq!(store.link_preview_image(&failed.url).await.unwrap(), None);

    assert_eq!(store.prune_link_previews(T0 + 5, 10).await.unwrap(), 0, "nothing expired before then");
    assert_eq!(store.prune_link_previews(T0 + 6, 10).await.unwrap(), 1);
    assert_eq!(store.link_preview(&failed.url).await.unwrap(), None);
    assert!(store.link_preview(url).await.unwrap().is_some(), "the live one stays");
    assert_eq!(store.prune_link_previews(T0 + 2000, 10).await.unwrap(), 1);
    assert_eq!(store.link_preview(url).await.unwrap(), None);
}
