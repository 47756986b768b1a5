//! [`FileStore`](magpie_core::ports::FileStore) and
//! [`StickerStore`](magpie_core::ports::StickerStore): uploads within a quota, files and their
//! blobs' references, who may read a file, pruning, sticker packs.

use std::collections::BTreeSet;

use magpie_core::chat::{Effect, GroupInfoPatch};
use magpie_core::files::{FILE_BYTES_MIN, FileId, StoredFile, ThumbnailRef, Upload};
use magpie_core::model::{Account, ProfilePatch};
use magpie_core::names::DomainName;
use serde_json::json;

use crate::StoreFactory;
use crate::fixtures::{DAY_MS, T0, World, file, message, new_entry, notice, op};

fn upload(account: &Account, length: u64, expires_at_ms: i64) -> Upload {
    Upload {
        id: FileId::random(),
        account: account.id,
        length,
        offset: 0,
        name: Some("notes.txt".into()),
        declared_type: Some("text/plain".into()),
        created_at_ms: T0,
        expires_at_ms,
    }
}

fn sha(c: char) -> String {
    c.to_string().repeat(64)
}

/// An upload is recorded only if the account's usage with it (every file and open upload
/// counted as at least `FILE_BYTES_MIN`) stays within the quota; it reads back as recorded,
/// its offset moves, and deleting it frees its room.
pub async fn uploads_within_quota<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let files = &w.stores.files;
    let a = w.account("alice").await;
    let quota = 5 * FILE_BYTES_MIN;
    assert_eq!(files.bytes_used(a.id).await.unwrap(), 0);
    let big = upload(&a, 3 * FILE_BYTES_MIN, T0 + DAY_MS);
    assert!(files.create_upload(&big, quota).await.unwrap());
    assert_eq!(files.upload(&big.id).await.unwrap(), Some(big.clone()));
    assert_eq!(files.bytes_used(a.id).await.unwrap(), 3 * FILE_BYTES_MIN);
    let tiny = upload(&a, 10, T0 + DAY_MS);
    assert!(files.create_upload(&tiny, quota).await.unwrap());
    assert_eq!(files.bytes_used(a.id).await.unwrap(), 4 * FILE_BYTES_MIN, "a tiny upload counts as the minimum");
    let refused = upload(&a, FILE_BYTES_MIN + 1, T0 + DAY_MS);
    assert!(!files.create_upload(&refused, quota).await.unwrap(), "one byte over the quota");
    assert_eq!(files.upload(&refused.id).await.unwrap(), None, "nothing recorded");
    assert_eq!(files.bytes_used(a.id).await.unwrap(), 4 * FILE_BYTES_MIN);
    let exact = upload(&a, FILE_BYTES_MIN, T0 + DAY_MS);
    assert!(files.create_upload(&exact, quota).await.unwrap(), "exactly the quota fits");

    files.set_upload_offset(&big.id, 1000, T0 + 2 * DAY_MS).await.unwrap();
    let moved = files.upload(&big.id).await.unwrap().unwrap();
    assert_eq!((moved.offset, moved.expires_at_ms), (1000, T0 + 2 * DAY_MS));
    files.delete_upload(&big.id).await.unwrap();
    assert_eq!(files.upload(&big.id).await.unwrap(), None);
    assert_eq!(files.bytes_used(a.id).await.unwrap(), 2 * FILE_BYTES_MIN, "deleting frees its room");
    let b = w.account("bob").await;
    assert_eq!(files.bytes_used(b.id).await.unwrap(), 0, "usage is per account");
}

