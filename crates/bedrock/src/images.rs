//! OpenAI image generation ⇄ Bedrock InvokeModel bodies, per model family.
//!
//! Titan Image Generator and Nova Canvas share one dialect (`taskType: TEXT_IMAGE`,
//! up to 5 images per call); Stability models take one prompt and return one image per
//! call, so `n` images are `n` calls. The I/O lives in the gateway.

use openai::ImageGenerationRequest;
use serde_json::{json, Map, Value};

use crate::error::TranslateError;

/// The request/response dialect of an image model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageDialect {
    /// Titan Image Generator and Nova Canvas.
    Canvas,
    /// Stability AI models (`prompt`, `aspect_ratio`; `images`, `finish_reasons`).
    Stability,
}

/// Which sizes a family accepts.
#[derive(Debug, PartialEq, Eq)]
pub enum SizeRule {
    /// Only these `(width, height)` pairs.
    Table(&'static [(u32, u32)]),
    /// Nova Canvas: sides 320–4096 in steps of 16, ratio at most 4:1, at most 4,194,304 pixels.
    NovaCanvas,
    /// Stability: the size is mapped to the nearest supported aspect ratio.
    AspectRatio,
}

/// What the gateway needs to know about one image model family.
#[derive(Debug, PartialEq, Eq)]
pub struct ImageFamily {
    pub dialect: ImageDialect,
    pub max_n: u32,
    pub sizes: SizeRule,
    pub max_prompt_chars: usize,
    pub max_seed: u64,
    /// Style presets the model accepts (Nova Canvas); empty when it has none.
    pub styles: &'static [&'static str],
}

/// Titan Image Generator sizes (the documented table, without 1173x640, which is not a
/// multiple of 16).
const TITAN_SIZES: &[(u32, u32)] = &[
    (1024, 1024),
    (768, 768),
    (512, 512),
    (768, 1152),
    (384, 576),
    (1152, 768),
    (576, 384),
    (768, 1280),
    (384, 640),
    (1280, 768),
    (640, 384),
    (896, 1152),
    (448, 576),
    (1152, 896),
    (576, 448),
    (768, 1408),
    (384, 704),
    (1408, 768),
    (704, 384),
    (640, 1408),
    (320, 704),
    (1408, 640),
    (704, 320),
    (1152, 640),
];

const NOVA_STYLES: &[&str] = &[
    "3D_ANIMATED_FAMILY_FILM",
    "DESIGN_SKETCH",
    "FLAT_VECTOR_ILLUSTRATION",
    "GRAPHIC_NOVEL_ILLUSTRATION",
    "MAXIMALISM",
    "MIDCENTURY_RETRO",
    "PHOTOREALISM",
    "SOFT_DIGITAL_PAINTING",
];

const TITAN: ImageFamily = ImageFamily {
    dialect: ImageDialect::Canvas,
    max_n: 5,
    sizes: SizeRule::Table(TITAN_SIZES),
    max_prompt_chars: 512,
    max_seed: 2_147_483_646,
    styles: &[],
};
const NOVA_CANVAS: ImageFamily = ImageFamily {
    dialect: ImageDialect::Canvas,
    max_n: 5,
    sizes: SizeRule::NovaCanvas,
    max_prompt_chars: 1024,
    max_seed: 2_147_483_646,
    styles: NOVA_STYLES,
};
const STABILITY: ImageFamily = ImageFamily {
    dialect: ImageDialect::Stability,
    max_n: 10,
    sizes: SizeRule::AspectRatio,
    max_prompt_chars: 10_000,
    max_seed: 4_294_967_294,
    styles: &[],
};

/// Stability's aspect ratios.
const ASPECT_RATIOS: &[(&str, u32, u32)] = &[
    ("1:1", 1, 1),
    ("16:9", 16, 9),
    ("9:16", 9, 16),
    ("21:9", 21, 9),
    ("9:21", 9, 21),
    ("3:2", 3, 2),
    ("2:3", 2, 3),
    ("5:4", 5, 4),
    ("4:5", 4, 5),
];

