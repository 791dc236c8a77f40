//! Content parts → Converse content blocks: text, images (data URLs), documents (file parts).

use aws_sdk_bedrockruntime::types::{
    CachePointBlock, CachePointType, ContentBlock, DocumentBlock, DocumentFormat, DocumentSource, ImageBlock,
    ImageFormat, ImageSource,
};
use aws_smithy_types::Blob;
use base64::Engine as _;
use openai::{ContentPart, FilePart, MessageContent};

use crate::error::TranslateError;

/// Whether text is worth sending: Bedrock rejects blank text blocks.
pub fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Converts message content to blocks, skipping blank text. `path` is the JSON path of
/// `content`. With `cache_points`, an Anthropic-style `cache_control` on a part becomes a
/// `cachePoint` block after it (Roo Code and Cursor send them).
pub fn content_blocks(
    content: &MessageContent,
    path: &str,
    cache_points: bool,
) -> Result<Vec<ContentBlock>, TranslateError> {
    match content {
        MessageContent::Text(text) if is_blank(text) => Ok(Vec::new()),
        MessageContent::Text(text) => Ok(vec![ContentBlock::Text(text.clone())]),
        MessageContent::Parts(parts) => {
            let mut blocks = Vec::with_capacity(parts.len());
            for (i, part) in parts.iter().enumerate() {
                if let Some(block) = part_block(part, &format!("{path}[{i}]"))? {
                    blocks.push(block);
                    if cache_points && has_cache_control(part) {
                        blocks.push(ContentBlock::CachePoint(cache_point()?));
                    }
                }
            }
            Ok(blocks)
        }
    }
}

/// Whether a part carries an Anthropic-style `cache_control` marker.
pub fn has_cache_control(part: &ContentPart) -> bool {
    matches!(
        part,
        ContentPart::Text { cache_control: Some(_), .. } | ContentPart::ImageUrl { cache_control: Some(_), .. }
    )
}

/// A default cache point.
pub fn cache_point() -> Result<CachePointBlock, TranslateError> {
    Ok(CachePointBlock::builder().r#type(CachePointType::Default).build()?)
}

fn part_block(part: &ContentPart, path: &str) -> Result<Option<ContentBlock>, TranslateError> {
    match part {
        ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text } => {
            Ok((!is_blank(text)).then(|| ContentBlock::Text(text.clone())))
        }
        ContentPart::ImageUrl { image_url, .. } => {
            image_block(&image_url.url, &format!("{path}.image_url.url")).map(|b| Some(ContentBlock::Image(b)))
        }
        ContentPart::File { file } => {
            document_block(file, &format!("{path}.file")).map(|b| Some(ContentBlock::Document(b)))
        }
    }
}

/// A `data:` URL split into its media type and decoded bytes.
struct DataUrl {
    media_type: String,
    bytes: Vec<u8>,
}

fn parse_data_url(url: &str, path: &str) -> Result<DataUrl, TranslateError> {
    let rest = url.strip_prefix("data:").ok_or_else(|| TranslateError::new("expected a data: URL", path))?;
    let (meta, data) =
        rest.split_once(',').ok_or_else(|| TranslateError::new("malformed data: URL (no comma)", path))?;
    let media_type = meta
        .strip_suffix(";base64")
        .ok_or_else(|| TranslateError::new("data: URLs must be base64-encoded (data:<type>;base64,<data>)", path))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| TranslateError::new("the data: URL does not contain valid base64", path))?;
    Ok(DataUrl { media_type: media_type.to_ascii_lowercase(), bytes })
}

/// Builds an image block from a data URL; the format is sniffed from the bytes, since
/// clients mislabel images (`image/jpg`, PNGs sent as jpeg) and Bedrock checks.
pub fn image_block(url: &str, path: &str) -> Result<ImageBlock, TranslateError> {
    if url.starts_with("http://") || url.starts_with("https://") {
        return Err(TranslateError::new(
            "image URLs must be data: URLs (data:image/png;base64,...); fetching remote images is not enabled",
            path,
        ));
    }
    let data = parse_data_url(url, path)?;
    image_block_from_bytes(data.bytes, path)
}

/// Builds an image block from raw bytes, refusing anything that is not png/jpeg/gif/webp.
pub fn image_block_from_bytes(bytes: Vec<u8>, path: &str) -> Result<ImageBlock, TranslateError> {
    let format = sniff_image(&bytes).ok_or_else(|| {
        TranslateError::new("unsupported image: Bedrock accepts PNG, JPEG, GIF and WebP images", path)
    })?;
    Ok(ImageBlock::builder().format(format).source(ImageSource::Bytes(Blob::new(bytes))).build()?)
}

/// Image format from magic bytes.
pub fn sniff_image(bytes: &[u8]) -> Option<ImageFormat> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some(ImageFormat::Png),
        [0xFF, 0xD8, 0xFF, ..] => Some(ImageFormat::Jpeg),
        [b'G', b'I', b'F', b'8', ..] => Some(ImageFormat::Gif),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageFormat::Webp),
        _ => None,
    }
}

