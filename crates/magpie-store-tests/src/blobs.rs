//! [`BlobStore`]: partial uploads (append at an offset within a bound, cut, overwrite, read the
//! head, finish into a blob, discard) and content-addressed blobs (put once, read all or a
//! range, remove), checked the same way against every adapter: the local disk and S3.
//!
//! The contract, beyond the port's doc comments, as the core relies on it:
//! - an append at an offset below the upload's length cuts the rest first; one past its end is
//!   refused with a store error and changes nothing;
//! - an append refused for its size (`TooLarge`) keeps none of its bytes; one whose reader
//!   fails keeps, durably, what arrived before;
//! - `truncate` never makes an upload longer; `overwrite` stays within the upload;
//! - an upload that was never started, or that a finish or discard ended, is refused by every
//!   call but `discard` (which does nothing) and `start` (which begins it anew);
//! - a read of a range past the end yields what is there (nothing, if it starts past it).
//!
//! Each check writes uploads of up to a few hundred KiB, in appends, cuts and overwrites whose
//! offsets fall on and across multiples of [`PIECE_BYTES`]: an adapter that stores an upload
//! in pieces (S3's chunk objects) should cut them at most that long when the suite opens it.

use std::sync::Arc;

use async_trait::async_trait;
use magpie_core::files::{ByteRange, FileId, SNIFF_BYTES, Written};
use magpie_core::ports::BlobStore;
use magpie_core::{Error, Unit};
use sha1::Digest as _;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The piece length the checks' offsets are chosen around (see the module's doc).
pub const PIECE_BYTES: usize = 64 * 1024;
/// The length of the large upload, unless the factory asks for another.
pub const LARGE_UPLOAD_BYTES_DEFAULT: usize = 1024 * 1024;
/// The most bytes a check asks `upload_head` for when it means "all of it".
const WHOLE_BYTES: usize = 1024 * 1024;

/// How an adapter makes the blob stores the checks run against.
#[async_trait]
pub trait BlobFactory: Send + Sync + 'static {
    /// Where one store's blobs live (a temporary directory, a key prefix in a bucket); the
    /// suite makes a new one per check. Dropping it may delete them.
    type Place: Send + Sync + 'static;

    /// A new, empty place.
    async fn place(&self) -> Self::Place;

    /// A store on `place`. Opening a place twice gives two stores over the same blobs: two
    /// nodes of a cluster, or one node before and after a restart.
    async fn open(&self, place: &Self::Place) -> Arc<dyn BlobStore>;

    /// The length of the upload that [`a_large_upload_streams_through`] writes: long enough to
    /// cross whatever the adapter splits a blob into when it writes one (S3's multipart parts).
    fn large_upload_bytes(&self) -> usize {
        LARGE_UPLOAD_BYTES_DEFAULT
    }
}

/// Bytes that differ at every offset that matters (a pseudo-random sequence from `seed`), so
/// that a byte in the wrong place shows.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn reader(bytes: Vec<u8>) -> Box<dyn AsyncRead + Send + Unpin> {
    Box::new(std::io::Cursor::new(bytes))
}

/// Yields its bytes, then fails as a connection that breaks does.
struct CutOff(std::io::Cursor<Vec<u8>>);

impl AsyncRead for CutOff {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.0.position() as usize == self.0.get_ref().len() {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::ConnectionReset.into()));
        }
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

/// Appends all of `bytes` at `offset`, with no bound and no digest.
async fn append(store: &dyn BlobStore, id: &FileId, offset: u64, bytes: &[u8]) -> Written {
    let written = store.append(id, offset, u64::MAX, false, reader(bytes.to_vec())).await.unwrap();
    assert_eq!((written.bytes, written.interrupted), (bytes.len() as u64, false));
    assert_eq!((written.sha1, written.sha256), (None, None), "no digest asked, none given");
    written
}

