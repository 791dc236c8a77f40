//! The one home for cutting request values echoed in error messages, so a 100 kB model
//! name does not come back (or get logged) as a 100 kB error.

use std::borrow::Cow;

/// Longest request value (model id, parameter path) an error message repeats.
pub const MAX_ECHOED_CHARS: usize = 200;

/// Longest upstream error message passed on (Bedrock's messages may quote the request).
pub const MAX_UPSTREAM_MESSAGE_CHARS: usize = 1000;

/// `value` cut to [`MAX_ECHOED_CHARS`] characters, with `…` when something was cut.
pub fn clip(value: &str) -> Cow<'_, str> {
    clip_to(value, MAX_ECHOED_CHARS)
}

/// `text` cut to `max` characters (never inside a UTF-8 sequence), with `…` when cut.
pub fn clip_to(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_borrowed_unchanged() {
        assert!(matches!(clip("us.anthropic.claude"), Cow::Borrowed("us.anthropic.claude")));
        let exact = "m".repeat(MAX_ECHOED_CHARS);
        assert_eq!(clip(&exact), exact.as_str());
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        let long = "m".repeat(100_000);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), MAX_ECHOED_CHARS + 1);
        assert!(cut.ends_with("m…"));
    }

    #[test]
    fn cuts_count_characters_not_bytes() {
        let cut = clip_to("ééééé", 3);
        assert_eq!(cut, "ééé…");
    }
}
