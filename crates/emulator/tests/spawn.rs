//! The library API the gateway uses: spawn, base_url, shutdown.

use emulator::{spawn, EmulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn send(addr: std::net::SocketAddr, path: &str, auth: &str, body: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    Ok(response)
}

async fn post(addr: std::net::SocketAddr, path: &str, auth: &str, body: &str) -> String {
    send(addr, path, auth, body).await.unwrap_or_else(|e| e.to_string())
}

#[tokio::test]
async fn spawned_emulator_answers_and_shuts_down() {
    let running = spawn(EmulatorConfig::default()).await.unwrap();
    let addr = running.addr();
    assert_eq!(running.base_url(), format!("http://127.0.0.1:{}", addr.port()));
    let body = r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;
    let response = post(addr, "/model/amazon.nova-lite-v1%3A0/converse", "Bearer t", body).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""text":"You said: hi""#));
    let denied = post(addr, "/model/amazon.nova-lite-v1%3A0/converse", "", body).await;
    assert!(denied.starts_with("HTTP/1.1 403"), "{denied}");
    running.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn verification_config_rejects_bad_signatures() {
    let running = spawn(EmulatorConfig { verify_sigv4: true, ..EmulatorConfig::default() }).await.unwrap();
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00";
    let response = post(running.addr(), "/model/amazon.nova-lite-v1%3A0/converse", auth, "{}").await;
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(response.to_ascii_lowercase().contains("x-amzn-errortype: invalidsignatureexception"));
    running.shutdown().await;
}

#[tokio::test]
async fn chosen_models_are_denied_or_throttled_and_others_served() {
    let config = EmulatorConfig {
        deny_models: vec!["amazon.nova-lite-v1:0".into()],
        throttle_models: vec!["amazon.nova-micro-v1:0".into()],
        ..EmulatorConfig::default()
    };
    let running = spawn(config).await.unwrap();
    let body = r#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#;
    let denied = post(running.addr(), "/model/amazon.nova-lite-v1%3A0/converse", "Bearer t", body).await;
    assert!(denied.starts_with("HTTP/1.1 403"), "{denied}");
    assert!(denied.contains("You don't have access to the model with the specified model ID."), "{denied}");
    let throttled = post(running.addr(), "/model/amazon.nova-micro-v1%3A0/invoke", "Bearer t", "{}").await;
    assert!(throttled.starts_with("HTTP/1.1 429"), "{throttled}");
    assert!(throttled.to_ascii_lowercase().contains("x-amzn-errortype: throttlingexception"), "{throttled}");
    let served = post(running.addr(), "/model/amazon.nova-pro-v1%3A0/converse", "Bearer t", body).await;
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    running.shutdown().await;
}
