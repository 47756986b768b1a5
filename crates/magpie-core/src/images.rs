//! Image processing for files: thumbnails, orientation, blurhash. Pure functions over bytes,
//! run on the blocking pool by [`crate::files::Files`].
//!
//! Thumbnails are re-encoded JPEG, so they carry no metadata (no EXIF, no location). The
//! EXIF orientation of the original is applied to them, and to the size reported.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

/// The longest side of each thumbnail, in pixels.
pub const THUMBNAIL_SIDES: [u32; 2] = [256, 1024];
/// JPEG quality of thumbnails.
const THUMBNAIL_QUALITY: u8 = 80;
/// Components of the blurhash (4 across, 3 down: the common choice).
const BLURHASH_COMPONENTS: (u32, u32) = (4, 3);

/// One encoded thumbnail.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// Which of [`THUMBNAIL_SIDES`] it is made for.
    pub side: u32,
    pub width: u32,
    pub height: u32,
    pub jpeg: Vec<u8>,
}

/// What processing an image gives.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The displayed size, after orientation.
    pub width: u32,
    pub height: u32,
    pub thumbnails: Vec<Thumbnail>,
    pub blurhash: Option<String>,
}

/// Decodes an image (within `pixels_max` and a matching memory bound), turns it upright, and
/// makes its thumbnails and blurhash. `None` if it cannot be decoded: the file stays a file.
pub fn process(bytes: &[u8], pixels_max: u64) -> Option<Processed> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()?;
    let mut limits = Limits::default();
    let side_max = u32::try_from(pixels_max.min(u64::from(u32::MAX))).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side_max);
    limits.max_image_height = Some(side_max);
    // Four bytes per pixel, and room for the decoder's own buffers.
    limits.max_alloc = Some(pixels_max.saturating_mul(8));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().ok()?;
    let orientation = decoder.orientation().ok();
    let mut image = DynamicImage::from_decoder(decoder).ok()?;
    if u64::from(image.width()) * u64::from(image.height()) > pixels_max {
        return None;
    }
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    let mut thumbnails = Vec::with_capacity(THUMBNAIL_SIDES.len());
    for side in THUMBNAIL_SIDES {
        let small =
            if image.width() > side || image.height() > side { image.thumbnail(side, side) } else { image.clone() };
        let rgb = small.to_rgb8();
        let mut jpeg = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, THUMBNAIL_QUALITY);
        rgb.write_with_encoder(encoder).ok()?;
        thumbnails.push(Thumbnail { side, width: small.width(), height: small.height(), jpeg });
    }
    // A blurhash only needs a few pixels: hash a tiny copy.
    let tiny = image.thumbnail(32, 32).to_rgba8();
    let (cx, cy) = BLURHASH_COMPONENTS;
    let blurhash = blurhash::encode(cx, cy, tiny.width(), tiny.height(), tiny.as_raw()).ok();
    Some(Processed { width: image.width(), height: image.height(), thumbnails, blurhash })
}

/// Where a JPEG's EXIF keeps location (its GPS directory and the values it points to), as
/// byte ranges of `jpeg` to zero. Zeroing in place leaves every other offset valid: the GPS
/// directory reads as empty, and the rest of the EXIF (the orientation, say) stays. Only the
/// first segments are looked at; anything malformed yields no ranges rather than a guess.
pub fn location_ranges(jpeg: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut ranges = vec![];
    if !jpeg.starts_with(&[0xff, 0xd8]) {
        return ranges;
    }
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xff {
        let marker = jpeg[pos + 1];
        // The image data starts: no more metadata segments.
        if marker == 0xda || marker == 0xd9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        let (start, end) = (pos + 4, pos + 2 + len);
        if len < 2 || end > jpeg.len() {
            break;
        }
        if marker == 0xe1 && jpeg[start..end].starts_with(b"Exif\0\0") {
            let tiff = start + 6;
            ranges.extend(gps_ranges(&jpeg[tiff..end]).into_iter().map(|r| r.start + tiff..r.end + tiff));
        }
        pos = end;
    }
    ranges
}

