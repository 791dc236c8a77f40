//! `bedrock-gateway`: parse and validate the configuration, then serve.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use gateway::config::Config;

#[tokio::main]
async fn main() -> ExitCode {
    if let Some(code) = run_subcommand().await {
        return code;
    }
    // `--help`, `--version` and malformed flags are clap's to print, with its exit codes.
    if let Err(error) = Config::try_parse() {
        error.exit();
    }
    let args = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let config = match Config::load_from(args) {
        Ok(config) => config,
        Err(error) => return fail(&error.to_string(), 2),
    };
    gateway::telemetry::init(&config.log_format);
    let traces = gateway::otel::init();
    let code = Box::pin(serve(config)).await;
    gateway::otel::shutdown(traces);
    code
}

async fn serve(config: Config) -> ExitCode {
    if config.check_config {
        return match gateway::serve::build_state(config).await {
            Ok(started) => {
                print_file_warnings(&started.state.config);
                let _ignored = writeln!(
                    std::io::stdout(),
                    "configuration OK (AWS access not checked: run `bedrock-gateway doctor`)"
                );
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string(), 2),
        };
    }
    if gateway::lambda::in_lambda() {
        return match gateway::lambda::run(config).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(&error.to_string(), 1),
        };
    }
    match gateway::serve::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.to_string(), 1),
    }
}

/// Modes named by the first argument, dispatched before the serving configuration is parsed.
/// `healthcheck` and `doctor` (or `--doctor`) run instead of serving.
async fn run_subcommand() -> Option<ExitCode> {
    // Lossy, not `env::args()`: that panics on an argument that is not UTF-8.
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    if args.get(1).map(String::as_str) == Some(gateway::healthcheck::COMMAND) {
        return Some(gateway::healthcheck::run().await);
    }
    let (options, args) = gateway::doctor::invocation(args)?;
    Some(gateway::doctor::main(options, args).await)
}

/// What the configuration file holds that does not apply (LiteLLM settings), one per line.
fn print_file_warnings(config: &Config) {
    let mut out = std::io::stdout().lock();
    for warning in config.file.iter().flat_map(|f| &f.warnings) {
        let _ignored = writeln!(out, "warning: {warning}");
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    let _ignored = writeln!(std::io::stderr(), "bedrock-gateway: {message}");
    ExitCode::from(code)
}
