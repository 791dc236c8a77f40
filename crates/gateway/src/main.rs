//! `bedrock-gateway`: parse and validate the configuration, then serve.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use gateway::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    // Lossy, not `env::args()`: that panics on an argument that is not UTF-8.
    let args = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    if let Some((options, args)) = gateway::doctor::invocation(args) {
        return gateway::doctor::main(options, args).await;
    }
    let config = match Config::parse().validated() {
        Ok(config) => config,
        Err(error) => return fail(&error.to_string(), 2),
    };
    gateway::telemetry::init(&config.log_format);
    if config.check_config {
        return match gateway::serve::build_state(config).await {
            Ok(_) => {
                let _ignored = writeln!(
                    std::io::stdout(),
                    "configuration OK (AWS access not checked: run `bedrock-gateway doctor`)"
                );
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string(), 2),
        };
    }
    match gateway::serve::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string(), 1),
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    let _ignored = writeln!(std::io::stderr(), "bedrock-gateway: {message}");
    ExitCode::from(code)
}
