//! Progress on long stages: a bar on a terminal, a plain log line every few seconds otherwise
//! (CI logs and `nohup` runs stay readable).
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    unit: &'static str,
    total: u64,
    started: Instant,
    last_log: Instant,
}

impl Progress {
    /// `total`: compressed bytes of the input; `unit`: what `items` counts ("entities").
    pub fn new(label: &'static str, total: u64, unit: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            // Size unknown (standard input): no bar, no eta.
            let template = if total == 0 {
                "{prefix} [{elapsed_precise}] {bytes} read ({bytes_per_sec}) {msg}"
            } else {
                "{prefix} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}"
            };
            bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
            bar.set_prefix(label);
            bar
        });
        let now = Instant::now();
        Progress { bar, label, unit, total, started: now, last_log: now }
    }

    pub fn update(&mut self, position: u64, items: u64) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-9);
        let rate = items as f64 / secs;
        if let Some(bar) = &self.bar {
            bar.set_position(position);
            bar.set_message(format!("{items} {} ({rate:.0}/s)", self.unit));
        } else if self.last_log.elapsed() >= Duration::from_secs(10) {
            self.last_log = Instant::now();
            let pct =
                if self.total > 0 { 100.0 * position as f64 / self.total as f64 } else { 0.0 };
            eprintln!(
                "{}: {pct:.1}% of input, {items} {} ({rate:.0}/s), {:.0}s",
                self.label, self.unit, secs
            );
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
