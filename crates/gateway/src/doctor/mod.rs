//! `bedrock-gateway doctor [--invoke] [--json]`: checks, with the same configuration as
//! serving, everything a first run on a real account needs, one line each, and says how
//! to fix what fails.

mod checks;
mod credentials;
mod explain;
mod routes;

use std::io::Write as _;
use std::process::ExitCode;

use serde::Serialize;

use crate::config::Config;

/// Flags of `doctor` itself; every other argument is a serving setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DoctorOptions {
    /// Also call the default models (costs a few tokens).
    pub invoke: bool,
    /// One JSON document instead of lines.
    pub json: bool,
}

/// `Some` when the first argument asks for doctor: its options and the serving arguments.
pub fn invocation(mut args: Vec<String>) -> Option<(DoctorOptions, Vec<String>)> {
    if !matches!(args.get(1).map(String::as_str), Some("doctor" | "--doctor")) {
        return None;
    }
    args.remove(1);
    let mut options = DoctorOptions::default();
    args.retain(|arg| match arg.as_str() {
        "--invoke" => {
            options.invoke = true;
            false
        }
        "--json" => {
            options.json = true;
            false
        }
        _ => true,
    });
    Some((options, args))
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id for machines (`credentials`, `default_model`…).
    pub id: &'static str,
    /// What is checked, for people.
    pub title: String,
    pub ok: bool,
    /// Whether a failure means the gateway will not work.
    pub required: bool,
    pub detail: String,
    /// For a failure: what to change, in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(id: &'static str, title: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { id, title: title.into(), ok: true, required: true, detail: detail.into(), fix: None }
    }

    pub fn fail(id: &'static str, title: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { id, title: title.into(), ok: false, required: true, detail: detail.into(), fix: Some(fix.into()) }
    }

    /// A failure that leaves the gateway working (only some requests are affected).
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.required = false;
        self
    }

    /// [`Check::optional`] unless `required`.
    #[must_use]
    pub fn optional_unless(self, required: bool) -> Self {
        if required {
            self
        } else {
            self.optional()
        }
    }

    fn failed_required(&self) -> bool {
        !self.ok && self.required
    }
}

/// Every check, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// True when no required check failed.
    pub ok: bool,
    pub checks: Vec<Check>,
    /// Exit status: 0 fine, 1 a required check failed, 2 the configuration is invalid.
    #[serde(skip)]
    pub status: u8,
}

impl Report {
    fn new(checks: Vec<Check>) -> Self {
        let invalid_config = checks.iter().any(|c| c.id == "configuration" && !c.ok);
        let failed = checks.iter().any(Check::failed_required);
        let status = if invalid_config { 2 } else { u8::from(failed) };
        Self { ok: !failed, checks, status }
    }

    /// The lines people read: ✓/✗, the check, and under each failure its fix.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for check in &self.checks {
            let mark = if check.ok { "✓" } else { "✗" };
            let optional = if !check.ok && !check.required { " (optional)" } else { "" };
            out.push_str(&format!("{mark} {}{optional}: {}\n", check.title, check.detail));
            if let Some(fix) = check.fix.as_deref().filter(|_| !check.ok) {
                out.push_str(&format!("    fix: {fix}\n"));
            }
        }
        let failed = self.checks.iter().filter(|c| c.failed_required()).count();
        out.push_str(&match failed {
            0 => "The gateway is ready to serve.\n".to_owned(),
            n => format!("{n} required check(s) failed: the gateway will not work until they are fixed.\n"),
        });
        out
    }
}

/// What `doctor --help` prints.
const HELP: &str = "\
Checks that the gateway will work with this configuration, and says how to fix what will not.

Usage: bedrock-gateway doctor [--invoke] [--json] [serving flags...]

  --invoke  also call DEFAULT_MODEL (one token) and DEFAULT_EMBEDDING_MODEL (one text)
  --json    print one JSON document instead of lines

Serving flags and environment variables are those of `bedrock-gateway --help`.
Exit status: 0 ready, 1 a required check failed, 2 invalid configuration.
";

/// Runs doctor with the serving arguments `args` (argv without `doctor`).
pub async fn main(options: DoctorOptions, args: Vec<String>) -> ExitCode {
    if args.iter().skip(1).any(|a| a == "--help" || a == "-h") {
        let _ignored = std::io::stdout().lock().write_all(HELP.as_bytes());
        return ExitCode::SUCCESS;
    }
    // SDK chatter would bury the report; RUST_LOG turns logging back on.
    if std::env::var_os("RUST_LOG").is_some() {
        crate::telemetry::init("text");
    }
    let report = diagnose(options, args).await;
    let output = match options.json {
        true => serde_json::to_string_pretty(&report).unwrap_or_default() + "\n",
        false => report.text(),
    };
    let mut stdout = std::io::stdout().lock();
    let _ignored = stdout.write_all(output.as_bytes()).and_then(|()| stdout.flush());
    ExitCode::from(report.status)
}

/// Every check for the configuration `args` gives.
pub async fn diagnose(options: DoctorOptions, args: Vec<String>) -> Report {
    match parse_config(args) {
        Ok(config) => {
            let mut report = vec![Check::pass("configuration", "Configuration", "valid")];
            report.extend(checks::run(&config, options).await);
            Report::new(report)
        }
        Err(check) => Report::new(vec![check]),
    }
}

fn parse_config(args: Vec<String>) -> Result<Config, Check> {
    const FIX: &str = "Change the setting named above (see `bedrock-gateway --help`).";
    Config::load_from(args).map_err(|error| Check::fail("configuration", "Configuration", error.to_string(), FIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn doctor_is_the_first_argument_and_takes_its_flags_out() {
        let (options, rest) = invocation(args(&["gw", "doctor", "--json", "--port", "9", "--invoke"])).unwrap();
        assert_eq!(options, DoctorOptions { invoke: true, json: true });
        assert_eq!(rest, args(&["gw", "--port", "9"]));
        assert!(invocation(args(&["gw", "--doctor"])).is_some());
        assert!(invocation(args(&["gw", "--port", "9", "doctor"])).is_none());
        assert!(invocation(args(&["gw"])).is_none());
    }

    #[test]
    fn exit_status_follows_required_failures() {
        let pass = Check::pass("region", "Region", "us-east-1");
        let optional = Check::fail("default_image_model", "DEFAULT_IMAGE_MODEL", "x", "y").optional();
        assert_eq!(Report::new(vec![pass.clone(), optional]).status, 0);
        let failed = Check::fail("credentials", "AWS credentials", "none", "set some");
        let report = Report::new(vec![pass, failed]);
        assert_eq!(report.status, 1);
        assert!(!report.ok);
        assert!(report.text().contains("✗ AWS credentials: none\n    fix: set some\n"));
        let invalid = Report::new(vec![Check::fail("configuration", "Configuration", "bad", "fix it")]);
        assert_eq!(invalid.status, 2);
    }

    #[test]
    fn invalid_settings_are_named() {
        let check = parse_config(args(&["gw", "--port", "x"])).unwrap_err();
        assert!(check.detail.contains("--port"), "{}", check.detail);
        let check = parse_config(args(&["gw", "--guardrail-id", "g"])).unwrap_err();
        assert!(check.detail.contains("GUARDRAIL_VERSION"), "{}", check.detail);
    }
}
