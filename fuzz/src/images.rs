//! Uploaded files' headers and images: type detection, the size from an image's header, the
//! location ranges of a JPEG's EXIF, an MP4's duration (`magpie_core::files`,
//! `magpie_core::images`), and decoding into thumbnails.

use magpie_core::files::{self, SNIFF_BYTES};
use magpie_core::images::{self, THUMBNAIL_SIDES};

/// Pixels an image may have in the decoding target: small, so that each run is quick, while
/// bigger headers still go through the decoders' limit checks.
const FUZZ_PIXELS_MAX: u64 = 64 * 64;

/// The first bytes of an upload, as `Files::finish` reads them.
pub fn image_headers(data: &[u8]) {
    let head = &data[..data.len().min(SNIFF_BYTES)];
    let media_type = files::detect_media_type(head);
    assert!(media_type.contains('/'), "media type {media_type:?}");
    let _ = files::image_size(&media_type, head);
    let _ = images::mp4_duration_ms(head);
    // GPS data is zeroed in place: every range lies inside the bytes.
    //
    // That a second scan of the zeroed bytes finds nothing left is not checked: a crafted
    // EXIF whose GPS pointer leads back into the TIFF header (corpus file
    // `exif-gps-points-into-header.jpg`) has the header zeroed, after which the scan, which
    // is lenient, reads a directory at offset 0 that no EXIF reader would. Only the
    // uploader can craft that, and the location it hides is their own.
    for r in images::location_ranges(head) {
        assert!(r.start <= r.end && r.end <= head.len(), "range {r:?} of {} bytes", head.len());
    }
}

/// Bytes a decode may allocate in the decoding target.
const FUZZ_ALLOC_MAX: u64 = 64 << 20;

/// A whole file decoded as an image, within a small pixel bound.
pub fn image_decode(data: &[u8]) {
    let cost = images::decode_cost(data);
    let Some(processed) = images::process(data, FUZZ_PIXELS_MAX, FUZZ_ALLOC_MAX) else { return };
    // What `Files` reserves before decoding comes from the same header the decoder reads: an
    // image that decodes has a cost, and its size is the decoded one (before orientation).
    let Some(cost) = cost else { panic!("decoded {}x{} without a decode cost", processed.width, processed.height) };
    let (w, h) = (cost.width.min(cost.height), cost.width.max(cost.height));
    let (dw, dh) = (processed.width.min(processed.height), processed.width.max(processed.height));
    assert_eq!((w, h), (dw, dh), "the cost's size is not the decoded size");
    // The server refuses a decompression bomb by the size in its header, before decoding: the
    // header must not tell fewer pixels than the decoder finds. (It may tell more: imagesize
    // reads a lossy WebP's two scaling bits as part of its width, corpus file
    // `webp-vp8-scale-bits.webp`, so such a file reads as larger than it is.)
    let head = &data[..data.len().min(SNIFF_BYTES)];
    if let Some((w, h)) = files::image_size(&files::detect_media_type(head), head) {
        let decoded = u64::from(processed.width) * u64::from(processed.height);
        assert!(u64::from(w) * u64::from(h) >= decoded, "header says {w}x{h}, decoded {decoded} pixels");
    }
    let pixels = u64::from(processed.width) * u64::from(processed.height);
    assert!(pixels <= FUZZ_PIXELS_MAX, "{}x{} decoded", processed.width, processed.height);
    assert_eq!(processed.thumbnails.len(), THUMBNAIL_SIDES.len());
    for t in &processed.thumbnails {
        assert!(t.width <= t.side && t.height <= t.side, "thumbnail {}x{} for {}", t.width, t.height, t.side);
        assert!(t.jpeg.starts_with(&[0xff, 0xd8]), "thumbnail for {} is not a JPEG", t.side);
    }
}