/// The GPS directory of a TIFF structure (an EXIF payload), and the values it points to.
fn gps_ranges(tiff: &[u8]) -> Vec<std::ops::Range<usize>> {
    let big = match tiff.get(..2) {
        Some(b"MM") => true,
        Some(b"II") => false,
        _ => return vec![],
    };
    let u16_at = |at: usize| {
        tiff.get(at..at + 2)
            .map(|b| if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |at: usize| {
        tiff.get(at..at + 4).map(|b| {
            let b = [b[0], b[1], b[2], b[3]];
            usize::try_from(if big { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) }).unwrap_or(usize::MAX)
        })
    };
    let Some(ifd0) = u32_at(4) else { return vec![] };
    let Some(count) = u16_at(ifd0) else { return vec![] };
    let gps = (0..usize::from(count))
        .map(|i| ifd0 + 2 + i * 12)
        .find(|&entry| u16_at(entry) == Some(0x8825))
        .and_then(|entry| u32_at(entry + 8));
    let Some(gps) = gps else { return vec![] };
    let Some(gps_count) = u16_at(gps) else { return vec![] };
    let dir_end = gps + 2 + usize::from(gps_count) * 12 + 4;
    if dir_end > tiff.len() {
        return vec![];
    }
    let mut ranges = Vec::with_capacity(1 + usize::from(gps_count));
    ranges.push(gps..dir_end);
    for i in 0..usize::from(gps_count) {
        let entry = gps + 2 + i * 12;
        let (Some(kind), Some(n)) = (u16_at(entry + 2), u32_at(entry + 4)) else { continue };
        let unit = match kind {
            1 | 2 | 6 | 7 => 1,
            3 | 8 => 2,
            4 | 9 | 11 => 4,
            5 | 10 | 12 => 8,
            _ => continue,
        };
        let size = n.saturating_mul(unit);
        // Values of more than four bytes live elsewhere; the entry holds their offset.
        if size > 4
            && let Some(at) = u32_at(entry + 8)
            && at.saturating_add(size) <= tiff.len()
        {
            ranges.push(at..at + size);
        }
    }
    ranges
}

/// The body of the first box of this kind among the boxes of one level of an MP4 structure.
fn mp4_box<'a>(level: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    let mut at = 0;
    while let Some(len) = level.get(at..at + 4) {
        let len = usize::try_from(u32::from_be_bytes([len[0], len[1], len[2], len[3]])).ok()?;
        if len < 8 || at + len > level.len() {
            return None;
        }
        if level.get(at + 4..at + 8)? == kind {
            return level.get(at + 8..at + len);
        }
        at += len;
    }
    None
}

/// The playing time of an MP4, MOV or M4A file from its `moov/mvhd` box, if that box is in
/// `head` (files written for streaming put it first; others are left to the client's word).
pub fn mp4_duration_ms(head: &[u8]) -> Option<u64> {
    let u32_at = |b: &[u8], at: usize| b.get(at..at + 4).map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
    let u64_at = |b: &[u8], at: usize| {
        b.get(at..at + 8).map(|x| u64::from_be_bytes([x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]))
    };
    let moov = mp4_box(head, b"moov")?;
    let mvhd = mp4_box(moov, b"mvhd")?;
    let (timescale, duration) = match mvhd.first()? {
        0 => (u64::from(u32_at(mvhd, 12)?), u64::from(u32_at(mvhd, 16)?)),
        1 => (u64::from(u32_at(mvhd, 20)?), u64_at(mvhd, 24)?),
        _ => return None,
    };
    if timescale == 0 {
        return None;
    }
    Some(duration.saturating_mul(1000) / timescale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        let mut out = Vec::new();
        let encoder = image::codecs::png::PngEncoder::new(&mut out);
        image.write_with_encoder(encoder).unwrap_or_default();
        out
    }

    #[test]
    fn thumbnails_fit_their_sides_and_keep_the_aspect() {
        let processed = process(&png(2000, 1000), 50_000_000).unwrap_or_else(|| panic!("not processed"));
        assert_eq!((processed.width, processed.height), (2000, 1000));
        let sizes: Vec<(u32, u32, u32)> = processed.thumbnails.iter().map(|t| (t.side, t.width, t.height)).collect();
        assert_eq!(sizes, vec![(256, 256, 128), (1024, 1024, 512)]);
        assert!(processed.thumbnails.iter().all(|t| t.jpeg.starts_with(&[0xff, 0xd8])));
        assert!(processed.blurhash.is_some_and(|b| b.len() > 6));
        // Small images are not blown up.
        let small = process(&png(100, 50), 50_000_000).unwrap_or_else(|| panic!("not processed"));
        assert!(small.thumbnails.iter().all(|t| (t.width, t.height) == (100, 50)));
    }

    #[test]
    fn garbage_and_bombs_are_not_decoded() {
        assert!(process(b"not an image at all", 50_000_000).is_none());
        assert!(process(&png(400, 400), 10_000).is_none());
    }

    proptest::proptest! {
        /// Whatever the bytes (a JPEG start and then anything), the scan neither panics nor
        /// names a range outside them.
        #[test]
        fn location_ranges_stay_inside_any_input(tail in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe1, 0x01, 0x00];
            jpeg.extend_from_slice(b"Exif\0\0MM\0\x2a\0\0\0\x08");
            jpeg.extend_from_slice(&tail);
            for range in location_ranges(&jpeg) {
                proptest::prop_assert!(range.start <= range.end && range.end <= jpeg.len());
            }
            for range in location_ranges(&tail) {
                proptest::prop_assert!(range.end <= tail.len());
            }
        }
    }
}
