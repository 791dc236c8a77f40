//! Signed thinking carried by clients as a reasoning item's `encrypted_content`.
//!
//! Not encryption: the blocks are the model's own thinking text (already shown to the
//! client) and Bedrock checks their signatures, so the value only needs to be opaque and
//! to round-trip exactly. Base64 (URL-safe) of the JSON of the blocks, with a version tag.

use base64::Engine as _;
use openai::ThinkingBlock;

const PREFIX: &str = "bgw1.";

/// Packs thinking blocks for `encrypted_content`.
pub fn seal(blocks: &[ThinkingBlock]) -> Option<String> {
    let json = serde_json::to_vec(blocks).ok()?;
    Some(format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)))
}

/// Unpacks `encrypted_content`; `None` when it was not produced by this gateway.
pub fn unseal(text: &str) -> Option<Vec<ThinkingBlock>> {
    let encoded = text.strip_prefix(PREFIX)?;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(encoded).ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_foreign_values() {
        let blocks = vec![
            ThinkingBlock::Thinking { thinking: "t".into(), signature: Some("s".into()) },
            ThinkingBlock::RedactedThinking { data: "AAA=".into() },
        ];
        let sealed = seal(&blocks).unwrap();
        assert_eq!(unseal(&sealed).unwrap(), blocks);
        assert!(unseal("gAAAAABopenai-encrypted").is_none());
        assert!(unseal("bgw1.!!!").is_none());
    }
}
