//! The progress bar on stderr: bytes, rate and ETA, only when stderr is a terminal.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const TEMPLATE: &str =
    "{bar:30.cyan/blue} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta} ({elapsed})";

/// A bar for `total` bytes, or a hidden one when `visible` is false.
pub fn bar(total: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(TEMPLATE)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar =
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(style);
    // Parts are acknowledged whole, so redraw between them to keep the rate and ETA moving.
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_valid() {
        assert!(ProgressStyle::with_template(TEMPLATE).is_ok());
    }

    #[test]
    fn a_hidden_bar_takes_updates() {
        let bar = bar(10, false);
        assert!(bar.is_hidden());
        bar.set_position(5);
        assert_eq!(bar.position(), 5);
    }
}