/// The family of a foundation model id, `None` for models we cannot drive.
pub fn image_family(foundation_id: &str) -> Option<&'static ImageFamily> {
    let base = foundation_id.split(':').next().unwrap_or(foundation_id);
    match base {
        "amazon.titan-image-generator-v1" | "amazon.titan-image-generator-v2" => Some(&TITAN),
        "amazon.nova-canvas-v1" => Some(&NOVA_CANVAS),
        _ if base.starts_with("stability.") => Some(&STABILITY),
        _ => None,
    }
}

/// A validated request: the InvokeModel bodies to send, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePlan {
    pub dialect: ImageDialect,
    pub bodies: Vec<Vec<u8>>,
}

/// What every dialect needs from the request, validated.
struct Common<'a> {
    prompt: &'a str,
    negative: Option<&'a str>,
    n: u32,
    size: (u32, u32),
    premium: bool,
    seed: Option<u64>,
}

/// Validates `request` for `family` and builds the bodies.
pub fn plan_images(
    request: &ImageGenerationRequest,
    family: &'static ImageFamily,
) -> Result<ImagePlan, TranslateError> {
    let common = common(request, family)?;
    let bodies = match family.dialect {
        ImageDialect::Canvas => vec![canvas_body(&common, style(request.style.as_deref(), family)?)],
        ImageDialect::Stability => {
            style(request.style.as_deref(), family)?;
            let ratio = aspect_ratio(common.size)?;
            (0..common.n).map(|i| stability_body(&common, ratio, i, family.max_seed)).collect()
        }
    };
    Ok(ImagePlan { dialect: family.dialect, bodies })
}

fn common<'a>(request: &'a ImageGenerationRequest, family: &ImageFamily) -> Result<Common<'a>, TranslateError> {
    let prompt = request.prompt.as_deref().unwrap_or_default();
    if prompt.trim().is_empty() {
        return Err(TranslateError::new("prompt is required and must not be blank", "prompt"));
    }
    if prompt.chars().count() > family.max_prompt_chars {
        let max = family.max_prompt_chars;
        return Err(TranslateError::new(format!("prompt must be at most {max} characters for this model"), "prompt"));
    }
    response_format(request.response_format.as_deref())?;
    let n = request.n.unwrap_or(1);
    if n == 0 || n > family.max_n {
        return Err(TranslateError::new(format!("n must be between 1 and {} for this model", family.max_n), "n"));
    }
    let seed = request.seed();
    if seed.is_some_and(|s| s > family.max_seed) {
        return Err(TranslateError::new(format!("seed must be between 0 and {}", family.max_seed), "seed"));
    }
    Ok(Common {
        prompt,
        negative: request.negative_prompt().filter(|n| !n.trim().is_empty()),
        n,
        size: size(request.size.as_deref(), &family.sizes)?,
        premium: premium(request.quality.as_deref())?,
        seed,
    })
}

fn response_format(format: Option<&str>) -> Result<(), TranslateError> {
    match format {
        None | Some("b64_json") => Ok(()),
        Some("url") => Err(TranslateError::new(
            "response_format url is not supported: url responses need storage; use b64_json",
            "response_format",
        )),
        Some(_) => Err(TranslateError::new("response_format must be b64_json", "response_format")),
    }
}

/// `hd`/`high` → premium; `standard`/`medium`/`low`/`auto` → standard.
fn premium(quality: Option<&str>) -> Result<bool, TranslateError> {
    match quality {
        None | Some("standard" | "medium" | "low" | "auto") => Ok(false),
        Some("hd" | "high") => Ok(true),
        Some(_) => Err(TranslateError::new("quality must be one of standard, hd, low, medium, high, auto", "quality")),
    }
}

