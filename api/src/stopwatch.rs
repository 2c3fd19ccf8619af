//! Phase timings of long jobs (bulk imports, evaluations, the demo bank), written to the log: the
//! benchmarks read from it where the time goes.

use std::time::Instant;

pub struct Stopwatch {
    job: &'static str,
    started: Instant,
}

impl Stopwatch {
    pub fn start(job: &'static str) -> Self {
        Stopwatch {
            job,
            started: Instant::now(),
        }
    }

    /// Logs that `phase` is done, with the milliseconds since the job started.
    pub fn lap(&self, phase: &str) {
        tracing::info!(
            job = self.job,
            phase,
            ms = self.started.elapsed().as_millis() as u64,
            "phase done"
        );
    }
}
