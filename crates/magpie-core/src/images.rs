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
}
