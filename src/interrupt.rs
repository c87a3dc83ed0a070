//! Ctrl-C: stop at once with exit code 130 (128 + SIGINT, what shells expect), leaving
//! nothing half-written. Files are written whole to a temporary sibling and renamed into
//! place ([`write_atomic`]) under the same lock the handler takes, so a Ctrl-C lands before
//! a write starts or after its rename, never between. The handler clears the progress bar and
//! exits.

use indicatif::ProgressBar;
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, Once};

/// The exit code of a run stopped by Ctrl-C.
pub(crate) const EXIT_INTERRUPTED: i32 = 130;

static STATE: Mutex<State> = Mutex::new(State { bar: None });

struct State {
    bar: Option<ProgressBar>,
}

fn state() -> std::sync::MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Installs the handler (once per process). Without it (a library caller), Ctrl-C does what
/// the system does.
pub(crate) fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // A second handler (another library's) makes this fail: then the default stands.
        let _ = ctrlc::set_handler(|| {
            let mut s = state();
            if let Some(bar) = s.bar.take() {
                bar.finish_and_clear();
            }
            let _ = std::io::stdout().flush();
            eprintln!("packetgate: interrupted");
            // Exits holding the lock: a write waiting for it never starts.
            std::process::exit(EXIT_INTERRUPTED);
        });
    });
}

pub(crate) fn on_interrupt_clear(bar: ProgressBar) {
    state().bar = Some(bar);
}

pub(crate) fn on_interrupt_clear_none() {
    state().bar = None;
}

/// Writes `bytes` to `path` whole or not at all: into a temporary file beside it, then a
/// rename, holding the lock a Ctrl-C takes first.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// As [`write_atomic`], with what `write` writes: a large report is streamed to the file,
/// never held whole in memory.
pub(crate) fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _held = state();
    let result = std::fs::File::create(&tmp)
        .and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            write(&mut out)?;
            std::io::Write::flush(&mut out)
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
