//! The result table: one markdown row per figure.

use std::io::Write as _;

#[derive(Debug, Clone)]
pub struct Row {
    pub run: String,
    pub workload: String,
    pub figure: String,
    pub value: String,
    pub budget: String,
    pub verdict: String,
}

/// Collects rows and prints each as soon as it is known (so a partial run still shows).
#[derive(Debug, Default)]
pub struct Report {
    pub run: String,
    pub rows: Vec<Row>,
}

impl Report {
    pub fn new(run: &str) -> Self {
        Self { run: run.to_owned(), rows: Vec::new() }
    }

    /// A figure without a budget.
    pub fn info(&mut self, workload: &str, figure: &str, value: String) {
        self.push(workload, figure, value, "", "");
    }

    /// A figure checked against `budget`: `met` says whether it is within.
    pub fn check(&mut self, workload: &str, figure: &str, value: String, budget: &str, met: bool) {
        self.push(workload, figure, value, budget, if met { "met" } else { "MISSED" });
    }

    fn push(&mut self, workload: &str, figure: &str, value: String, budget: &str, verdict: &str) {
        let row = Row {
            run: self.run.clone(),
            workload: workload.to_owned(),
            figure: figure.to_owned(),
            value,
            budget: budget.to_owned(),
            verdict: verdict.to_owned(),
        };
        let line = format!(
            "| {} | {} | {} | {} | {} | {} |",
            row.run, row.workload, row.figure, row.value, row.budget, row.verdict
        );
        let _ignored = writeln!(std::io::stdout().lock(), "{line}");
        self.rows.push(row);
    }
}

/// Progress and errors, on stderr.
pub fn note(message: &str) {
    let _ignored = writeln!(std::io::stderr().lock(), "gateway-bench: {message}");
}