/// Completing an upload replaces it with its file, in one write: the file reads back with its
/// thumbnails, its blobs are in use, and the quota counts the file instead of the upload.
pub async fn complete_upload_turns_an_upload_into_a_file<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let files = &w.stores.files;
    let a = w.account("alice").await;
    let up = upload(&a, 3 * FILE_BYTES_MIN, T0 + DAY_MS);
    assert!(files.create_upload(&up, u64::MAX).await.unwrap());
    let stored = StoredFile {
        id: up.id.clone(),
        account: a.id,
        sha256: sha('a'),
        size: 3 * FILE_BYTES_MIN,
        media_type: "image/jpeg".into(),
        name: Some("photo.jpg".into()),
        created_at_ms: T0 + 1,
        width: Some(1024),
        height: Some(768),
        blurhash: Some("LEHV6nWB2yk8pyo0adR*.7kCMdnj".into()),
        thumbnails: vec![
            ThumbnailRef { side: 160, sha256: sha('b'), size: 900, width: 160, height: 120 },
            ThumbnailRef { side: 640, sha256: sha('c'), size: 9000, width: 640, height: 480 },
        ],
        duration_ms: Some(1500),
    };
    assert!(!files.blob_in_use(&sha('a')).await.unwrap());
    files.complete_upload(&stored).await.unwrap();
    assert_eq!(files.upload(&up.id).await.unwrap(), None, "the upload is gone");
    assert_eq!(files.file(&up.id).await.unwrap(), Some(stored.clone()), "the file reads back, thumbnails by side");
    for blob in ['a', 'b', 'c'] {
        assert!(files.blob_in_use(&sha(blob)).await.unwrap(), "blob {blob} is in use");
    }
    assert_eq!(files.bytes_used(a.id).await.unwrap(), 3 * FILE_BYTES_MIN, "counted once, as a file");
    assert_eq!(files.file(&FileId::random()).await.unwrap(), None);
}

/// A file is lent to the readers of each message that refers to it: members whose span
/// covers the message's seq (former members too, for what came before their end), while the
/// message stands; a sticker's file to every account of its domain.
pub async fn file_shared_with_follows_messages_and_stickers<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let log = &w.stores.log;
    let files = &w.stores.files;
    let (a, b, c, d) =
        (w.account("alice").await, w.account("bob").await, w.account("carol").await, w.account("dave").await);
    let group = w.group(&a, &[&b]).await;
    let sa = w.session(&a).await;
    let photo = file(&w, &a, &sha('1'), 5000, T0).await;
    assert!(!files.file_shared_with(&photo.id, b.id).await.unwrap(), "not before a message refers to it");
    let mut send = message(group.id, &a, &sa, "photo", "see");
    send.effects.push(Effect::FileRefs(vec![photo.id.clone()]));
    let shared = new_entry(log.append(send).await);
    assert!(files.file_shared_with(&photo.id, b.id).await.unwrap());
    assert!(files.file_shared_with(&photo.id, a.id).await.unwrap());
    w.add(group.id, &a, &[&c]).await;
    assert!(!files.file_shared_with(&photo.id, c.id).await.unwrap(), "joined after the message");
    assert!(!files.file_shared_with(&photo.id, d.id).await.unwrap(), "never a member");
    w.remove(group.id, &a, &[&b]).await;
    assert!(files.file_shared_with(&photo.id, b.id).await.unwrap(), "a former member keeps what came before");
    new_entry(log.append(op(group.id, &a, "recall", json!({}), shared.seq, Effect::recall())).await);
    assert!(!files.file_shared_with(&photo.id, b.id).await.unwrap(), "a recalled message lends nothing");

    let sticker = file(&w, &a, &sha('2'), 3000, T0).await;
    assert!(!files.file_shared_with(&sticker.id, d.id).await.unwrap());
    let pack = w.stores.stickers.create_sticker_pack(w.domain.id, "cats", T0).await.unwrap();
    w.stores.stickers.add_sticker(pack.id, &sticker.id, Some("cat")).await.unwrap();
    assert!(files.file_shared_with(&sticker.id, d.id).await.unwrap(), "a sticker is its domain's");
    let beta = w.stores.accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    let outsider = w.account_in(&beta, "eve").await;
    assert!(!files.file_shared_with(&sticker.id, outsider.id).await.unwrap(), "not another domain's");
}