/// A started upload holding `bytes`, appended in pieces of uneven lengths.
async fn upload_of(store: &dyn BlobStore, bytes: &[u8]) -> FileId {
    let id = FileId::random();
    store.start(&id).await.unwrap();
    let mut offset = 0;
    for len in [1, 1000, PIECE_BYTES - 1001, 3, PIECE_BYTES + 7].into_iter().cycle() {
        if offset == bytes.len() {
            break;
        }
        let end = (offset + len).min(bytes.len());
        append(store, &id, offset as u64, &bytes[offset..end]).await;
        offset = end;
    }
    id
}

/// The whole of a partial upload (of at most [`WHOLE_BYTES`]).
async fn content(store: &dyn BlobStore, id: &FileId) -> Vec<u8> {
    store.upload_head(id, WHOLE_BYTES).await.unwrap()
}

/// A blob's bytes, all or one range.
async fn read(store: &dyn BlobStore, sha256: &str, range: Option<(u64, u64)>) -> Vec<u8> {
    let range = range.map(|(first, last)| ByteRange { first, last });
    let mut bytes = Vec::new();
    store.read(sha256, range).await.unwrap().read_to_end(&mut bytes).await.unwrap();
    bytes
}

/// Appends grow the upload at its offset: each lands where the one before ended, reports
/// its length, and gives no digest unless asked.
pub async fn appends_grow_the_upload_at_its_offset<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let id = FileId::random();
    store.start(&id).await.unwrap();
    assert_eq!(content(&*store, &id).await, b"", "a started upload is empty");
    append(&*store, &id, 0, b"hello ").await;
    append(&*store, &id, 6, b"world").await;
    assert_eq!(content(&*store, &id).await, b"hello world");
    append(&*store, &id, 11, b"").await;
    assert_eq!(content(&*store, &id).await, b"hello world", "an empty append changes nothing");

    let bytes = pattern(3 * PIECE_BYTES + 5, 1);
    let id = upload_of(&*store, &bytes).await;
    assert_eq!(content(&*store, &id).await, bytes);
}

/// Many tiny appends add up to the same bytes as one large one.
pub async fn many_small_appends_add_up<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(PIECE_BYTES + 300, 2);
    let id = FileId::random();
    store.start(&id).await.unwrap();
    for (i, piece) in bytes.chunks(997).enumerate() {
        append(&*store, &id, (i * 997) as u64, piece).await;
    }
    assert_eq!(content(&*store, &id).await, bytes);
    let finished = store.finish(&id).await.unwrap();
    assert_eq!(finished.sha256, sha256_hex(&bytes));
}

/// An append at an offset below the upload's length cuts what follows it first (the core
/// resumes from the offset it holds, which may be below bytes that reached the store).
pub async fn an_append_at_an_earlier_offset_cuts_what_follows_first<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(3 * PIECE_BYTES, 3);
    let id = upload_of(&*store, &bytes).await;
    let more = pattern(10_000, 4);
    let at = PIECE_BYTES + 4464;
    append(&*store, &id, at as u64, &more).await;
    assert_eq!(content(&*store, &id).await, [&bytes[..at], &more[..]].concat());
    append(&*store, &id, PIECE_BYTES as u64, b"edge").await;
    assert_eq!(content(&*store, &id).await, [&bytes[..PIECE_BYTES], b"edge"].concat(), "a cut on a piece's edge");
    append(&*store, &id, 0, b"anew").await;
    assert_eq!(content(&*store, &id).await, b"anew");
}

/// An append past the upload's end is refused with a store error and changes nothing.
pub async fn an_append_past_the_end_changes_nothing<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(PIECE_BYTES + 10, 5);
    let id = upload_of(&*store, &bytes).await;
    let refused = store.append(&id, bytes.len() as u64 + 1, u64::MAX, false, reader(b"x".to_vec())).await;
    assert!(matches!(refused, Err(Error::Store(_))), "{refused:?}");
    assert_eq!(content(&*store, &id).await, bytes);
}

