//! The result of a JS battery run (`battery.mjs`, `reverse.mjs`): one `ok NAME` or
//! `not ok NAME: REASON` line per check, then `N passed, M failed` alone on a line.

use super::Finished;

/// The summary of a JS battery run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsReport {
    /// Checks that passed.
    pub passed: usize,
    /// Checks that failed.
    pub failed: usize,
}

impl JsReport {
    /// Reads the last `N passed, M failed` line of `stdout`.
    pub fn parse(stdout: &str) -> Option<JsReport> {
        stdout.lines().rev().find_map(|line| {
            let (passed, failed) = line.trim().split_once(" passed, ")?;
            let failed = failed.strip_suffix(" failed")?;
            Some(JsReport {
                passed: passed.parse().ok()?,
                failed: failed.parse().ok()?,
            })
        })
    }

    /// Asserts that a battery run exited 0 with every check passed, and at least `at_least`
    /// of them (so that a battery which silently ran nothing does not pass). Prints the
    /// failing checks and the whole output otherwise.
    pub fn assert_all_passed(run: &Finished, at_least: usize) -> JsReport {
        let report = JsReport::parse(&run.stdout);
        let failures: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.starts_with("not ok "))
            .collect();
        match &report {
            Some(r) if run.succeeded() && r.failed == 0 && r.passed >= at_least => {}
            _ => panic!(
                "{}: {report:?}, expected at least {at_least} checks, all passing\n\
                 failing checks:\n{}\n\n{}",
                run.name,
                failures.join("\n"),
                run.describe()
            ),
        }
        report.expect("matched above")
    }
}

#[cfg(test)]
mod tests {
    use super::JsReport;

    #[test]
    fn reads_the_last_summary_line() {
        let out = "ok a\nnot ok b: x\n# 1 passed, 9 failed is not alone\n108 passed, 1 failed\n";
        assert_eq!(
            JsReport::parse(out),
            Some(JsReport {
                passed: 108,
                failed: 1
            })
        );
        assert_eq!(JsReport::parse("ok a\n"), None);
    }
}
