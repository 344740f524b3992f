//! Progress bars on a terminal.
use indicatif::{ProgressBar, ProgressStyle};

/// Run `work`, showing the `(done, total)` it reports as a bar on stderr
/// when stderr is a terminal and the output is not JSON.
pub(crate) fn with_progress<T>(
    prefix: &'static str,
    json: bool,
    work: impl FnOnce(&mut dyn FnMut(usize, usize)) -> T,
) -> T {
    let pb = bar(
        0,
        std::io::IsTerminal::is_terminal(&std::io::stderr()) && !json,
    );
    pb.set_prefix(prefix);
    let out = work(&mut |done, total| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    });
    pb.finish_and_clear();
    out
}

pub(crate) fn bar(total: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template("{prefix:>16} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap()
            .progress_chars("=> "),
    );
    b
}
