//! `bedrock-gateway healthcheck`: asks the local server's `/health`, for container health
//! checks in images without a shell or curl. Exit 0 when it answers 200, 1 otherwise.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

/// The first command-line argument that selects this mode.
pub const COMMAND: &str = "healthcheck";

const DEFAULT_PORT: u16 = 8000;
const TIMEOUT: Duration = Duration::from_secs(3);

/// Checks `http://127.0.0.1:$PORT/health` (loopback whatever HOST is: the check runs
/// inside the container or task, next to the server).
pub async fn run() -> ExitCode {
    let outcome = match port_from_env() {
        Ok(port) => check(port).await,
        Err(message) => Err(message),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ignored = writeln!(std::io::stderr(), "bedrock-gateway healthcheck: {message}");
            ExitCode::FAILURE
        }
    }
}

fn port_from_env() -> Result<u16, String> {
    match std::env::var("PORT") {
        Ok(value) => parse_port(&value),
        Err(_) => Ok(DEFAULT_PORT),
    }
}

fn parse_port(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(format!("PORT `{value}` is not a port number between 1 and 65535")),
    }
}

async fn check(port: u16) -> Result<(), String> {
    let url = format!("http://127.0.0.1:{port}/health");
    let client = reqwest::Client::builder().timeout(TIMEOUT).no_proxy().build().map_err(|e| e.to_string())?;
    let response = client.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(()),
        status => Err(format!("{url} answered {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_validated() {
        assert_eq!(parse_port(" 8080 "), Ok(8080));
        assert!(parse_port("0").unwrap_err().contains("PORT"));
        assert!(parse_port("http").is_err());
        assert!(parse_port("70000").is_err());
    }
}
