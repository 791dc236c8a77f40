//! Authentication: SigV4 (optionally verified for real) and Bedrock API keys.

use axum::http::request::Parts;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::errors::{ApiError, ErrorKind};

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const API_KEY: &str = "bedrock-api-key-EXAMPLE";

/// The parsed `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// `date/region/service/aws4_request`
    pub scope: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

fn incomplete(detail: &str) -> ApiError {
    ApiError::new(ErrorKind::InvalidSignature, format!("Authorization header is malformed: {detail}"))
}

pub fn parse_authorization(value: &str) -> Result<Authorization, ApiError> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256").ok_or_else(|| incomplete("unsupported algorithm"))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => {}
        }
    }
    let credential = credential.ok_or_else(|| incomplete("missing Credential"))?;
    let (access_key, scope) = credential.split_once('/').ok_or_else(|| incomplete("bad Credential"))?;
    Ok(Authorization {
        access_key: access_key.to_string(),
        scope: scope.to_string(),
        signed_headers: signed
            .ok_or_else(|| incomplete("missing SignedHeaders"))?
            .split(';')
            .map(str::to_string)
            .collect(),
        signature: signature.ok_or_else(|| incomplete("missing Signature"))?.to_string(),
    })
}

/// RFC 3986 encoding as SigV4 wants it (unreserved characters kept).
fn uri_encode(input: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn canonical_query(query: &str) -> String {
    let decode = |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (uri_encode(&decode(k), false), uri_encode(&decode(v), false)))
        .collect();
    pairs.sort();
    let pairs: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join("&")
}

fn header_value(parts: &Parts, name: &str) -> String {
    let values: Vec<String> = parts
        .headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    values.join(",")
}

/// The canonical request botocore and the Rust SDK sign (paths encoded twice).
pub fn canonical_request(parts: &Parts, auth: &Authorization, body: &[u8]) -> String {
    let headers: String = auth.signed_headers.iter().map(|h| format!("{h}:{}\n", header_value(parts, h))).collect();
    let payload = match parts.headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok()) {
        Some(hash) => hash.to_string(),
        None => hex::encode(Sha256::digest(body)),
    };
    format!(
        "{}\n{}\n{}\n{headers}\n{}\n{payload}",
        parts.method,
        uri_encode(parts.uri.path(), true),
        canonical_query(parts.uri.query().unwrap_or_default()),
        auth.signed_headers.join(";"),
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The signature for a canonical request, as a client holding `secret` computes it.
pub fn signature(secret: &str, amz_date: &str, scope: &str, canonical: &str) -> String {
    let string_to_sign =
        format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical.as_bytes())));
    let key = scope.split('/').fold(format!("AWS4{secret}").into_bytes(), |key, part| hmac(&key, part));
    hex::encode(hmac(&key, &string_to_sign))
}

fn verify_sigv4(parts: &Parts, value: &str, body: &[u8]) -> Result<(), ApiError> {
    let auth = parse_authorization(value)?;
    if auth.access_key != ACCESS_KEY {
        return Err(ApiError::scripted(ErrorKind::UnrecognizedClient));
    }
    let amz_date = header_value(parts, "x-amz-date");
    let canonical = canonical_request(parts, &auth, body);
    if signature(SECRET_KEY, &amz_date, &auth.scope, &canonical) != auth.signature {
        return Err(ApiError::scripted(ErrorKind::InvalidSignature));
    }
    Ok(())
}

/// Checks a request's credentials; `verify` turns on real verification.
pub fn authenticate(parts: &Parts, body: &[u8], verify: bool) -> Result<(), ApiError> {
    let Some(value) = parts.headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(ApiError::scripted(ErrorKind::MissingAuthenticationToken));
    };
    if let Some(token) = value.strip_prefix("Bearer ") {
        return match (token.trim(), verify) {
            ("", _) => Err(ApiError::scripted(ErrorKind::MissingAuthenticationToken)),
            (API_KEY, _) | (_, false) => Ok(()),
            _ => Err(ApiError::scripted(ErrorKind::UnrecognizedClient)),
        };
    }
    match verify {
        true => verify_sigv4(parts, value, body),
        false => parse_authorization(value).map(|_| ()),
    }
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
