//! Remote images in chat requests: fetched asynchronously, bounded in time, size and
//! redirects, and refused on loopback, private, link-local and metadata addresses (SSRF)
//! unless the operator allows them. Fetched images are inlined as data URLs, so the
//! translation stays pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use futures::{StreamExt, TryStreamExt};
use openai::{ChatCompletionRequest, ContentPart, MessageContent};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::Config;
use crate::error::ApiError;

const MAX_REDIRECTS: usize = 3;
/// Remote images per request, and how many are fetched at once.
const MAX_REMOTE_IMAGES: usize = 20;
const CONCURRENT_FETCHES: usize = 4;

/// The shared image fetcher (one connection pool).
#[derive(Debug, Clone)]
pub struct ImageFetcher {
    client: reqwest::Client,
    max_bytes: usize,
    allow_private: bool,
}

impl ImageFetcher {
    pub fn new(config: &Config) -> Result<Self, reqwest::Error> {
        let allow_private = config.image_fetch_allow_private;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.image_fetch_timeout_seconds))
            .connect_timeout(Duration::from_secs(config.image_fetch_timeout_seconds))
            .redirect(redirect_policy(allow_private))
            .dns_resolver(Arc::new(CheckedResolver { allow_private }))
            .user_agent(concat!("bedrock-gateway/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, max_bytes: config.image_fetch_max_bytes, allow_private })
    }

    /// Downloads one image, or says why not (the reason is safe to show the client).
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let parsed = url::Url::parse(url).map_err(|_| "the image URL is not a valid URL".to_owned())?;
        check_url(&parsed, self.allow_private)?;
        let mut response = self.client.get(parsed).send().await.map_err(describe)?;
        if !response.status().is_success() {
            return Err(format!("the image URL answered HTTP {}", response.status().as_u16()));
        }
        if response.content_length().is_some_and(|len| len > self.max_bytes as u64) {
            return Err(self.too_large());
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if bytes.len() + chunk.len() > self.max_bytes {
                return Err(self.too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    fn too_large(&self) -> String {
        format!("the image is larger than {} bytes", self.max_bytes)
    }
}

fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "fetching the image URL timed out".to_owned()
    } else if error.is_redirect() {
        "the image URL redirected too often or to a forbidden address".to_owned()
    } else if error.is_connect() {
        "could not connect to the image URL's host (or its address is not allowed)".to_owned()
    } else {
        "could not fetch the image URL".to_owned()
    }
}

/// Whether the request has http(s) image URLs to fetch.
pub fn has_remote_images(request: &ChatCompletionRequest) -> bool {
    !remote_image_urls(request).is_empty()
}

/// Replaces each http(s) image URL in the request by a data URL of the fetched bytes.
pub async fn inline_remote_images(fetcher: &ImageFetcher, request: &mut ChatCompletionRequest) -> Result<(), ApiError> {
    let targets = remote_image_urls(request);
    if targets.is_empty() {
        return Ok(());
    }
    if targets.len() > MAX_REMOTE_IMAGES {
        let message = format!("at most {MAX_REMOTE_IMAGES} image URLs per request");
        return Err(bedrock::TranslateError::new(message, "messages").into());
    }
    let fetched: Vec<(usize, usize, String)> = futures::stream::iter(targets)
        .map(|(i, j, url)| fetch_as_data_url(fetcher, i, j, url))
        .buffer_unordered(CONCURRENT_FETCHES)
        .try_collect()
        .await?;
    for (i, j, data) in fetched {
        if let Some(MessageContent::Parts(parts)) = &mut request.messages[i].content {
            if let ContentPart::ImageUrl { image_url, .. } = &mut parts[j] {
                image_url.url = data;
            }
        }
    }
    Ok(())
}

async fn fetch_as_data_url(
    fetcher: &ImageFetcher,
    i: usize,
    j: usize,
    url: String,
) -> Result<(usize, usize, String), ApiError> {
    match fetcher.fetch(&url).await {
        Ok(bytes) => Ok((i, j, data_url(&bytes))),
        Err(reason) => {
            Err(bedrock::TranslateError::new(reason, format!("messages[{i}].content[{j}].image_url.url")).into())
        }
    }
}

/// `(message, part, url)` of every http(s) image part.
fn remote_image_urls(request: &ChatCompletionRequest) -> Vec<(usize, usize, String)> {
    let mut urls = Vec::new();
    for (i, message) in request.messages.iter().enumerate() {
        let Some(MessageContent::Parts(parts)) = &message.content else { continue };
        for (j, part) in parts.iter().enumerate() {
            if let ContentPart::ImageUrl { image_url, .. } = part {
                if image_url.url.starts_with("http://") || image_url.url.starts_with("https://") {
                    urls.push((i, j, image_url.url.clone()));
                }
            }
        }
    }
    urls
}

/// The media type is left generic: the translation sniffs the real format from the bytes.
fn data_url(bytes: &[u8]) -> String {
    format!("data:application/octet-stream;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn check_url(url: &url::Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("image URLs must use http or https".to_owned());
    }
    let literal = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
        None => return Err("the image URL has no host".to_owned()),
    };
    match literal {
        Some(ip) if !allow_private && !is_public(ip) => Err("the image URL points to a non-public address".to_owned()),
        _ => Ok(()),
    }
}

fn redirect_policy(allow_private: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if let Err(reason) = check_url(attempt.url(), allow_private) {
            attempt.error(reason)
        } else {
            attempt.follow()
        }
    })
}

/// Resolves names and drops every non-public address, so a DNS name cannot lead to an
/// internal host (redirects resolve through here too).
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = tokio::net::lookup_host((name.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found.filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err("the image URL's host has no public address".into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local —
/// where cloud metadata services live —, shared, reserved or multicast).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "52.94.0.1", "2600:1f18::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn literal_hosts_are_checked() {
        let url = |u: &str| url::Url::parse(u).unwrap();
        assert!(check_url(&url("http://127.0.0.1/a.png"), false).is_err());
        assert!(check_url(&url("http://[::1]/a.png"), false).is_err());
        assert!(check_url(&url("http://169.254.169.254/latest/meta-data"), false).is_err());
        assert!(check_url(&url("http://127.0.0.1/a.png"), true).is_ok());
        assert!(check_url(&url("https://example.com/a.png"), false).is_ok());
        assert!(check_url(&url("file:///etc/passwd"), true).is_err());
    }
}