/// A file that is the avatar of an account or a conversation is lent, while it is one, to
/// every account of its uploader's domain, and to no other domain; and it is not taken as a
/// file no message refers to. Once no avatar names it, it is both no more.
pub async fn avatar_files_are_their_domains_and_kept<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let files = &w.stores.files;
    let (a, b, c) = (w.account("alice").await, w.account("bob").await, w.account("carol").await);
    let beta = w.stores.accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    let outsider = w.account_in(&beta, "eve").await;
    let face = file(&w, &a, &sha('a'), 100, T0).await;
    let logo = file(&w, &b, &sha('b'), 100, T0).await;
    assert!(!files.file_shared_with(&face.id, c.id).await.unwrap(), "not before it is an avatar");

    let set = |avatar: Option<String>| ProfilePatch { avatar: Some(avatar), ..ProfilePatch::default() };
    w.stores.accounts.update_profile(a.id, &set(Some(face.id.to_string()))).await.unwrap();
    assert!(files.file_shared_with(&face.id, c.id).await.unwrap(), "a profile's avatar is its domain's");
    assert!(!files.file_shared_with(&face.id, outsider.id).await.unwrap(), "not another domain's");

    // A group's: also for accounts of the domain that are not its members.
    let group = w.group(&b, &[]).await;
    let patch = |avatar: Option<String>| GroupInfoPatch { avatar: Some(avatar), ..GroupInfoPatch::default() };
    new_entry(
        w.stores
            .log
            .append(notice(
                group.id,
                &b,
                json!({"event": "info_changed"}),
                vec![Effect::SetInfo(patch(Some(logo.id.to_string())))],
            ))
            .await,
    );
    assert!(files.file_shared_with(&logo.id, c.id).await.unwrap(), "a group's avatar is its domain's");
    assert!(!files.file_shared_with(&logo.id, outsider.id).await.unwrap(), "not another domain's");

    // In use, neither is taken however old; once replaced or cleared, it is an unshared file.
    assert!(files.take_unshared_files(T0 + DAY_MS, 100).await.unwrap().is_empty());
    w.stores.accounts.update_profile(a.id, &set(Some("https://example.com/me.png".into()))).await.unwrap();
    new_entry(
        w.stores
            .log
            .append(notice(group.id, &b, json!({"event": "info_changed"}), vec![Effect::SetInfo(patch(None))]))
            .await,
    );
    assert!(!files.file_shared_with(&face.id, c.id).await.unwrap(), "no longer an avatar");
    assert!(!files.file_shared_with(&logo.id, c.id).await.unwrap(), "no longer an avatar");
    let taken: BTreeSet<String> = files.take_unshared_files(T0 + DAY_MS, 100).await.unwrap().into_iter().collect();
    assert_eq!(taken, BTreeSet::from([sha('a'), sha('b')]));
}

/// Uploads that expired before a time are taken (deleted and returned), at most `limit`.
pub async fn expired_uploads_are_taken<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let files = &w.stores.files;
    let a = w.account("alice").await;
    let ups: Vec<Upload> = [T0 + 1, T0 + 2, T0 + 3, T0 + 10].iter().map(|at| upload(&a, 10, *at)).collect();
    for up in &ups {
        assert!(files.create_upload(up, u64::MAX).await.unwrap());
    }
    let first = files.take_expired_uploads(T0 + 5, 2).await.unwrap();
    assert_eq!(first.len(), 2, "at most limit");
    let rest = files.take_expired_uploads(T0 + 5, 10).await.unwrap();
    let taken: BTreeSet<String> = first.iter().chain(&rest).map(|id| id.to_string()).collect();
    let expected: BTreeSet<String> = ups[..3].iter().map(|u| u.id.to_string()).collect();
    assert_eq!(taken, expected, "each expired one, once");
    for up in &ups[..3] {
        assert_eq!(files.upload(&up.id).await.unwrap(), None);
    }
    assert!(files.upload(&ups[3].id).await.unwrap().is_some(), "not yet expired");
    assert!(files.take_expired_uploads(T0 + 5, 10).await.unwrap().is_empty());
    assert_eq!(files.bytes_used(a.id).await.unwrap(), FILE_BYTES_MIN);
}

