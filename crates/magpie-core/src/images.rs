//! Image processing for files: thumbnails, orientation, blurhash. Pure functions over bytes,
//! run on the blocking pool by [`crate::files::Files`].
//!
//! Thumbnails are re-encoded JPEG, so they carry no metadata (no EXIF, no location). The
//! EXIF orientation of the original is applied to them, and to the size reported.

use std::io::Cursor;

use image::metadata::Orientation;
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
    /// Bytes the decode itself holds: the whole image's pixels, or, for a PNG read row by row
    /// ([`process`] streams those), a row and the running sums of the largest thumbnail.
    pub working_bytes: u64,
}

impl DecodeCost {
    /// Memory the whole processing may hold at its peak: the decode's working bytes, the
    /// encoded file beside them, and the thumbnails (at most [`THUMBNAIL_SIDES`]'s largest
    /// square in the widest pixel format, 16 bytes a pixel) with their encoding.
    pub fn peak_bytes(&self, file_bytes: u64) -> u64 {
        let largest = u64::from(THUMBNAIL_SIDES[THUMBNAIL_SIDES.len() - 1]);
        let thumbnails = largest * largest * 16 * 2;
        self.working_bytes.saturating_add(file_bytes).saturating_add(thumbnails)
    }
}

fn reader(bytes: &[u8]) -> Option<ImageReader<Cursor<&[u8]>>> {
    ImageReader::new(Cursor::new(bytes)).with_guessed_format().ok()
}

/// Reads an image's header: its size and what decoding it would take. `None` if the format
/// is not one this server decodes or the header is broken.
pub fn decode_cost(bytes: &[u8]) -> Option<DecodeCost> {
    if let Some(png) = StreamedPng::open(bytes) {
        return Some(png.cost());
    }
    let decoder = reader(bytes)?.into_decoder().ok()?;
    let (width, height) = decoder.dimensions();
    Some(DecodeCost { width, height, working_bytes: decoder.total_bytes() })
}

/// Decodes an image (within `pixels_max`, and allocating at most `alloc_bytes_max`), and makes
/// its thumbnails and blurhash. A PNG that is not interlaced (nearly all of them) is read row
/// by row into the largest thumbnail, so that its full size is never held; other images are
/// decoded whole. The EXIF orientation is applied to the thumbnails, not to the full image.
/// `None` if it cannot be decoded: the file stays a file.
pub fn process(bytes: &[u8], pixels_max: u64, alloc_bytes_max: u64) -> Option<Processed> {
    if let Some(png) = StreamedPng::open(bytes) {
        let (width, height) = (png.width, png.height);
        if u64::from(width) * u64::from(height) > pixels_max || png.cost().working_bytes > alloc_bytes_max {
            return None;
        }
        let orientation = png.orientation;
        let largest = png.shrink()?;
        return finish(DynamicImage::ImageRgb8(largest), (width, height), orientation);
    }
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
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).ok()?;
    finish(image, (width, height), orientation)
}

/// Thumbnails and blurhash from an image (the whole image, or already a smaller copy of an
/// image of `size`), turned upright by `orientation`.
fn finish(image: DynamicImage, size: (u32, u32), orientation: Orientation) -> Option<Processed> {
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
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let (width, height) = if quarter_turn { (size.1, size.0) } else { size };
    Some(Processed { width, height, thumbnails, blurhash })
}

/// A PNG that is not interlaced, read row by row.
struct StreamedPng<'a> {
    reader: png::Reader<Cursor<&'a [u8]>>,
    width: u32,
    height: u32,
    /// Samples per pixel after expansion to 8 bits (1 to 4).
    channels: usize,
    orientation: Orientation,
    /// The largest thumbnail's size.
    target: (u32, u32),
}

impl<'a> StreamedPng<'a> {
    /// The PNG's header, if `bytes` is a PNG that can be streamed.
    fn open(bytes: &'a [u8]) -> Option<StreamedPng<'a>> {
        if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return None;
        }
        let mut decoder = png::Decoder::new(Cursor::new(bytes));
        // Palettes and small bit depths expand to 8 bits a sample, 16 bits are cut to 8.
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let reader = decoder.read_info().ok()?;
        let info = reader.info();
        if info.interlaced || info.is_animated() {
            return None;
        }
        let (width, height) = (info.width, info.height);
        let orientation =
            info.exif_metadata.as_deref().and_then(Orientation::from_exif_chunk).unwrap_or(Orientation::NoTransforms);
        let channels = reader.output_color_type().0.samples();
        let side = THUMBNAIL_SIDES[THUMBNAIL_SIDES.len() - 1];
        let target = fit(width, height, side);
        Some(StreamedPng { reader, width, height, channels, orientation, target })
    }

