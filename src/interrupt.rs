//! Ctrl-C (SIGINT) and SIGTERM during `repro run` / `repro sweep`: the first one stops training
//! after the current step. Finished seeds are on disk already; the seed in flight is dropped (a
//! rerun trains it again from its start), the panel's tables already hold every finished seed, and
//! `run.json` records the invocation as "interrupted". A second signal exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// Exit code of an interrupted invocation (128 + SIGINT, as shells report Ctrl-C).
pub const EXIT_CODE: i32 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let handler = || {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("\ninterrupted again: exiting now");
                std::process::exit(EXIT_CODE);
            }
            eprintln!("\ninterrupted: stopping after the current step (press Ctrl-C again to quit at once)");
        };
        if let Err(e) = ctrlc::set_handler(handler) {
            eprintln!("warning: cannot catch Ctrl-C ({e}); an interruption loses the seed in flight only");
        }
    });
}

/// True once an interruption was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