/// OpenAI's `vivid`/`natural` have no Bedrock equivalent and are ignored; Nova Canvas
/// style presets (any case) are passed on.
fn style(style: Option<&str>, family: &ImageFamily) -> Result<Option<&'static str>, TranslateError> {
    let Some(style) = style else { return Ok(None) };
    if style == "vivid" || style == "natural" {
        return Ok(None);
    }
    if let Some(preset) = family.styles.iter().find(|s| s.eq_ignore_ascii_case(style)) {
        return Ok(Some(preset));
    }
    let message = if family.styles.is_empty() {
        "style must be vivid or natural (this model has no style presets)".to_owned()
    } else {
        format!("style must be vivid, natural or one of {}", family.styles.join(", "))
    };
    Err(TranslateError::new(message, "style"))
}

fn size(size: Option<&str>, rule: &SizeRule) -> Result<(u32, u32), TranslateError> {
    let parsed = match size {
        None | Some("auto") => return Ok((1024, 1024)),
        Some(text) => text.split_once('x').and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?))),
    };
    let (w, h): (u32, u32) =
        parsed.ok_or_else(|| TranslateError::new("size must be WIDTHxHEIGHT, e.g. 1024x1024", "size"))?;
    let fits = match rule {
        SizeRule::Table(sizes) => sizes.contains(&(w, h)),
        SizeRule::NovaCanvas => {
            let side = |s: u32| (320..=4096).contains(&s) && s.is_multiple_of(16);
            side(w) && side(h) && w.max(h) <= 4 * w.min(h) && u64::from(w) * u64::from(h) <= 4_194_304
        }
        SizeRule::AspectRatio => w > 0 && h > 0,
    };
    if fits {
        return Ok((w, h));
    }
    let message = match rule {
        SizeRule::Table(sizes) => {
            let list: Vec<String> = sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
            format!("size {w}x{h} is not supported by this model; use one of {}", list.join(", "))
        }
        SizeRule::NovaCanvas | SizeRule::AspectRatio => format!(
            "size {w}x{h} is not supported by this model: each side must be 320 to 4096 and a multiple of 16, \
             the ratio at most 4:1 and the area at most 4194304 pixels"
        ),
    };
    Err(TranslateError::new(message, "size"))
}

/// The Stability aspect ratio within 5% of `size`'s ratio.
fn aspect_ratio((w, h): (u32, u32)) -> Result<&'static str, TranslateError> {
    let wanted = f64::from(w) / f64::from(h);
    let distance = |(_, rw, rh): &&(&str, u32, u32)| (f64::from(*rw) / f64::from(*rh) / wanted - 1.0).abs();
    let best = ASPECT_RATIOS.iter().min_by(|a, b| distance(a).total_cmp(&distance(b)));
    match best {
        Some(best) if distance(&best) <= 0.05 => Ok(best.0),
        _ => {
            let list: Vec<&str> = ASPECT_RATIOS.iter().map(|r| r.0).collect();
            Err(TranslateError::new(
                format!("size {w}x{h} has no matching aspect ratio for this model; use one of {}", list.join(", ")),
                "size",
            ))
        }
    }
}

fn canvas_body(common: &Common, style: Option<&str>) -> Vec<u8> {
    let mut params = Map::new();
    params.insert("text".into(), json!(common.prompt));
    if let Some(negative) = common.negative {
        params.insert("negativeText".into(), json!(negative));
    }
    if let Some(style) = style {
        params.insert("style".into(), json!(style));
    }
    let mut config = json!({
        "numberOfImages": common.n,
        "width": common.size.0,
        "height": common.size.1,
        "quality": if common.premium { "premium" } else { "standard" },
    });
    if let Some(seed) = common.seed {
        config["seed"] = json!(seed);
    }
    let body = json!({"taskType": "TEXT_IMAGE", "textToImageParams": params, "imageGenerationConfig": config});
    serde_json::to_vec(&body).unwrap_or_default()
}