/// An upload that was never started, or that a finish or a discard ended, is refused by every
/// call but `discard` (which has nothing to do) and `start` (which begins it anew).
pub async fn an_upload_never_started_or_ended_is_refused<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let finished = upload_of(&*store, b"done").await;
    store.finish(&finished).await.unwrap();
    let discarded = upload_of(&*store, b"dropped").await;
    store.discard(&discarded).await.unwrap();
    for id in [FileId::random(), finished, discarded] {
        let refused = store.append(&id, 0, u64::MAX, false, reader(b"x".to_vec())).await;
        assert!(matches!(refused, Err(Error::Store(_))), "{refused:?}");
        assert!(store.upload_head(&id, 10).await.is_err());
        assert!(store.overwrite(&id, 0, vec![]).await.is_err());
        assert!(store.truncate(&id, 0).await.is_err());
        assert!(store.finish(&id).await.is_err());
        store.discard(&id).await.unwrap();
        store.start(&id).await.unwrap();
        append(&*store, &id, 0, b"again").await;
        assert_eq!(content(&*store, &id).await, b"again");
    }
}

/// Starting an upload that exists empties it.
pub async fn start_again_empties_an_upload<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let id = upload_of(&*store, &pattern(2 * PIECE_BYTES, 6)).await;
    store.start(&id).await.unwrap();
    assert_eq!(content(&*store, &id).await, b"");
    append(&*store, &id, 0, b"fresh").await;
    assert_eq!(content(&*store, &id).await, b"fresh");
}

/// An append that brings more than `room_bytes` is refused with `TooLarge` naming the room,
/// and keeps none of its bytes, however many it read first; exactly the room fits.
pub async fn the_room_bound_refuses_a_longer_chunk_and_keeps_none_of_it<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(PIECE_BYTES + 100, 7);
    let id = upload_of(&*store, &bytes).await;
    let end = bytes.len() as u64;
    for (room, len) in [(10, 11), (0, 1), (2 * PIECE_BYTES, 3 * PIECE_BYTES + 1)] {
        let refused = store.append(&id, end, room as u64, true, reader(pattern(len, 8))).await;
        assert!(
            matches!(refused, Err(Error::TooLarge { field: "body", max, unit: Unit::Bytes }) if max == room),
            "room {room}, {len} bytes: {refused:?}"
        );
        assert_eq!(content(&*store, &id).await, bytes, "nothing of a refused chunk is kept");
    }
    let fits = pattern(10, 9);
    let written = store.append(&id, end, 10, false, reader(fits.clone())).await.unwrap();
    assert_eq!(written.bytes, 10);
    assert_eq!(content(&*store, &id).await, [&bytes[..], &fits[..]].concat());
}

/// With `digest`, an append reports the SHA-1 and SHA-256 of its own bytes (not of the
/// upload), which the core compares with the client's checksum.
pub async fn digests_are_those_of_the_chunk<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let first = pattern(PIECE_BYTES + 1, 10);
    let id = upload_of(&*store, &first).await;
    let chunk = pattern(2 * PIECE_BYTES + 3, 11);
    let written = store.append(&id, first.len() as u64, u64::MAX, true, reader(chunk.clone())).await.unwrap();
    assert_eq!(written.bytes, chunk.len() as u64);
    assert_eq!(written.sha1, Some(<[u8; 20]>::from(sha1::Sha1::digest(&chunk))));
    assert_eq!(written.sha256, Some(<[u8; 32]>::from(sha2::Sha256::digest(&chunk))));
    let empty = store.append(&id, (first.len() + chunk.len()) as u64, 0, true, reader(vec![])).await.unwrap();
    assert_eq!(empty.sha256, Some(<[u8; 32]>::from(sha2::Sha256::digest(b""))), "the digest of nothing");
}