fn document_block(file: &FilePart, path: &str) -> Result<DocumentBlock, TranslateError> {
    let data_path = format!("{path}.file_data");
    let url = file.file_data.as_deref().ok_or_else(|| {
        TranslateError::new("file parts need file_data (uploaded file ids are not supported)", &data_path)
    })?;
    let data = if url.starts_with("data:") {
        parse_data_url(url, &data_path)?
    } else {
        // The OpenAI SDK also accepts bare base64 in file_data.
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(url.trim())
            .map_err(|_| TranslateError::new("file_data is neither a data: URL nor base64", &data_path))?;
        DataUrl { media_type: String::new(), bytes }
    };
    let format = document_format(&data.media_type, file.filename.as_deref()).ok_or_else(|| {
        TranslateError::new(
            "unsupported document type: Bedrock accepts pdf, csv, doc, docx, xls, xlsx, html, txt and md",
            path,
        )
    })?;
    Ok(DocumentBlock::builder()
        .format(format)
        .name(document_name(file.filename.as_deref()))
        .source(DocumentSource::Bytes(Blob::new(data.bytes)))
        .build()?)
}

fn document_format(media_type: &str, filename: Option<&str>) -> Option<DocumentFormat> {
    let by_type = match media_type {
        "application/pdf" => Some(DocumentFormat::Pdf),
        "text/csv" => Some(DocumentFormat::Csv),
        "application/msword" => Some(DocumentFormat::Doc),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Some(DocumentFormat::Docx),
        "application/vnd.ms-excel" => Some(DocumentFormat::Xls),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(DocumentFormat::Xlsx),
        "text/html" => Some(DocumentFormat::Html),
        "text/plain" => Some(DocumentFormat::Txt),
        "text/markdown" => Some(DocumentFormat::Md),
        _ => None,
    };
    by_type.or_else(|| {
        let ext = filename?.rsplit_once('.')?.1.to_ascii_lowercase();
        DocumentFormat::values().contains(&ext.as_str()).then(|| DocumentFormat::from(ext.as_str()))
    })
}

/// Bedrock document names allow only alphanumerics, single spaces, hyphens, parentheses
/// and square brackets; anything else becomes a space.
pub fn document_name(filename: Option<&str>) -> String {
    let stem = filename.map_or("document", |f| f.rsplit_once('.').map_or(f, |(stem, _)| stem));
    let mut name = String::with_capacity(stem.len());
    for c in stem.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']');
        let c = if keep { c } else { ' ' };
        if !(c == ' ' && (name.is_empty() || name.ends_with(' '))) {
            name.push(c);
        }
    }
    let name = name.trim_end().to_owned();
    if name.is_empty() {
        "document".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openai::ImageUrl;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];

    fn data_url(mime: &str, bytes: &[u8]) -> String {
        format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    #[test]
    fn blank_text_is_skipped() {
        let blocks = content_blocks(&MessageContent::Text("  \n".into()), "c", false).unwrap();
        assert!(blocks.is_empty());
        let parts = MessageContent::Parts(vec![
            ContentPart::Text { text: "".into(), cache_control: None },
            ContentPart::Text { text: "x".into(), cache_control: None },
        ]);
        assert_eq!(content_blocks(&parts, "c", false).unwrap(), vec![ContentBlock::Text("x".into())]);
    }

    #[test]
    fn image_format_is_sniffed_not_trusted() {
        let block = image_block(&data_url("image/jpg", PNG), "p").unwrap();
        assert_eq!(block.format(), &ImageFormat::Png);
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0];
        assert_eq!(sniff_image(&jpeg), Some(ImageFormat::Jpeg));
        assert_eq!(sniff_image(b"GIF89a"), Some(ImageFormat::Gif));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
    }

    #[test]
    fn bad_images_name_the_field() {
        let err = image_block(&data_url("image/png", b"<svg/>"), "messages[0].content[1].image_url.url").unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].content[1].image_url.url"));
        assert!(image_block("data:image/png;base64,!!!", "p").is_err());
        assert!(image_block("data:image/png,raw", "p").is_err());
        assert!(image_block("https://example.com/a.png", "p").unwrap_err().message.contains("remote"));
    }

    #[test]
    fn image_part_path_points_at_url() {
        let parts = MessageContent::Parts(vec![ContentPart::ImageUrl {
            image_url: ImageUrl { url: "data:image/png;base64,AAAA".into(), detail: None },
            cache_control: None,
        }]);
        let err = content_blocks(&parts, "messages[2].content", false).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[2].content[0].image_url.url"));
    }

    #[test]
    fn cache_control_becomes_a_cache_point() {
        let parts = MessageContent::Parts(vec![
            ContentPart::Text { text: "long".into(), cache_control: Some(serde_json::json!({"type": "ephemeral"})) },
            ContentPart::Text { text: "q".into(), cache_control: None },
        ]);
        let blocks = content_blocks(&parts, "c", true).unwrap();
        assert_eq!(blocks.len(), 3);
        assert!(blocks[1].is_cache_point());
        assert_eq!(content_blocks(&parts, "c", false).unwrap().len(), 2, "ignored where caching is unsupported");
    }

    #[test]
    fn pdf_file_part_becomes_a_named_document() {
        let file = FilePart {
            file_data: Some(data_url("application/pdf", b"%PDF-1.4")),
            file_id: None,
            filename: Some("Q3 report_final.v2.pdf".into()),
        };
        let doc = document_block(&file, "f").unwrap();
        assert_eq!(doc.format(), &DocumentFormat::Pdf);
        assert_eq!(doc.name(), "Q3 report final v2");
    }

    #[test]
    fn document_names_are_sanitised() {
        assert_eq!(document_name(None), "document");
        assert_eq!(document_name(Some("***.pdf")), "document");
        assert_eq!(document_name(Some("a  b(1)[x].txt")), "a b(1)[x]");
    }
}
