//! `application/vnd.amazon.eventstream` frame encoding for ConverseStream.

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;
use rand::Rng;
use serde_json::{Map, Value};

use crate::errors::ApiError;

const PAD_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Adds the random-length `"p"` padding field real Bedrock puts in every event.
fn pad(payload: Value) -> Value {
    match payload {
        Value::Object(mut map) => {
            let len = rand::thread_rng().gen_range(1..=PAD_ALPHABET.len());
            map.insert("p".into(), Value::String(PAD_ALPHABET[..len].to_string()));
            Value::Object(map)
        }
        other => other,
    }
}

fn encode(headers: Vec<Header>, payload: &Value) -> Bytes {
    let body = serde_json::to_vec(payload).unwrap_or_default();
    let message = headers.into_iter().fold(Message::new(body), |message, header| message.add_header(header));
    let mut buffer = Vec::with_capacity(256);
    // Writing into a Vec only fails for oversized frames, which we never build.
    if write_message_to(&message, &mut buffer).is_err() {
        buffer.clear();
    }
    Bytes::from(buffer)
}

fn string_header(name: &'static str, value: &str) -> Header {
    Header::new(name, HeaderValue::String(value.to_string().into()))
}

/// An `event` frame such as `messageStart`, with its padded JSON payload.
pub fn event_frame(event_type: &str, payload: Value) -> Bytes {
    let headers = vec![
        string_header(":event-type", event_type),
        string_header(":content-type", "application/json"),
        string_header(":message-type", "event"),
    ];
    encode(headers, &pad(payload))
}

/// An `exception` frame carrying `{"message": ...}`.
pub fn exception_frame(error: &ApiError) -> Bytes {
    let headers = vec![
        string_header(":exception-type", error.kind.stream_member()),
        string_header(":content-type", "application/json"),
        string_header(":message-type", "exception"),
    ];
    let mut payload = Map::new();
    payload.insert("message".into(), Value::String(error.message.clone()));
    encode(headers, &Value::Object(payload))
}

/// `frame` with its message CRC (the last four bytes) wrong.
pub fn corrupt(frame: &[u8]) -> Bytes {
    let mut bytes = frame.to_vec();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0xff;
    }
    Bytes::from(bytes)
}

/// Sixteen bytes with valid CRCs whose prelude declares more header bytes than the frame has.
pub fn malformed() -> Bytes {
    let mut bytes = Vec::with_capacity(16);
    bytes.extend_from_slice(&16u32.to_be_bytes());
    bytes.extend_from_slice(&255u32.to_be_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&bytes).to_be_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&bytes).to_be_bytes());
    Bytes::from(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorKind;
    use aws_smithy_eventstream::frame::read_message_from;

    fn header<'a>(message: &'a Message, name: &str) -> Option<&'a str> {
        message
            .headers()
            .iter()
            .find(|h| h.name().as_str() == name)
            .and_then(|h| h.value().as_string().ok())
            .map(|s| s.as_str())
    }

    #[test]
    fn event_frame_round_trips_with_valid_crcs() {
        let frame = event_frame("messageStart", serde_json::json!({"role": "assistant"}));
        let total = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        assert_eq!(total, frame.len());
        let prelude_crc = crc32fast::hash(&frame[..8]);
        assert_eq!(prelude_crc.to_be_bytes(), frame[8..12]);
        assert_eq!(crc32fast::hash(&frame[..total - 4]).to_be_bytes(), frame[total - 4..]);
        let message = read_message_from(frame).unwrap();
        assert_eq!(header(&message, ":event-type"), Some("messageStart"));
        assert_eq!(header(&message, ":message-type"), Some("event"));
        let body: Value = serde_json::from_slice(message.payload()).unwrap();
        assert_eq!(body["role"], "assistant");
        assert!(body["p"].as_str().is_some_and(|p| p.starts_with('a')));
    }

    #[test]
    fn corrupt_and_malformed_frames_do_not_decode() {
        let frame = event_frame("messageStart", serde_json::json!({"role": "assistant"}));
        assert!(read_message_from(corrupt(&frame)).is_err());
        assert!(read_message_from(malformed()).is_err());
    }

    #[test]
    fn exception_frame_names_the_stream_member() {
        let error = ApiError::scripted(ErrorKind::Throttling);
        let message = read_message_from(exception_frame(&error)).unwrap();
        assert_eq!(header(&message, ":message-type"), Some("exception"));
        assert_eq!(header(&message, ":exception-type"), Some("throttlingException"));
        let body: Value = serde_json::from_slice(message.payload()).unwrap();
        assert_eq!(body["message"], error.message);
    }
}