/// An append whose reader fails (the client's connection broke) keeps what arrived before,
/// durably, and says it was interrupted.
pub async fn an_interrupted_chunk_keeps_what_arrived<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let first = pattern(1000, 12);
    let id = upload_of(&*store, &first).await;
    let arrived = pattern(PIECE_BYTES + 500, 13);
    let cut_off = Box::new(CutOff(std::io::Cursor::new(arrived.clone())));
    let written = store.append(&id, first.len() as u64, u64::MAX, false, cut_off).await.unwrap();
    assert_eq!((written.bytes, written.interrupted), (arrived.len() as u64, true));
    let reopened = f.open(&place).await;
    assert_eq!(content(&*reopened, &id).await, [&first[..], &arrived[..]].concat());
}

/// `truncate` cuts an upload back to an offset (on a piece's edge or inside one), and never
/// makes it longer.
pub async fn truncate_cuts_back_and_never_extends<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(3 * PIECE_BYTES + 17, 14);
    let id = upload_of(&*store, &bytes).await;
    for at in [bytes.len(), 2 * PIECE_BYTES + 9, 2 * PIECE_BYTES, PIECE_BYTES + 1, PIECE_BYTES - 1, 1] {
        store.truncate(&id, at as u64).await.unwrap();
        assert_eq!(content(&*store, &id).await, &bytes[..at], "cut to {at}");
    }
    store.truncate(&id, 1000).await.unwrap();
    assert_eq!(content(&*store, &id).await, &bytes[..1], "a cut past the end changes nothing");
    store.truncate(&id, 0).await.unwrap();
    assert_eq!(content(&*store, &id).await, b"");
    append(&*store, &id, 0, b"after").await;
    assert_eq!(content(&*store, &id).await, b"after");
}

/// `overwrite` replaces bytes in place, across pieces and up to the very end, durably; bytes
/// past the end are refused and change nothing.
pub async fn overwrite_replaces_bytes_in_place<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let mut bytes = pattern(3 * PIECE_BYTES + 5, 15);
    let id = upload_of(&*store, &bytes).await;
    let len = bytes.len();
    let zeros = vec![0u8; PIECE_BYTES + 40];
    for (at, n) in [(0, 4), (PIECE_BYTES - 20, PIECE_BYTES + 40), (2 * PIECE_BYTES, 1), (len - 3, 3), (len, 0)] {
        store.overwrite(&id, at as u64, zeros[..n].to_vec()).await.unwrap();
        bytes[at..at + n].fill(0);
    }
    let reopened = f.open(&place).await;
    assert_eq!(content(&*reopened, &id).await, bytes);
    assert!(store.overwrite(&id, len as u64 - 2, vec![1, 2, 3]).await.is_err(), "one byte past the end");
    assert!(store.overwrite(&id, u64::MAX, vec![1]).await.is_err());
    assert_eq!(content(&*store, &id).await, bytes, "a refused overwrite changes nothing");
}

/// `upload_head` reads the first bytes of an upload, or all of a shorter one.
pub async fn upload_head_reads_the_first_bytes<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(3 * PIECE_BYTES + 2, 16);
    let id = upload_of(&*store, &bytes).await;
    for len in [0, 1, PIECE_BYTES - 1, PIECE_BYTES, PIECE_BYTES + 1, SNIFF_BYTES, bytes.len() - 1, bytes.len()] {
        assert_eq!(store.upload_head(&id, len).await.unwrap(), &bytes[..len], "the first {len} bytes");
    }
    assert_eq!(store.upload_head(&id, bytes.len() + 100).await.unwrap(), bytes);
}

/// `finish` turns an upload into the blob named by its SHA-256, reports its size and first
/// [`SNIFF_BYTES`] bytes, and ends the upload.
pub async fn finish_turns_the_upload_into_a_blob<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(3 * PIECE_BYTES + 11, 17);
    let id = upload_of(&*store, &bytes).await;
    let blob = store.finish(&id).await.unwrap();
    assert_eq!((blob.sha256.as_str(), blob.size), (sha256_hex(&bytes).as_str(), bytes.len() as u64));
    assert_eq!(blob.head, &bytes[..SNIFF_BYTES]);
    assert_eq!(read(&*store, &blob.sha256, None).await, bytes);
    assert!(store.upload_head(&id, 10).await.is_err(), "the upload is gone");

    let short = upload_of(&*store, b"short").await;
    let blob = store.finish(&short).await.unwrap();
    assert_eq!((blob.size, blob.head.as_slice()), (5, &b"short"[..]), "the head of a short file is all of it");
}