/// One Stability call; with a seed, call `i` uses `seed + i` so the images differ.
fn stability_body(common: &Common, ratio: &str, i: u32, max_seed: u64) -> Vec<u8> {
    let mut body = json!({"prompt": common.prompt, "aspect_ratio": ratio, "output_format": "png"});
    if let Some(negative) = common.negative {
        body["negative_prompt"] = json!(negative);
    }
    if let Some(seed) = common.seed {
        body["seed"] = json!((seed + u64::from(i)) % (max_seed + 1));
    }
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Why an answer yielded no images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageResponseError {
    /// Not the documented shape (for operators; the client gets a generic upstream error).
    Unreadable(String),
    /// The model refused (content filter); safe to show.
    Refused(String),
}

/// The base64 PNGs of one InvokeModel answer.
pub fn parse_images(dialect: ImageDialect, body: &[u8]) -> Result<Vec<String>, ImageResponseError> {
    let unreadable = |m: &str| ImageResponseError::Unreadable(m.to_owned());
    let value: Value = serde_json::from_slice(body).map_err(|_| unreadable("image response is not JSON"))?;
    let refusal = match dialect {
        ImageDialect::Canvas => value.get("error").and_then(Value::as_str).map(str::to_owned),
        ImageDialect::Stability => value
            .get("finish_reasons")
            .and_then(Value::as_array)
            .and_then(|reasons| reasons.iter().find_map(Value::as_str))
            .map(str::to_owned),
    };
    if let Some(reason) = refusal.filter(|r| !r.is_empty()) {
        return Err(ImageResponseError::Refused(format!("Bedrock did not return the image: {reason}")));
    }
    let images: Vec<String> = value
        .get("images")
        .and_then(|i| serde_json::from_value(i.clone()).ok())
        .ok_or_else(|| unreadable("image response has no images"))?;
    if images.is_empty() {
        return Err(unreadable("image response has no images"));
    }
    Ok(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Value) -> ImageGenerationRequest {
        openai::parse_json(body.to_string().as_bytes()).unwrap()
    }

    fn plan_for(model: &str, body: Value) -> Result<ImagePlan, TranslateError> {
        plan_images(&request(body), image_family(model).unwrap())
    }

    fn bodies(plan: &ImagePlan) -> Vec<Value> {
        plan.bodies.iter().map(|b| serde_json::from_slice(b).unwrap()).collect()
    }

    fn param(model: &str, body: Value) -> String {
        plan_for(model, body).unwrap_err().param.unwrap()
    }

    const NOVA: &str = "amazon.nova-canvas-v1:0";
    const TITAN_ID: &str = "amazon.titan-image-generator-v2:0";
    const CORE: &str = "stability.stable-image-core-v1:1";

    #[test]
    fn families() {
        assert_eq!(image_family(NOVA).unwrap().dialect, ImageDialect::Canvas);
        assert_eq!(image_family(TITAN_ID).unwrap().sizes, SizeRule::Table(TITAN_SIZES));
        assert_eq!(image_family("stability.sd3-5-large-v1:0").unwrap().dialect, ImageDialect::Stability);
        assert_eq!(image_family("stability.stable-image-ultra-v1:1").unwrap().dialect, ImageDialect::Stability);
        assert!(image_family("amazon.nova-lite-v1:0").is_none());
    }

    #[test]
    fn canvas_body_is_exact() {
        let plan = plan_for(
            NOVA,
            json!({"prompt": "a cat", "n": 2, "size": "1792x1024", "quality": "hd", "style": "photorealism",
                   "extra_body": {"seed": 42, "negative_prompt": "dogs"}}),
        )
        .unwrap();
        assert_eq!(
            bodies(&plan),
            vec![json!({"taskType": "TEXT_IMAGE",
                "textToImageParams": {"text": "a cat", "negativeText": "dogs", "style": "PHOTOREALISM"},
                "imageGenerationConfig": {"numberOfImages": 2, "width": 1792, "height": 1024,
                                          "quality": "premium", "seed": 42}})]
        );
        let plan = plan_for(TITAN_ID, json!({"prompt": "a cat", "style": "vivid", "quality": "standard"})).unwrap();
        assert_eq!(
            bodies(&plan),
            vec![json!({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"},
                "imageGenerationConfig": {"numberOfImages": 1, "width": 1024, "height": 1024, "quality": "standard"}})]
        );
    }

    #[test]
    fn stability_makes_n_calls() {
        let plan = plan_for(
            CORE,
            json!({"prompt": "a dog", "n": 3, "size": "1024x1792", "seed": 7,
                                         "negative_prompt": "cats"}),
        )
        .unwrap();
        let sent = bodies(&plan);
        assert_eq!(sent.len(), 3);
        assert_eq!(
            sent[0],
            json!({"prompt": "a dog", "aspect_ratio": "9:16", "output_format": "png", "seed": 7,
                   "negative_prompt": "cats"})
        );
        assert_eq!(sent[2]["seed"], 9);
        let plan = plan_for(CORE, json!({"prompt": "a dog", "size": "1536x1024"})).unwrap();
        assert_eq!(bodies(&plan), vec![json!({"prompt": "a dog", "aspect_ratio": "3:2", "output_format": "png"})]);
    }

    #[test]
    fn requests_are_validated() {
        assert_eq!(param(NOVA, json!({"prompt": "  "})), "prompt");
        assert_eq!(param(NOVA, json!({})), "prompt");
        assert_eq!(param(NOVA, json!({"prompt": "x".repeat(1025)})), "prompt");
        assert_eq!(param(NOVA, json!({"prompt": "p", "n": 6})), "n");
        assert_eq!(param(NOVA, json!({"prompt": "p", "n": 0})), "n");
        assert_eq!(param(NOVA, json!({"prompt": "p", "size": "big"})), "size");
        assert_eq!(param(NOVA, json!({"prompt": "p", "size": "1000x1000"})), "size");
        assert_eq!(param(NOVA, json!({"prompt": "p", "size": "4096x512"})), "size");
        assert_eq!(param(NOVA, json!({"prompt": "p", "quality": "ultra"})), "quality");
        assert_eq!(param(NOVA, json!({"prompt": "p", "style": "cubism"})), "style");
        assert_eq!(param(TITAN_ID, json!({"prompt": "p", "style": "PHOTOREALISM"})), "style");
        assert_eq!(param(NOVA, json!({"prompt": "p", "seed": 2_147_483_647u64})), "seed");
        assert_eq!(param(CORE, json!({"prompt": "p", "size": "1000x100"})), "size");
        let err = plan_for(TITAN_ID, json!({"prompt": "p", "size": "1792x1024"})).unwrap_err();
        assert!(err.message.contains("768x1152"), "{}", err.message);
        let err = plan_for(NOVA, json!({"prompt": "p", "response_format": "url"})).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("response_format"));
        assert!(err.message.contains("use b64_json"), "{}", err.message);
        assert!(plan_for(NOVA, json!({"prompt": "p", "response_format": "b64_json", "size": "auto"})).is_ok());
        assert!(plan_for(CORE, json!({"prompt": "p", "seed": 4_294_967_294u64})).is_ok());
    }

    #[test]
    fn responses_and_refusals() {
        let ok = br#"{"images":["QQ==","Qg=="],"error":null}"#;
        assert_eq!(parse_images(ImageDialect::Canvas, ok).unwrap(), vec!["QQ==", "Qg=="]);
        let refused = br#"{"images":[],"error":"blocked by content filters"}"#;
        assert!(matches!(parse_images(ImageDialect::Canvas, refused), Err(ImageResponseError::Refused(_))));
        let ok = br#"{"seeds":[1],"finish_reasons":[null],"images":["QQ=="]}"#;
        assert_eq!(parse_images(ImageDialect::Stability, ok).unwrap(), vec!["QQ=="]);
        let filtered = br#"{"seeds":[1],"finish_reasons":["Filter reason: prompt"],"images":[]}"#;
        assert!(matches!(parse_images(ImageDialect::Stability, filtered), Err(ImageResponseError::Refused(_))));
        assert!(matches!(parse_images(ImageDialect::Stability, b"{}"), Err(ImageResponseError::Unreadable(_))));
        assert!(matches!(parse_images(ImageDialect::Canvas, b"x"), Err(ImageResponseError::Unreadable(_))));
    }
}
