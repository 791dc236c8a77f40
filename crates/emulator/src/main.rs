//! `bedrock-emulator [--host 127.0.0.1] [--port 0] [--verify-sigv4] [--deny-model ID] [--throttle-model ID]
//! [--fail-model ID=KIND[:COUNT]]`

use std::io::Write;

use clap::Parser;
use emulator::faults::FaultRule;
use emulator::EmulatorConfig;
use tokio::net::TcpListener;

const GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// A wire-exact local Amazon Bedrock (runtime + control plane on one port).
#[derive(Debug, Parser)]
#[command(name = "bedrock-emulator", version)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Verify SigV4 signatures against AKIDEXAMPLE / its example secret.
    #[arg(long)]
    verify_sigv4: bool,
    /// Answer runtime calls to these model ids with 403 AccessDeniedException (comma-separated).
    #[arg(long = "deny-model", env = "BEDROCK_EMULATOR_DENY_MODELS", value_delimiter = ',')]
    deny_models: Vec<String>,
    /// Answer runtime calls to these model ids with 429 ThrottlingException (comma-separated).
    #[arg(long = "throttle-model", env = "BEDROCK_EMULATOR_THROTTLE_MODELS", value_delimiter = ',')]
    throttle_models: Vec<String>,
    /// Answer runtime calls to a model id with an error: `ID=KIND[:COUNT]` (KIND as for
    /// `#error`, or `input-too-long`; COUNT: only the next COUNT calls). Comma-separated, repeatable.
    #[arg(long = "fail-model", env = "BEDROCK_EMULATOR_FAIL_MODELS", value_delimiter = ',', value_parser = FaultRule::parse)]
    fail_models: Vec<FaultRule>,
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let listener = TcpListener::bind((args.host.as_str(), args.port)).await?;
    let addr = listener.local_addr()?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "bedrock-emulator listening on http://{addr}")?;
    stdout.flush()?;
    drop(stdout);
    let config = EmulatorConfig {
        verify_sigv4: args.verify_sigv4,
        deny_models: args.deny_models,
        throttle_models: args.throttle_models,
        fail_models: args.fail_models,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(emulator::serve(listener, config, async {
        let _ = stopped.await;
    }));
    shutdown_signal().await;
    let _ = stop.send(());
    // Graceful shutdown waits for open responses; slow scripted streams get a deadline.
    match tokio::time::timeout(GRACE, server).await {
        Ok(joined) => joined.map_err(std::io::Error::other)?,
        Err(_) => Ok(()),
    }
}