/// Two uploads of one content finish as one blob: the second finds it stored and is dropped.
pub async fn finishing_one_content_twice_keeps_one_blob<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(2 * PIECE_BYTES + 1, 18);
    let (a, b) = (upload_of(&*store, &bytes).await, upload_of(&*store, &bytes).await);
    let first = store.finish(&a).await.unwrap();
    let second = store.finish(&b).await.unwrap();
    assert_eq!((first.sha256.as_str(), first.size), (second.sha256.as_str(), second.size));
    assert_eq!(first.head, second.head);
    assert!(store.upload_head(&b, 10).await.is_err(), "the second upload is gone too");
    assert_eq!(read(&*store, &first.sha256, None).await, bytes);
    store.remove(&first.sha256).await.unwrap();
    assert!(store.read(&first.sha256, None).await.is_err(), "one blob, so one remove takes it");
}

/// An empty upload finishes as the blob of no bytes.
pub async fn an_empty_upload_finishes_as_the_empty_blob<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let id = FileId::random();
    store.start(&id).await.unwrap();
    let blob = store.finish(&id).await.unwrap();
    assert_eq!((blob.sha256.as_str(), blob.size), (sha256_hex(b"").as_str(), 0));
    assert!(blob.head.is_empty());
    assert_eq!(read(&*store, &blob.sha256, None).await, b"");
}

/// `put` stores a content under its SHA-256, once: again, or after an upload of the same
/// content, it returns the same digest.
pub async fn put_stores_a_content_once<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(PIECE_BYTES + 3, 19);
    let sha256 = store.put(bytes.clone()).await.unwrap();
    assert_eq!(sha256, sha256_hex(&bytes));
    assert_eq!(store.put(bytes.clone()).await.unwrap(), sha256);
    assert_eq!(read(&*store, &sha256, None).await, bytes);
    let id = upload_of(&*store, &bytes).await;
    assert_eq!(store.finish(&id).await.unwrap().sha256, sha256, "an upload finds the put content");
    let thumbnail = pattern(100, 20);
    let other = upload_of(&*store, &thumbnail).await;
    let finished = store.finish(&other).await.unwrap();
    assert_eq!(store.put(thumbnail.clone()).await.unwrap(), finished.sha256, "a put finds the uploaded content");
    assert_eq!(read(&*store, &finished.sha256, None).await, thumbnail);
    store.remove(&sha256).await.unwrap();
    assert!(store.read(&sha256, None).await.is_err(), "one blob, so one remove takes it");
}

/// Puts of one content racing each other (eight uploads of one picture make the same
/// thumbnails), on one node and on two, all succeed and leave that content.
pub async fn racing_puts_of_one_content<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let (a, b) = (f.open(&place).await, f.open(&place).await);
    let bytes = pattern(2 * PIECE_BYTES, 21);
    let (x, y, z) = tokio::join!(a.put(bytes.clone()), a.put(bytes.clone()), b.put(bytes.clone()));
    let sha256 = sha256_hex(&bytes);
    assert_eq!([x.unwrap(), y.unwrap(), z.unwrap()], [sha256.clone(), sha256.clone(), sha256.clone()]);
    assert_eq!(read(&*b, &sha256, None).await, bytes);
}

