//! Server-sent events of a streamed message: `event: <type>\ndata: <json>\n\n`.

use serde::Serialize;

use crate::error::ErrorDetail;
use crate::response::{Message, ResponseBlock, StopReason, Usage};

/// One event. Deltas borrow their text, so the hot path copies each piece once (into JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent<'a> {
    MessageStart { message: Message },
    ContentBlockStart { index: u32, content_block: ResponseBlock },
    ContentBlockDelta { index: u32, delta: BlockDelta<'a> },
    ContentBlockStop { index: u32 },
    MessageDelta { delta: MessageDeltaBody, usage: Usage },
    MessageStop,
    Ping,
    Error { error: ErrorDetail },
}

impl StreamEvent<'_> {
    /// The SSE `event:` name (the same as `type`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::MessageStart { .. } => "message_start",
            Self::ContentBlockStart { .. } => "content_block_start",
            Self::ContentBlockDelta { .. } => "content_block_delta",
            Self::ContentBlockStop { .. } => "content_block_stop",
            Self::MessageDelta { .. } => "message_delta",
            Self::MessageStop => "message_stop",
            Self::Ping => "ping",
            Self::Error { .. } => "error",
        }
    }

    /// Appends `event: <name>\ndata: <json>\n\n`. Serialising these types cannot fail; if it
    /// ever did, the event is dropped rather than sent half-written.
    pub fn write_sse(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(self.name().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        if serde_json::to_writer(&mut *out, self).is_err() {
            out.truncate(start);
            return;
        }
        out.extend_from_slice(b"\n\n");
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta<'a> {
    TextDelta { text: &'a str },
    InputJsonDelta { partial_json: &'a str },
    ThinkingDelta { thinking: &'a str },
    SignatureDelta { signature: &'a str },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageDeltaBody {
    pub stop_reason: Option<StopReason>,
    pub stop_sequence: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_framing() {
        let mut out = Vec::new();
        StreamEvent::ContentBlockDelta { index: 2, delta: BlockDelta::InputJsonDelta { partial_json: "{\"a" } }
            .write_sse(&mut out);
        StreamEvent::Ping.write_sse(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\
             \"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\"}}\n\n\
             event: ping\ndata: {\"type\":\"ping\"}\n\n"
        );
    }
}
