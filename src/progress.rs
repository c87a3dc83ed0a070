//! The link phase's progress bar on stderr (indicatif). Shown only when the caller asked for
//! it (a terminal, not CI, not `--quiet`) and there are enough links to be worth a bar; a
//! Ctrl-C clears it (see [`crate::interrupt`]).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// Fewer links than this finish before a bar would be read.
const WORTH_A_BAR: u64 = 6;

#[derive(Debug)]
pub(crate) struct Progress {
    wanted: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub(crate) fn new(wanted: bool) -> Self {
        Progress { wanted, bar: None }
    }

    /// `done` of `total` links decided; `more` while packets are still being read (the
    /// total can still grow).
    pub(crate) fn update(&mut self, done: usize, total: usize, more: bool) {
        let (done, total) = (done as u64, total as u64);
        if self.bar.is_none() && self.wanted && total >= WORTH_A_BAR {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("  links [{bar:30}] {pos}/{len}{msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("#>."),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            crate::interrupt::on_interrupt_clear(bar.clone());
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_length(total);
            bar.set_position(done);
            bar.set_message(if more { "+" } else { "" });
        }
    }

    /// Removes the bar from the screen.
    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
            crate::interrupt::on_interrupt_clear_none();
        }
    }
}