/// Files that no message nor sticker ever referred to, made before a time, are deleted; the
/// digests of blobs that no file uses any more are returned (a blob two files share goes with
/// the second). A recall does not make a shared file unshared.
pub async fn unshared_files_are_taken_with_their_last_blob_ref<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let files = &w.stores.files;
    let log = &w.stores.log;
    let a = w.account("alice").await;
    let group = w.group(&a, &[]).await;
    let sa = w.session(&a).await;
    let twin1 = file(&w, &a, &sha('x'), 100, T0).await;
    let twin2 = file(&w, &a, &sha('x'), 100, T0).await;
    let lone = file(&w, &a, &sha('y'), 100, T0).await;
    let kept_twin = file(&w, &a, &sha('z'), 100, T0).await;
    let twin_of_kept = file(&w, &a, &sha('z'), 100, T0).await;
    let sent = file(&w, &a, &sha('s'), 100, T0).await;
    let sticker = file(&w, &a, &sha('t'), 100, T0).await;
    let young = file(&w, &a, &sha('u'), 100, T0 + DAY_MS).await;
    for shared in [&kept_twin, &sent] {
        let mut send = message(group.id, &a, &sa, &format!("s{}", w.unique()), "file");
        send.effects.push(Effect::FileRefs(vec![shared.id.clone()]));
        let e = new_entry(log.append(send).await);
        if shared.id == sent.id {
            new_entry(log.append(op(group.id, &a, "recall", json!({}), e.seq, Effect::recall())).await);
        }
    }
    let pack = w.stores.stickers.create_sticker_pack(w.domain.id, "p", T0).await.unwrap();
    w.stores.stickers.add_sticker(pack.id, &sticker.id, None).await.unwrap();

    // One file per call: four unshared old files take four calls, and the fifth finds none.
    let unshared = [&twin1, &twin2, &lone, &twin_of_kept];
    let mut taken = vec![];
    for call in 1..=4 {
        taken.extend(files.take_unshared_files(T0 + 1, 1).await.unwrap());
        let mut left = 0;
        for f in unshared {
            left += usize::from(files.file(&f.id).await.unwrap().is_some());
        }
        assert_eq!(left, 4 - call, "at most limit files per call");
    }
    let taken: BTreeSet<String> = taken.into_iter().collect();
    assert_eq!(taken, BTreeSet::from([sha('x'), sha('y')]), "blobs no file uses any more");
    for gone in [&twin1, &twin2, &lone, &twin_of_kept] {
        assert_eq!(files.file(&gone.id).await.unwrap(), None, "an unshared old file is deleted");
    }
    for kept in [&kept_twin, &sent, &sticker, &young] {
        assert!(files.file(&kept.id).await.unwrap().is_some(), "shared or young files stay");
    }
    assert!(!files.blob_in_use(&sha('x')).await.unwrap());
    assert!(files.blob_in_use(&sha('z')).await.unwrap(), "the kept twin still uses its blob");
    assert!(files.take_unshared_files(T0 + 1, 100).await.unwrap().is_empty());
}

/// A domain's sticker packs, oldest first, each with its stickers in the order added (adding
/// one again changes nothing), sized from their files.
pub async fn sticker_packs<F: StoreFactory>(f: &F) {
    let w = World::new(f).await;
    let stickers = &w.stores.stickers;
    let a = w.account("alice").await;
    let cats = stickers.create_sticker_pack(w.domain.id, "cats", T0).await.unwrap();
    assert_eq!((cats.domain_id, cats.name.as_str(), cats.created_at_ms), (w.domain.id, "cats", T0));
    assert!(cats.stickers.is_empty());
    let dogs = stickers.create_sticker_pack(w.domain.id, "dogs", T0 + 1).await.unwrap();
    let (one, two) = (file(&w, &a, &sha('1'), 100, T0).await, file(&w, &a, &sha('2'), 100, T0).await);
    stickers.add_sticker(cats.id, &two.id, Some("smile")).await.unwrap();
    stickers.add_sticker(cats.id, &one.id, None).await.unwrap();
    stickers.add_sticker(cats.id, &two.id, Some("other")).await.unwrap();
    let read = stickers.sticker_pack(cats.id).await.unwrap().unwrap();
    // File, emoji and the file's size, per sticker.
    type Shown<'a> = (FileId, Option<&'a str>, Option<u32>, Option<u32>);
    let shown: Vec<Shown<'_>> =
        read.stickers.iter().map(|s| (s.file.clone(), s.emoji.as_deref(), s.width, s.height)).collect();
    assert_eq!(
        shown,
        [(two.id.clone(), Some("smile"), Some(640), Some(480)), (one.id.clone(), None, Some(640), Some(480))]
    );
    let beta = w.stores.accounts.create_domain(&DomainName::parse("beta.example").unwrap(), T0).await.unwrap().unwrap();
    stickers.create_sticker_pack(beta.id, "theirs", T0).await.unwrap();
    let names: Vec<String> = stickers.sticker_packs(w.domain.id).await.unwrap().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["cats", "dogs"]);
    assert_eq!(stickers.sticker_packs(w.domain.id).await.unwrap()[0], read);
    assert_eq!(stickers.sticker_pack(dogs.id + 1000).await.unwrap(), None);
}
