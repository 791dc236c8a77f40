//! Scripted behaviour: `#directive` lines in the last user message.

use serde_json::Value;

use crate::errors::{ApiError, ErrorKind};

/// What kind of reasoning block `#think` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Think {
    Text,
    Redacted,
}

/// Faults of a ConverseStream body, each after a number of frames (`messageStart` is frame 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamFaults {
    /// `#stall-after N`: send N frames, then nothing until the client goes away.
    pub stall_after: Option<usize>,
    /// `#reset-after N`: send N frames, then cut the connection.
    pub reset_after: Option<usize>,
    /// `#corrupt-frame N`: frame N goes out with a wrong message CRC.
    pub corrupt_frame: Option<usize>,
    /// `#malformed-frame N`: frame N is replaced by bytes that are not a frame.
    pub malformed_frame: Option<usize>,
}

/// The parsed directives plus the remaining (non-directive) text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Script {
    pub tools: Vec<(String, Value)>,
    pub think: Option<Think>,
    pub words: Option<usize>,
    pub delay_ms: u64,
    pub chunk_delay_ms: u64,
    pub error: Option<ErrorKind>,
    pub stream_error: Option<ErrorKind>,
    pub drop: bool,
    pub stop: Option<String>,
    pub json: Option<String>,
    pub cache_read: u64,
    pub cache_write: u64,
    /// Stream faults (see [`StreamFaults`]).
    pub faults: StreamFaults,
    /// Lines that are not directives, joined with newlines.
    pub text: String,
}

fn bad(directive: &str, detail: &str) -> ApiError {
    ApiError::validation(format!("Invalid emulator directive '{directive}': {detail}"))
}

fn number<T: std::str::FromStr>(directive: &str, arg: &str) -> Result<T, ApiError> {
    arg.trim().parse().map_err(|_| bad(directive, "expected a number"))
}

/// A frame number of a stream fault: 1 or more (frame 1 is `messageStart`).
fn frame_count(directive: &str, arg: &str) -> Result<usize, ApiError> {
    match number(directive, arg)? {
        0 => Err(bad(directive, "frames are counted from 1")),
        n => Ok(n),
    }
}

fn kind(directive: &str, arg: &str) -> Result<ErrorKind, ApiError> {
    ErrorKind::from_directive(arg).ok_or_else(|| bad(directive, "unknown error kind"))
}

fn tool(line: &str, arg: &str) -> Result<(String, Value), ApiError> {
    let arg = arg.trim();
    let (name, json) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    if name.is_empty() {
        return Err(bad(line, "expected a tool name"));
    }
    let input = match json.trim() {
        "" => Value::Object(serde_json::Map::new()),
        text => serde_json::from_str(text).map_err(|e| bad(line, &e.to_string()))?,
    };
    if !input.is_object() {
        return Err(bad(line, "the tool input must be a JSON object"));
    }
    Ok((name.to_string(), input))
}

fn usage(script: &mut Script, line: &str, arg: &str) -> Result<(), ApiError> {
    for pair in arg.split_whitespace() {
        match pair.split_once('=') {
            Some(("cacheRead", n)) => script.cache_read = number(line, n)?,
            Some(("cacheWrite", n)) => script.cache_write = number(line, n)?,
            _ => return Err(bad(line, "expected cacheRead=N cacheWrite=N")),
        }
    }
    Ok(())
}

/// Applies one directive line; returns false when the line is not a directive.
fn directive(script: &mut Script, line: &str) -> Result<bool, ApiError> {
    let Some(rest) = line.trim().strip_prefix('#') else {
        return Ok(false);
    };
    let (name, arg) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    match name {
        "tool" => script.tools.push(tool(line, arg)?),
        "think" if arg.trim() == "redacted" => script.think = Some(Think::Redacted),
        "think" => script.think = Some(Think::Text),
        "words" => script.words = Some(number(line, arg)?),
        "delay" => script.delay_ms = number(line, arg)?,
        "chunk-delay" => script.chunk_delay_ms = number(line, arg)?,
        "error" => script.error = Some(kind(line, arg)?),
        "stream-error" => script.stream_error = Some(kind(line, arg)?),
        "drop" => script.drop = true,
        "stop" => script.stop = Some(arg.trim().to_string()),
        "json" => script.json = Some(arg.trim().to_string()),
        "usage" => usage(script, line, arg)?,
        "stall-after" => script.faults.stall_after = Some(frame_count(line, arg)?),
        "reset-after" => script.faults.reset_after = Some(frame_count(line, arg)?),
        "corrupt-frame" => script.faults.corrupt_frame = Some(frame_count(line, arg)?),
        "malformed-frame" => script.faults.malformed_frame = Some(frame_count(line, arg)?),
        _ => return Ok(false),
    }
    Ok(true)
}

/// Parses the text of the last user message.
pub fn parse(text: &str) -> Result<Script, ApiError> {
    let mut script = Script::default();
    let mut plain = Vec::new();
    for line in text.lines() {
        if !directive(&mut script, line)? {
            plain.push(line);
        }
    }
    script.text = plain.join("\n").trim().to_string();
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_directive() {
        let text = "Hello there\n#tool get_weather {\"city\": \"Paris\"}\n#tool clock\n#think\n#words 7\n#delay 5\n#chunk-delay 3\n#stream-error throttling\n#drop\n#stop max_tokens\n#json {\"a\":1}\n#usage cacheRead=10 cacheWrite=4";
        let script = parse(text).unwrap();
        assert_eq!(script.tools.len(), 2);
        assert_eq!(script.tools[0].1["city"], "Paris");
        assert_eq!(script.tools[1].1, serde_json::json!({}));
        assert_eq!(script.think, Some(Think::Text));
        assert_eq!(script.words, Some(7));
        assert_eq!((script.delay_ms, script.chunk_delay_ms), (5, 3));
        assert_eq!(script.stream_error, Some(ErrorKind::Throttling));
        assert!(script.drop);
        assert_eq!(script.stop.as_deref(), Some("max_tokens"));
        assert_eq!(script.json.as_deref(), Some("{\"a\":1}"));
        assert_eq!((script.cache_read, script.cache_write), (10, 4));
        assert_eq!(script.text, "Hello there");
    }

    #[test]
    fn plain_text_and_unknown_hashes_stay_text() {
        let script = parse("# heading\n#hashtag fun\nplain").unwrap();
        assert_eq!(script.text, "# heading\n#hashtag fun\nplain");
        assert_eq!(parse("#think redacted").unwrap().think, Some(Think::Redacted));
        assert_eq!(parse("#error quota").unwrap().error, Some(ErrorKind::ServiceQuotaExceeded));
    }

    #[test]
    fn malformed_directives_are_validation_errors() {
        assert!(parse("#words many").is_err());
        assert!(parse("#tool x [1]").is_err());
        assert!(parse("#tool x {bad").is_err());
        assert!(parse("#error nonsense").is_err());
        assert!(parse("#usage cacheRead=x").is_err());
        assert!(parse("#stall-after 0").is_err());
        assert!(parse("#corrupt-frame x").is_err());
    }

    #[test]
    fn stream_faults_count_frames() {
        let script = parse("hi\n#stall-after 2\n#reset-after 3\n#corrupt-frame 4\n#malformed-frame 5").unwrap();
        let expected = StreamFaults {
            stall_after: Some(2),
            reset_after: Some(3),
            corrupt_frame: Some(4),
            malformed_frame: Some(5),
        };
        assert_eq!(script.faults, expected);
        assert_eq!(script.text, "hi");
    }
}