/// A range reads its bytes, both ends included: the first byte, the last, one across a
/// piece's edge, all of them; a range past the end yields what is there.
pub async fn ranged_reads<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(3 * PIECE_BYTES + 9, 22);
    let id = upload_of(&*store, &bytes).await;
    let sha256 = store.finish(&id).await.unwrap().sha256;
    let n = bytes.len() as u64;
    let p = PIECE_BYTES as u64;
    for (first, last) in [(0, 0), (n - 1, n - 1), (p - 5, p + 5), (2 * p, 2 * p), (1, n - 2), (0, n - 1)] {
        let want = &bytes[first as usize..=last as usize];
        assert_eq!(read(&*store, &sha256, Some((first, last))).await, want, "bytes {first}-{last}");
    }
    assert_eq!(read(&*store, &sha256, Some((n - 3, n + 100))).await, &bytes[bytes.len() - 3..], "partly past the end");
    assert_eq!(read(&*store, &sha256, Some((n, n + 10))).await, b"", "wholly past the end");
    assert_eq!(read(&*store, &sha256, Some((n + 5, u64::MAX))).await, b"");
    assert!(store.read(&sha256, Some(ByteRange { first: 5, last: 4 })).await.is_err(), "a range that is empty");
    let empty = store.put(vec![]).await.unwrap();
    assert_eq!(read(&*store, &empty, Some((0, 0))).await, b"", "a range of the empty blob");
}

/// `remove` deletes a blob, so that reading it fails; removing one that is not there (twice,
/// or never stored) succeeds.
pub async fn remove_deletes_a_blob_and_forgets_a_missing_one<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let sha256 = store.put(b"bye".to_vec()).await.unwrap();
    let kept = store.put(b"stay".to_vec()).await.unwrap();
    store.remove(&sha256).await.unwrap();
    assert!(store.read(&sha256, None).await.is_err());
    assert!(store.read(&sha256, Some(ByteRange { first: 0, last: 1 })).await.is_err());
    store.remove(&sha256).await.unwrap();
    store.remove(&sha256_hex(b"never stored")).await.unwrap();
    assert_eq!(read(&*store, &kept, None).await, b"stay", "other blobs stay");
}

/// `discard` drops an upload (again: nothing to do), and leaves others alone.
pub async fn discard_drops_an_upload<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let bytes = pattern(2 * PIECE_BYTES + 3, 23);
    let (dropped, kept) = (upload_of(&*store, &bytes).await, upload_of(&*store, b"kept").await);
    store.discard(&dropped).await.unwrap();
    assert!(store.upload_head(&dropped, 10).await.is_err());
    store.discard(&dropped).await.unwrap();
    assert_eq!(content(&*store, &kept).await, b"kept");
}

/// Digests that are not lower-case SHA-256 hex (which could name a path) are refused.
pub async fn names_that_are_not_sha256_digests_are_refused<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let upper = sha256_hex(b"x").to_uppercase();
    for name in ["", "../../etc/passwd", "ab/../../../x", &upper, &"g".repeat(64), &"a".repeat(63)] {
        assert!(store.read(name, None).await.is_err(), "read {name:?}");
        assert!(store.remove(name).await.is_err(), "remove {name:?}");
    }
}

/// An upload begun on one node is appended to, cut, overwritten and finished on another, and
/// its blob read and removed on either: nothing about it lives in one node.
pub async fn an_upload_begun_on_one_node_is_finished_on_another<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let (a, b) = (f.open(&place).await, f.open(&place).await);
    let bytes = pattern(3 * PIECE_BYTES, 24);
    let id = FileId::random();
    a.start(&id).await.unwrap();
    append(&*a, &id, 0, &bytes[..PIECE_BYTES + 10]).await;
    append(&*b, &id, PIECE_BYTES as u64 + 10, &bytes[PIECE_BYTES + 10..]).await;
    b.truncate(&id, 2 * PIECE_BYTES as u64 + 1).await.unwrap();
    let mut want = bytes[..2 * PIECE_BYTES + 1].to_vec();
    a.overwrite(&id, 3, vec![0; 3]).await.unwrap();
    want[3..6].fill(0);
    assert_eq!(content(&*b, &id).await, want);
    let tail = pattern(1000, 25);
    append(&*a, &id, want.len() as u64, &tail).await;
    want.extend_from_slice(&tail);
    let blob = b.finish(&id).await.unwrap();
    assert_eq!(blob.sha256, sha256_hex(&want));
    assert!(a.upload_head(&id, 1).await.is_err(), "finished for every node");
    assert_eq!(read(&*a, &blob.sha256, None).await, want);
    a.remove(&blob.sha256).await.unwrap();
    assert!(b.read(&blob.sha256, None).await.is_err(), "removed for every node");
}

