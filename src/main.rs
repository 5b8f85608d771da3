//! The `repro` binary: errors are printed as one clear message (with their causes), never a
//! backtrace, and the exit code is 1.

fn main() {
    // libtorch errors surface in tch as panics; show them as one line, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("unknown error");
        let first = msg.lines().next().unwrap_or(msg);
        eprintln!("error: internal failure: {first}");
    }));
    if let Err(e) = repro::cli::main() {
        if repro::interrupt::requested() {
            eprintln!("{e:#}");
            std::process::exit(repro::interrupt::EXIT_CODE);
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
