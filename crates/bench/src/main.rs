//! `gateway-bench`: measures the gateway against the emulator on loopback. Every loop is
//! bounded in count and time. See BENCHMARKS.md.

mod http;
mod latency;
mod load;
mod procfs;
mod report;
mod startup;
mod stats;
mod streams;
mod suite;
mod workloads;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

use crate::report::{note, Report};

#[derive(Parser)]
#[command(name = "gateway-bench", about = "Bounded loopback benchmarks of bedrock-gateway")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Latency, throughput, CPU, streaming and memory against a running gateway.
    Suite(SuiteArgs),
    /// Start-up time of the gateway binary (started and stopped `--runs` times).
    Startup {
        #[arg(long)]
        bin: String,
        #[arg(long, default_value = "bench-key")]
        key: String,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value = "start-up")]
        label: String,
    },
}

#[derive(clap::Args)]
pub struct SuiteArgs {
    /// Gateway base URL (without /v1), e.g. http://127.0.0.1:8000
    #[arg(long)]
    gateway: String,
    /// Emulator base URL.
    #[arg(long)]
    emulator: String,
    /// Gateway process id (CPU and memory come from /proc/<pid>).
    #[arg(long)]
    pid: u32,
    /// Emulator process id: its CPU per request, as a reference for an axum + serde server.
    #[arg(long)]
    emulator_pid: Option<u32>,
    #[arg(long, default_value = "bench-key")]
    key: String,
    /// Name of this run in the table (e.g. "logs on").
    #[arg(long, default_value = "gateway")]
    label: String,
    /// Only non-stream chat latency and chat/stream throughput (for a second configuration).
    #[arg(long)]
    quick: bool,
    /// Request pairs per latency measurement.
    #[arg(long, default_value_t = 400)]
    pairs: usize,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Seconds per throughput run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Most requests per throughput run.
    #[arg(long, default_value_t = 200_000)]
    max_requests: usize,
    /// Streams held open at once in the memory test (0 skips it).
    #[arg(long, default_value_t = 1000)]
    streams: usize,
}

/// Where to send requests.
pub struct Target {
    pub gateway: String,
    pub emulator: String,
    pub key: String,
    pub pid: u32,
    pub emulator_pid: Option<u32>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: the client stays light next to the gateway and emulator on 2 cores.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(&e.to_string()),
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Suite(args) => suite::suite(args).await,
            Command::Startup { bin, key, runs, label } => {
                startup::measure(&bin, &key, runs, &mut Report::new(&label)).await
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(message: &str) -> ExitCode {
    note(message);
    ExitCode::FAILURE
}
