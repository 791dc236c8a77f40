//! The real binary: starts on port 0, serves, and stops cleanly on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

const DEADLINE: Duration = Duration::from_secs(20);

#[tokio::test]
async fn binary_serves_and_shuts_down_gracefully() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedrock-gateway"))
        .args(["--emulator", "--port", "0", "--log-format", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(DEADLINE, lines.next_line()).await.unwrap().unwrap().unwrap();
    let address = first.strip_prefix("bedrock-gateway listening on http://").expect("ready line").to_owned();

    let mut stream = tokio::time::timeout(DEADLINE, TcpStream::connect(&address)).await.unwrap().unwrap();
    stream.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(DEADLINE, stream.read_to_string(&mut response)).await.unwrap().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with(r#"{"status":"OK"}"#), "{response}");

    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(DEADLINE, child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

#[tokio::test]
async fn invalid_configuration_exits_with_a_clear_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_bedrock-gateway"))
        .args(["--check-config"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ENABLE_PROMPT_CACHING", "maybe")
        .env("API_KEY", "k")
        .output();
    let output = tokio::time::timeout(DEADLINE, output).await.unwrap().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("enable-prompt-caching") || stderr.contains("ENABLE_PROMPT_CACHING"), "{stderr}");
}
