//! Reads what a page says of itself: its first `<title>` and its `<meta>` tags, with
//! lol_html's streaming tokenizer (it knows where scripts, styles and comments end, so a tag
//! written inside one is not taken for a real one).

use lol_html::html_content::{Element, TextChunk};
use lol_html::{AsciiCompatibleEncoding, HtmlRewriter, Settings, element, text};
use magpie_core::previews::FetchedPage;

/// `<meta>` tags kept of one page.
const METAS_MAX: usize = 64;
/// Bytes of a title or a tag's content kept (the core cuts them shorter still).
const TEXT_BYTES_MAX: usize = 4096;

/// Parses `body` in its charset (from the `Content-Type`, or a `<meta charset>`, else UTF-8).
pub fn read(body: &[u8], charset: Option<&str>) -> FetchedPage {
    let encoding = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
        .and_then(AsciiCompatibleEncoding::new)
        .unwrap_or_else(AsciiCompatibleEncoding::utf_8);
    let mut metas: Vec<(String, String)> = vec![];
    let mut title = String::new();
    // Whether the text being read is the first title's: set by its tag, ended by its text.
    let titles_seen = std::cell::Cell::new(0u32);
    let in_title = std::cell::Cell::new(false);
    {
        let on_meta = |el: &mut Element<'_, '_>| {
            let key = el.get_attribute("property").or_else(|| el.get_attribute("name"));
            if let (Some(key), Some(content)) = (key, el.get_attribute("content"))
                && metas.len() < METAS_MAX
            {
                metas.push((key.trim().to_ascii_lowercase(), bounded(content)));
            }
            Ok(())
        };
        let on_title = |_: &mut Element<'_, '_>| {
            titles_seen.set(titles_seen.get() + 1);
            in_title.set(titles_seen.get() == 1);
            Ok(())
        };
        let on_title_text = |t: &mut TextChunk<'_>| {
            if in_title.get() && title.len() < TEXT_BYTES_MAX {
                title.push_str(t.as_str());
            }
            if t.last_in_text_node() {
                in_title.set(false);
            }
            Ok(())
        };
        let settings = Settings {
            element_content_handlers: vec![
                element!("meta[content]", on_meta),
                element!("title", on_title),
                text!("title", on_title_text),
            ],
            encoding,
            adjust_charset_on_meta_tag: charset.is_none(),
            ..Settings::new()
        };
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        // A page that breaks the parser's bounds keeps what was read before.
        if rewriter.write(body).is_ok() {
            let _ = rewriter.end();
        }
    }
    let title = (!title.trim().is_empty()).then(|| bounded(title));
    FetchedPage { url: None, title, metas }
}

fn bounded(mut text: String) -> String {
    if text.len() > TEXT_BYTES_MAX {
        let mut end = TEXT_BYTES_MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_metas_are_read_and_script_text_is_not() {
        let page = read(
            br#"<!doctype html><html><head><title>The &amp; title</title>
            <meta property="og:title" content="OG title"><meta name="Description" content="Desc">
            <script>document.write('<meta property="og:image" content="/evil.png">')</script>
            <!-- <meta property="og:site_name" content="comment"> -->
            </head><body><svg><title>icon</title></svg></body></html>"#,
            None,
        );
        assert_eq!(page.title.as_deref(), Some("The &amp; title"));
        assert_eq!(page.metas, [("og:title".to_owned(), "OG title".to_owned()), ("description".into(), "Desc".into())]);
    }

    #[test]
    fn a_page_in_another_charset_is_read_in_it() {
        let (gbk, _, _) = encoding_rs::GBK.encode("<title>喜鹊</title>");
        assert_eq!(read(&gbk, Some("gbk")).title.as_deref(), Some("喜鹊"));
        let mut declared = b"<meta charset=\"gbk\">".to_vec();
        declared.extend_from_slice(&gbk);
        assert_eq!(read(&declared, None).title.as_deref(), Some("喜鹊"));
    }
}
