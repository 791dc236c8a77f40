//! A small bounded load generator for the emulator (keep-alive HTTP/1.1,
//! loopback only): `loadgen [ADDR] [REQUESTS] [CONNECTIONS]`.
//! Sends small Converse requests and prints requests per second.

use std::io::Write;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BODY: &str = r#"{"messages":[{"role":"user","content":[{"text":"hello there"}]}]}"#;
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn request(addr: &str) -> Vec<u8> {
    format!(
        "POST /model/amazon.nova-lite-v1%3A0/converse HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer load\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

/// Reads one response; returns whether it was a 200.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                let ok = head.starts_with("http/1.1 200");
                buffer.drain(..end + 4 + length);
                return Ok(ok);
            }
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn worker(addr: String, count: usize, deadline: Instant) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(&addr).await?;
    let request = request(&addr);
    let (mut buffer, mut ok) = (Vec::with_capacity(8192), 0);
    for _ in 0..count {
        if Instant::now() > deadline {
            break;
        }
        stream.write_all(&request).await?;
        ok += usize::from(read_response(&mut stream, &mut buffer).await?);
    }
    Ok(ok)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let addr = args.get(1).cloned().unwrap_or_else(|| "127.0.0.1:8911".into());
    let total: usize = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let connections: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(32).max(1);
    let deadline = Instant::now() + TIME_LIMIT;
    let started = Instant::now();
    let tasks: Vec<_> =
        (0..connections).map(|_| tokio::spawn(worker(addr.clone(), total / connections, deadline))).collect();
    let mut ok = 0;
    for task in tasks {
        ok += task.await.map_err(std::io::Error::other)??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{ok} ok responses in {elapsed:.2} s over {connections} connections: {:.0} req/s",
        ok as f64 / elapsed
    )?;
    Ok(())
}
