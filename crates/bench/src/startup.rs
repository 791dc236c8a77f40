//! Start-up: exec of the gateway binary → its ready line → first 200 from /health → first
//! 200 chat completion. The binary inherits this process's environment (AWS_* settings).

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::http::{loopback, Call, Http};
use crate::report::Report;
use crate::stats::{ms, percentile};
use crate::workloads::{get, Workload};

const LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, Default)]
struct Times {
    listening: Vec<f64>,
    health: Vec<f64>,
    chat: Vec<f64>,
}

pub async fn measure(bin: &str, key: &str, runs: usize, report: &mut Report) -> Result<(), String> {
    let http = Http::new();
    let mut times = Times::default();
    for _ in 0..runs {
        one_run(&http, bin, key, &mut times).await?;
    }
    let name = "start-up";
    let l50 = percentile(&mut times.listening, 50.0);
    let h50 = percentile(&mut times.health, 50.0);
    let hmax = percentile(&mut times.health, 100.0);
    let c50 = percentile(&mut times.chat, 50.0);
    report.info(name, "exec → ready line, median (ms)", format!("{l50:.1} (runs={runs})"));
    report.check(
        name,
        "exec → first 200 /health, median (max) (ms)",
        format!("{h50:.1} ({hmax:.1})"),
        "≤ 50",
        h50 <= 50.0,
    );
    report.info(name, "exec → first 200 chat completion, median (ms)", format!("{c50:.1}"));
    Ok(())
}

async fn one_run(http: &Http, bin: &str, key: &str, times: &mut Times) -> Result<(), String> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["--port", "0", "--api-key", key])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{bin}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let result = tokio::time::timeout(LIMIT, async {
        let base = ready_line(stdout).await?;
        times.listening.push(ms(started.elapsed()));
        poll_until_ok(http, &get(&format!("{base}/health"))).await?;
        times.health.push(ms(started.elapsed()));
        poll_until_ok(http, &Workload::Chat.gateway_call(&base, key)).await?;
        times.chat.push(ms(started.elapsed()));
        Ok::<(), String>(())
    })
    .await;
    let _ignored = child.start_kill();
    let _ignored = child.wait().await;
    result.map_err(|_| "the gateway did not become ready in 20 s".to_owned())?
}

async fn ready_line(stdout: tokio::process::ChildStdout) -> Result<String, String> {
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        if let Some(url) = line.strip_prefix("bedrock-gateway listening on ") {
            return loopback(url.trim());
        }
    }
    Err("the gateway exited before its ready line".to_owned())
}

/// Retries every millisecond until a 200 (the caller bounds the time).
async fn poll_until_ok(http: &Http, call: &Call) -> Result<(), String> {
    loop {
        if http.send(call, false).await.is_ok_and(|t| t.status == 200) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}