    fn cost(&self) -> DecodeCost {
        let row = u64::from(self.width) * 8 * 2;
        let sums = u64::from(self.target.0) * u64::from(self.target.1) * 4 * 4;
        DecodeCost { width: self.width, height: self.height, working_bytes: row + sums }
    }

    /// Reads every row, averaging each box of source pixels into one pixel of the largest
    /// thumbnail (alpha is dropped, as a full decode's conversion to RGB drops it).
    fn shrink(mut self) -> Option<image::RgbImage> {
        let (tw, th) = self.target;
        let (w, h) = (self.width, self.height);
        let column: Vec<usize> = (0..w).map(|x| (u64::from(x) * u64::from(tw) / u64::from(w)) as usize).collect();
        let mut sums = vec![0u32; tw as usize * th as usize * 3];
        let mut counts = vec![0u32; tw as usize * th as usize];
        let channels = self.channels;
        let mut y = 0u32;
        while let Some(row) = self.reader.next_row().ok()? {
            if y >= h {
                return None;
            }
            let ty = (u64::from(y) * u64::from(th) / u64::from(h)) as usize * tw as usize;
            for (pixel, &tx) in row.data().chunks_exact(channels).zip(&column) {
                let at = ty + tx;
                let (r, g, b) =
                    if channels < 3 { (pixel[0], pixel[0], pixel[0]) } else { (pixel[0], pixel[1], pixel[2]) };
                sums[at * 3] += u32::from(r);
                sums[at * 3 + 1] += u32::from(g);
                sums[at * 3 + 2] += u32::from(b);
                counts[at] += 1;
            }
            y += 1;
        }
        if y != h {
            return None;
        }
        let pixels: Vec<u8> =
            sums.chunks_exact(3).zip(&counts).flat_map(|(s, &n)| s.iter().map(move |v| (v / n.max(1)) as u8)).collect();
        image::RgbImage::from_raw(tw, th, pixels)
    }
}

/// The size that fits `width`×`height` into a square of `side`, keeping the aspect (never
/// larger than the original, never 0).
fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    if width <= side && height <= side {
        return (width.max(1), height.max(1));
    }
    let (w, h, s) = (u64::from(width), u64::from(height), u64::from(side));
    let (tw, th) = if w >= h { (s, (h * s).div_ceil(w)) } else { ((w * s).div_ceil(h), s) };
    (u32::try_from(tw).unwrap_or(side).max(1), u32::try_from(th).unwrap_or(side).max(1))
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
        assert_eq!((cost.width, cost.height), (300, 200));
        assert!(cost.peak_bytes(1000) > cost.working_bytes);
        assert_eq!(decode_cost(b"GIF89a garbage"), None);
        // A large PNG streams: its cost does not grow with its pixels.
        let mut header = png(16, 16);
        header[16..24].copy_from_slice(&[0, 0, 0x1b, 0x58, 0, 0, 0x1b, 0x58]);
        let crc = crc_of(&header[12..29]);
        header[29..33].copy_from_slice(&crc.to_be_bytes());
        let big = decode_cost(&header).unwrap_or_else(|| panic!("no header"));
        assert_eq!((big.width, big.height), (7000, 7000));
        assert!(big.working_bytes < 32 << 20, "{}", big.working_bytes);
    }

    /// The CRC-32 of a PNG chunk's type and data.
    fn crc_of(bytes: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    #[test]
    fn a_streamed_png_gives_the_thumbnails_a_whole_decode_gives() {
        let streamed = process(&png(2000, 1000), 50_000_000, 1 << 30).unwrap_or_else(|| panic!("not processed"));
        let sizes: Vec<(u32, u32)> = streamed.thumbnails.iter().map(|t| (t.width, t.height)).collect();
        assert_eq!(sizes, vec![(256, 128), (1024, 512)]);
        let thumb = image::load_from_memory(&streamed.thumbnails[0].jpeg).unwrap_or_else(|_| panic!("bad jpeg"));
        let whole = image::load_from_memory(&png(2000, 1000)).unwrap_or_else(|_| panic!("bad png"));
        let expected = whole.thumbnail(256, 256).to_rgb8();
        for (x, y) in [(10, 10), (128, 64), (250, 120)] {
            let (got, want) = (thumb.to_rgb8().get_pixel(x, y).0, expected.get_pixel(x, y).0);
            let close = got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 24);
            assert!(close, "at {x},{y}: {got:?} against {want:?}");
        }
        assert_eq!(fit(7000, 3500, 1024), (1024, 512));
        assert_eq!(fit(3, 7000, 1024), (1, 1024));
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
