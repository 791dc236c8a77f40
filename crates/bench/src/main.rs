//! `gateway-bench`: measures the gateway against the emulator on loopback. Every loop is
//! bounded in count and time. See BENCHMARKS.md.

mod http;
mod latency;
mod load;
mod procfs;
mod report;
mod soak;
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
    /// A bounded mixed workload (with disconnects) reporting RSS and open descriptors over time.
    Soak(SoakArgs),
}

#[derive(clap::Args)]
pub struct SoakArgs {
    /// Gateway base URL (without /v1).
    #[arg(long)]
    gateway: String,
    /// Gateway process id (RSS and descriptors come from /proc/<pid>).
    #[arg(long)]
    pid: u32,
    #[arg(long, default_value = "bench-key")]
    key: String,
    #[arg(long, default_value = "soak")]
    label: String,
    /// Length of the soak.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// Seconds before the RSS growth is measured from (allocator pools and caches fill first).
    #[arg(long, default_value_t = 120)]
    warm_up: u64,
    /// Seconds between samples.
    #[arg(long, default_value_t = 10)]
    interval: u64,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
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
    /// Paced streams (2 events/s each) held at once for CPU per event (0 skips it).
    #[arg(long, default_value_t = 0)]
    paced: usize,
    /// Only the stream holds (`--streams`, `--paced`): no latency or throughput runs.
    #[arg(long)]
    streams_only: bool,
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
    // Thousands of held streams need as many sockets: raise the soft limit to the hard one.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        note(&format!("could not raise the open-file limit: {e}"));
    }
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
            Command::Soak(args) => run_soak(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

async fn run_soak(args: SoakArgs) -> Result<(), String> {
    let gateway = http::loopback(&args.gateway)?;
    let bounds = soak::SoakBounds {
        duration: std::time::Duration::from_secs(args.seconds),
        warm_up: std::time::Duration::from_secs(args.warm_up.min(args.seconds)),
        interval: std::time::Duration::from_secs(args.interval.max(1)),
        concurrency: args.concurrency.max(1),
    };
    soak::soak(&http::Http::new(), &gateway, &args.key, args.pid, bounds, &mut Report::new(&args.label)).await
}

fn fail(message: &str) -> ExitCode {
    note(message);
    ExitCode::FAILURE
}
