//! Request parsing that reports *where* a request is wrong.

use serde::de::DeserializeOwned;

/// A request body that could not be parsed, with the JSON path of the bad field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Human-readable reason, never containing request content.
    pub message: String,
    /// JSON path such as `messages[1].content`; `None` when the body itself is not JSON.
    pub param: Option<String>,
}

/// Parses a JSON body into `T`, recording the path of the first bad field.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ParseError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = parsed.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        // Paths can hold client-chosen map keys: keep them short.
        let param = (path != "." && !inner.is_syntax() && !inner.is_eof()).then(|| crate::clip(&path).into_owned());
        ParseError { message: describe(&inner), param }
    })?;
    de.end().map_err(|err| ParseError { message: describe(&err), param: None })?;
    Ok(value)
}

fn describe(err: &serde_json::Error) -> String {
    if err.is_syntax() || err.is_eof() {
        return format!(
            "We could not parse the JSON body of your request: {err}. (HINT: the body must be valid JSON.)"
        );
    }
    // serde's data errors carry " at line L column C"; the path in `param` is more useful.
    let text = err.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) => &text[..at],
        None => &text,
    };
    without_values(text)
}

/// serde quotes the offending value (`invalid type: string "…", expected …`, ``unknown
/// variant `…` ``), which may be prompt text: error messages and logs must never carry it.
/// Quoted spans before `expected` are removed; the expectation itself is kept.
pub fn without_values(message: &str) -> String {
    let (head, tail) = match message.find(", expected") {
        Some(at) => message.split_at(at),
        None => (message, ""),
    };
    let mut out = String::with_capacity(message.len());
    let mut quote: Option<char> = None;
    for c in head.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' => {
                quote = Some(c);
                if out.ends_with(' ') {
                    out.pop();
                }
            }
            None => out.push(c),
        }
    }
    out.push_str(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ChatCompletionRequest;

    #[test]
    fn syntax_error_has_no_param() {
        let err = parse_json::<ChatCompletionRequest>(b"{not json").unwrap_err();
        assert_eq!(err.param, None);
        assert!(err.message.contains("could not parse the JSON body"));
    }

    #[test]
    fn bad_field_reports_its_path() {
        let body = br#"{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"user","content":42}]}"#;
        let err = parse_json::<ChatCompletionRequest>(body).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[1].content"));
        assert!(!err.message.contains("line"), "{}", err.message);
    }

    #[test]
    fn values_never_appear_in_messages() {
        let secret = "my secret prompt";
        for body in [
            format!(r#"{{"messages":"{secret}"}}"#),
            format!(r#"{{"messages":[{{"role":"{secret}","content":"x"}}]}}"#),
            format!(r#"{{"messages":[{{"role":"assistant","tool_calls":"{secret}"}}]}}"#),
            format!(r#"{{"messages":[],"tool_choice":"{secret}"}}"#),
            format!(r#"{{"messages":[],"reasoning_effort":"{secret}"}}"#),
        ] {
            let err = parse_json::<ChatCompletionRequest>(body.as_bytes()).unwrap_err();
            assert!(!err.message.contains("secret"), "{}", err.message);
            assert!(err.message.contains("expected"), "{}", err.message);
        }
    }

    #[test]
    fn quoted_values_are_removed_but_expectations_kept() {
        assert_eq!(
            without_values("unknown variant `robot`, expected one of `system`, `user`"),
            "unknown variant, expected one of `system`, `user`"
        );
        assert_eq!(
            without_values(r#"invalid type: string "x", expected a sequence"#),
            "invalid type: string, expected a sequence"
        );
    }

    #[test]
    fn trailing_garbage_is_rejected() {
        let body = br#"{"messages":[]} x"#;
        assert!(parse_json::<ChatCompletionRequest>(body).is_err());
    }
}