/// An upload of [`BlobFactory::large_upload_bytes`] goes in and comes out whole: appended in
/// large chunks (one with a digest), finished, read all and in ranges.
pub async fn a_large_upload_streams_through<F: BlobFactory>(f: &F) {
    let place = f.place().await;
    let store = f.open(&place).await;
    let len = f.large_upload_bytes();
    let bytes = pattern(len, 26);
    let id = FileId::random();
    store.start(&id).await.unwrap();
    let (first, second) = (len / 3, 2 * len / 3 + 1);
    append(&*store, &id, 0, &bytes[..first]).await;
    let written = store.append(&id, first as u64, u64::MAX, true, reader(bytes[first..second].to_vec())).await.unwrap();
    assert_eq!(written.sha256, Some(<[u8; 32]>::from(sha2::Sha256::digest(&bytes[first..second]))));
    append(&*store, &id, second as u64, &bytes[second..]).await;
    let blob = store.finish(&id).await.unwrap();
    assert_eq!((blob.sha256.as_str(), blob.size), (sha256_hex(&bytes).as_str(), len as u64));
    assert_eq!(blob.head, &bytes[..SNIFF_BYTES.min(len)]);
    let whole = read(&*store, &blob.sha256, None).await;
    assert!(whole == bytes, "the blob reads back as written ({} bytes of {len})", whole.len());
    let n = len as u64;
    for (from, to) in [(n / 2 - 1000, n / 2 + 1000), (n - 10, n - 1), (0, 99)] {
        let want = &bytes[from as usize..=to as usize];
        assert!(read(&*store, &blob.sha256, Some((from, to))).await == want, "bytes {from}-{to}");
    }
}

/// Calls `$m!(check)` for every check of the blob suite: the one list of them.
#[doc(hidden)]
#[macro_export]
macro_rules! __for_each_blob_check {
    ($m:ident, $factory:expr) => {
        $crate::__for_each_check!(@ $m, $factory,
            blobs::appends_grow_the_upload_at_its_offset,
            blobs::many_small_appends_add_up,
            blobs::an_append_at_an_earlier_offset_cuts_what_follows_first,
            blobs::an_append_past_the_end_changes_nothing,
            blobs::an_upload_never_started_or_ended_is_refused,
            blobs::start_again_empties_an_upload,
            blobs::the_room_bound_refuses_a_longer_chunk_and_keeps_none_of_it,
            blobs::digests_are_those_of_the_chunk,
            blobs::an_interrupted_chunk_keeps_what_arrived,
            blobs::truncate_cuts_back_and_never_extends,
            blobs::overwrite_replaces_bytes_in_place,
            blobs::upload_head_reads_the_first_bytes,
            blobs::finish_turns_the_upload_into_a_blob,
            blobs::finishing_one_content_twice_keeps_one_blob,
            blobs::an_empty_upload_finishes_as_the_empty_blob,
            blobs::put_stores_a_content_once,
            blobs::racing_puts_of_one_content,
            blobs::ranged_reads,
            blobs::remove_deletes_a_blob_and_forgets_a_missing_one,
            blobs::discard_drops_an_upload,
            blobs::names_that_are_not_sha256_digests_are_refused,
            blobs::an_upload_begun_on_one_node_is_finished_on_another,
            blobs::a_large_upload_streams_through,
        );
    };
}

/// Runs the [`BlobStore`] conformance suite against the adapter that `$factory` (an expression
/// whose type implements [`BlobFactory`]) opens: one `#[test]` per check, named after it. Use
/// it once, at the root of a test file.
#[macro_export]
macro_rules! blob_conformance {
    ($factory:expr) => {
        $crate::__for_each_blob_check!(__check_test, $factory);
    };
}
