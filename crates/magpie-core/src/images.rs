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

/// What decoding an image costs, read from its header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeCost {
    pub width: u32,
    pub height: u32,
    /// Bytes of the decoded pixels (the decoder's one big buffer).
    pub pixel_bytes: u64,
}

impl DecodeCost {
    /// Memory the whole processing may hold at its peak: the decoded pixels, the encoded file
    /// beside them, and the thumbnails (at most [`THUMBNAIL_SIDES`]'s largest square in the
    /// widest pixel format, 16 bytes a pixel) with their encoding.
    pub fn peak_bytes(&self, file_bytes: u64) -> u64 {
        let largest = u64::from(THUMBNAIL_SIDES[THUMBNAIL_SIDES.len() - 1]);
        let thumbnails = largest * largest * 16 * 2;
        self.pixel_bytes.saturating_add(file_bytes).saturating_add(thumbnails)
    }
}

fn reader(bytes: &[u8]) -> Option<ImageReader<Cursor<&[u8]>>> {
    ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()
}

/// Reads an image's header: its size and what decoding it would take. `None` if the format
/// is not one this server decodes or the header is broken.
pub fn decode_cost(bytes: &[u8]) -> Option<DecodeCost> {
    let decoder = reader(bytes)?.into_decoder().ok()?;
    let (width, height) = decoder.dimensions();
    Some(DecodeCost { width, height, pixel_bytes: decoder.total_bytes() })
}

/// Decodes an image (within `pixels_max`, and allocating at most `alloc_bytes_max`), and makes
/// its thumbnails and blurhash. The EXIF orientation is applied to the thumbnails, not to the
/// full image, so that no second full-size buffer is ever made. `None` if it cannot be
/// decoded: the file stays a file.
pub fn process(bytes: &[u8], pixels_max: u64, alloc_bytes_max: u64) -> Option<Processed> {
    let mut reader = reader(bytes)?;
    let mut limits = Limits::default();
    let side_max = u32::try_from(pixels_max.min(u64::from(u32::MAX))).unwrap_or(u32::MAX);
    limits.max_image_width = Some(side_max);
    limits.max_image_height = Some(side_max);
    limits.max_alloc = Some(alloc_bytes_max);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().ok()?;
    let (width, height) = decoder.dimensions();
    // The decoder's limits bound its own buffers; the pixels' buffer is the caller's to bound.
    if u64::from(width) * u64::from(height) > pixels_max || decoder.total_bytes() > alloc_bytes_max {
        return None;
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).ok()?;
    let mut small = Vec::with_capacity(THUMBNAIL_SIDES.len());
    for side in THUMBNAIL_SIDES {
        let mut thumb =
            if image.width() > side || image.height() > side { image.thumbnail(side, side) } else { image.clone() };
        thumb.apply_orientation(orientation);
        small.push((side, thumb.to_rgb8()));
    }
    drop(image);
    let mut thumbnails = Vec::with_capacity(small.len());
    for (side, rgb) in &small {
        let mut jpeg = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, THUMBNAIL_QUALITY);
        rgb.write_with_encoder(encoder).ok()?;
        thumbnails.push(Thumbnail { side: *side, width: rgb.width(), height: rgb.height(), jpeg });
    }
    // A blurhash only needs a few pixels: hash a tiny copy of the smallest thumbnail.
    let blurhash = small.first().and_then(|(_, rgb)| {
        let tiny = DynamicImage::ImageRgb8(rgb.clone()).thumbnail(32, 32).to_rgba8();
        let (cx, cy) = BLURHASH_COMPONENTS;
        blurhash::encode(cx, cy, tiny.width(), tiny.height(), tiny.as_raw()).ok()
    });
    let quarter_turn = matches!(
        orientation,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    let (width, height) = if quarter_turn { (height, width) } else { (width, height) };
    Some(Processed { width, height, thumbnails, blurhash })
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
        let processed = process(&png(2000, 1000), 50_000_000, 1 << 30).unwrap_or_else(|| panic!("not processed"));
        assert_eq!((processed.width, processed.height), (2000, 1000));
        let sizes: Vec<(u32, u32, u32)> = processed.thumbnails.iter().map(|t| (t.side, t.width, t.height)).collect();
        assert_eq!(sizes, vec![(256, 256, 128), (1024, 1024, 512)]);
        assert!(processed.thumbnails.iter().all(|t| t.jpeg.starts_with(&[0xff, 0xd8])));
        assert!(processed.blurhash.is_some_and(|b| b.len() > 6));
        // Small images are not blown up.
        let small = process(&png(100, 50), 50_000_000, 1 << 30).unwrap_or_else(|| panic!("not processed"));
        assert!(small.thumbnails.iter().all(|t| (t.width, t.height) == (100, 50)));
    }

    #[test]
    fn garbage_and_bombs_are_not_decoded() {
        assert!(process(b"not an image at all", 50_000_000, 1 << 30).is_none());
        assert!(process(&png(400, 400), 10_000, 1 << 30).is_none());
        // Within the pixel bound, but more than the memory it may take.
        assert!(process(&png(400, 400), 50_000_000, 100_000).is_none());
    }

    #[test]
    fn the_cost_of_decoding_comes_from_the_header() {
        let cost = decode_cost(&png(300, 200)).unwrap_or_else(|| panic!("no header"));
        assert_eq!((cost.width, cost.height, cost.pixel_bytes), (300, 200, 300 * 200 * 3));
        assert!(cost.peak_bytes(1000) > cost.pixel_bytes);
        assert_eq!(decode_cost(b"GIF89a garbage"), None);
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
