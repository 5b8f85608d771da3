//! Drives the real `repro` binary on tiny synthetic MNIST files: outputs, resume, plots, and every
//! kind of bad input, interruption and concurrent use (exit code and message asserted).

use repro::data::idx::{encode, write_synthetic_mnist};
use repro::data::{IMAGES_MAGIC, LABELS_MAGIC};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn repro() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repro"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run(args: &[&str]) -> Output {
    repro().args(args).output().expect("repro runs")
}

/// Runs `repro` with whitespace-separated `flags`, then `--data data --out out`.
fn run_with(flags: &str, data: &Path, out: &Path) -> Output {
    let mut args: Vec<&str> = flags.split_whitespace().collect();
    args.extend(["--data", data.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    run(&args)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Asserts failure with a message containing every needle, and no panic or backtrace.
fn assert_fails_with(o: &Output, needles: &[&str]) {
    let t = text(o);
    assert!(!o.status.success(), "expected failure, got success:\n{t}");
    for n in needles {
        assert!(t.contains(n), "message lacks '{n}':\n{t}");
    }
    assert!(!t.contains("panicked") && !t.contains("backtrace") && !t.contains("internal failure"), "{t}");
}

struct Fixture {
    _dir: tempfile::TempDir,
    data: PathBuf,
    out: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mnist");
    write_synthetic_mnist(&data, 64, 30).unwrap();
    let out = dir.path().join("results");
    Fixture { data, out, _dir: dir }
}

/// A short panel-1a run; `--seeds 2 --steps 5` unless `extra` says otherwise.
fn short_run(f: &Fixture, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--figure", "1a", "--batch-size", "8", "-q"];
    if !extra.contains(&"--seed-list") {
        args.extend(["--seeds", "2"]);
    }
    if !extra.contains(&"--steps") {
        args.extend(["--steps", "5"]);
    }
    let (data, out) = (f.data.to_str().unwrap(), f.out.to_str().unwrap());
    args.extend(["--data", data, "--out", out]);
    args.extend(extra);
    run(&args)
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).lines().map(String::from).collect()
}

#[test]
fn a_short_run_writes_tidy_tables_and_a_rerun_skips_finished_seeds() {
    let f = fixture();
    let o = short_run(&f, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let panel = f.out.join("fig1a");
    let curves = lines(&panel.join("curves.csv"));
    assert_eq!(curves[0], "init,seed,step,loss,smoothed_loss");
    assert_eq!(curves.len(), 1 + 3 * 2 * 5, "3 inits × 2 seeds × 5 steps");
    let summary = lines(&panel.join("summary.csv"));
    assert_eq!(summary[0], "figure,init,seed,final_smoothed_loss,test_accuracy,collapsed,wall_seconds");
    assert_eq!(summary.len(), 1 + 6);
    assert!(summary[1].starts_with("1a,xavier-he,0,") && summary[6].starts_with("1a,ours-variance,1,"));
    let growth = lines(&panel.join("growth.csv"));
    assert_eq!(growth[0], "init,seed,step,layer,growth,relative_growth");
    // Steps 0 and 5 (growth_every = 10 > 5 steps), 4 layers, 6 runs.
    assert_eq!(growth.len(), 1 + 6 * 2 * 4);
    let run_json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(panel.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["status"], "finished");
    assert_eq!(run_json["provenance"]["protocol"]["steps"], 5);
    assert_eq!(run_json["provenance"]["tch_version"], "0.26.0");
    assert!(run_json["provenance"]["libtorch_version"].as_str().unwrap().starts_with("2.13.0"));
    assert!(run_json["provenance"]["git_commit"].is_string());
    assert_eq!(run_json["provenance"]["device"], "cpu");
    let before = fs::read_to_string(panel.join("runs/ours/seed-1/result.json")).unwrap();

    let run_json_before = fs::read_to_string(panel.join("run.json")).unwrap();
    let again = short_run(&f, &[]);
    assert!(again.status.success());
    assert!(text(&again).contains("1a: all 6 run(s) already finished, skipped"), "{}", text(&again));
    assert_eq!(fs::read_to_string(panel.join("run.json")).unwrap(), run_json_before, "a no-op rerun keeps run.json");
    assert_eq!(fs::read_to_string(panel.join("runs/ours/seed-1/result.json")).unwrap(), before);

    let forced = short_run(&f, &["--inits", "ours", "--seed-list", "1", "--force"]);
    assert!(forced.status.success());
    assert!(text(&forced).contains("1a ours seed 1: last smoothed loss"), "{}", text(&forced));
    assert_eq!(lines(&panel.join("summary.csv")).len(), 7);

    // The same seed trained twice on the CPU gives a bit-identical curve.
    let curve = |p: &Path| lines(&p.join("runs/ours/seed-1/curve.csv"));
    assert_eq!(curve(&panel), {
        let g = fixture();
        fs::create_dir_all(&g.out).unwrap();
        let o = run_with("run --figure 1a --seed-list 1 --inits ours --steps 5 --batch-size 8 -q", &f.data, &g.out);
        assert!(o.status.success());
        curve(&g.out.join("fig1a"))
    });

    // Summary and plots from these results.
    let s = run(&["summary", "--results", f.out.to_str().unwrap()]);
    assert!(s.status.success(), "{}", text(&s));
    assert!(text(&s).contains("| 1a | ours | 2 |"), "{}", text(&s));
    assert!(f.out.join("summary.md").is_file());
    let figs = f.out.parent().unwrap().join("figures");
    let p = run(&["plot", "--results", f.out.to_str().unwrap(), "--out", figs.to_str().unwrap()]);
    assert!(p.status.success(), "{}", text(&p));
    for name in ["fig1a.png", "fig1a.svg", "figure1.png", "figure1.svg", "growth-1a.png", "growth-1a.svg"] {
        let meta = fs::metadata(figs.join(name)).unwrap_or_else(|_| panic!("{name} missing"));
        assert!(meta.len() > 1000, "{name} is nearly empty");
    }
    assert_eq!(&fs::read(figs.join("fig1a.png")).unwrap()[1..4], b"PNG");
    assert!(fs::read_to_string(figs.join("fig1a.svg")).unwrap().contains("<svg"));
    assert!(text(&p).contains("no results for panel 1b; skipped"));
}

#[test]
fn a_rerun_with_another_protocol_is_refused_not_mixed_in() {
    let f = fixture();
    assert!(short_run(&f, &["--inits", "ours"]).status.success());
    let summary = f.out.join("fig1a/summary.csv");
    let before = fs::read_to_string(&summary).unwrap();

    // Same panel folder, another learning rate: refused before training, nothing changed.
    let o = short_run(&f, &["--inits", "ours", "--lr", "0.03"]);
    assert_fails_with(&o, &["seed-0 was trained with another protocol", "learning_rate 0.01 → 0.03", "--out"]);
    assert_eq!(fs::read_to_string(&summary).unwrap(), before);
    // Also when the new plan covers other initializers only: the panel's tables would mix them.
    assert_fails_with(&short_run(&f, &["--inits", "xavier-he", "--steps", "6"]), &["steps 5 → 6"]);

    // --force retrains exactly the runs it covers; runs it does not cover still block.
    assert_fails_with(&short_run(&f, &["--inits", "ours", "--seed-list", "0", "--lr", "0.03", "--force"]), &["seed-1"]);
    let forced = short_run(&f, &["--inits", "ours", "--lr", "0.03", "--force"]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert_ne!(fs::read_to_string(&summary).unwrap(), before);
    let record: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(f.out.join("fig1a/runs/ours/seed-1/result.json")).unwrap()).unwrap();
    assert_eq!(record["provenance"]["protocol"]["learning_rate"], 0.03);
}

#[test]
fn a_diverged_seed_is_recorded_counted_and_drawn() {
    let f = fixture();
    let o = short_run(&f, &["--lr", "1e12", "--inits", "xavier-he", "--steps", "20"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("COLLAPSED"), "{}", text(&o));
    let summary = lines(&f.out.join("fig1a/summary.csv"));
    assert_eq!(summary.len(), 3);
    assert!(summary[1].contains(",NaN,") && summary[1].contains(",true,"), "{}", summary[1]);
    let s = run(&["summary", "--results", f.out.to_str().unwrap()]);
    assert!(text(&s).contains("| 1a | xavier-he | 2 | 2 | NaN |"), "{}", text(&s));
    let figs = f.out.parent().unwrap().join("figures");
    let p = run(&["plot", "--results", f.out.to_str().unwrap(), "--out", figs.to_str().unwrap()]);
    assert!(p.status.success(), "{}", text(&p));
    assert!(fs::read_to_string(figs.join("fig1a.svg")).unwrap().contains("2/2 seeds collapsed"));
}

#[test]
fn bad_data_gives_one_clear_error_naming_the_file() {
    let f = fixture();
    let out = f.out.to_str().unwrap();
    type Fault = Box<dyn Fn(&Path)>;
    let cases: Vec<(Fault, Vec<&str>)> = vec![
        (
            Box::new(|d: &Path| fs::remove_file(d.join("t10k-labels-idx1-ubyte")).unwrap()),
            vec!["t10k-labels-idx1-ubyte not found", "make data"],
        ),
        (
            Box::new(|d: &Path| {
                fs::write(d.join("train-images-idx3-ubyte"), encode(0x0000_0802, &[1, 28, 28], &[0; 784])).unwrap()
            }),
            vec!["train-images-idx3-ubyte", "wrong magic number 0x00000802"],
        ),
        (
            Box::new(|d: &Path| {
                let p = d.join("train-images-idx3-ubyte");
                let b = fs::read(&p).unwrap();
                fs::write(&p, &b[..b.len() - 100]).unwrap();
            }),
            vec!["train-images-idx3-ubyte", "truncated"],
        ),
        (
            Box::new(|d: &Path| {
                fs::write(d.join("t10k-labels-idx1-ubyte"), encode(LABELS_MAGIC, &[29], &[1; 29])).unwrap()
            }),
            vec!["t10k-labels-idx1-ubyte holds 29 labels", "30 images"],
        ),
        (
            Box::new(|d: &Path| {
                fs::write(d.join("t10k-images-idx3-ubyte"), encode(IMAGES_MAGIC, &[30, 32, 32], &[0; 30 * 1024]))
                    .unwrap()
            }),
            vec!["t10k-images-idx3-ubyte", "images are 32×32"],
        ),
    ];
    for (break_it, needles) in cases {
        write_synthetic_mnist(&f.data, 64, 30).unwrap();
        break_it(&f.data);
        let o = run(&["run", "--figure", "1a", "--steps", "2", "--data", f.data.to_str().unwrap(), "--out", out]);
        assert_fails_with(&o, &needles);
        assert_eq!(text(&o).lines().count(), 1, "one error line:\n{}", text(&o));
        assert!(!f.out.exists(), "nothing may be written on bad data");
    }
    let o = run(&["run", "--figure", "1a", "--data", "/nonexistent/mnist", "--out", out]);
    assert_fails_with(&o, &["/nonexistent/mnist does not exist", "make data"]);
}

#[test]
fn bad_flags_give_clear_errors_and_write_nothing() {
    let f = fixture();
    let (data, out) = (f.data.to_str().unwrap(), f.out.to_str().unwrap());
    let base = ["run", "--data", data, "--out", out];
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (vec!["--figure", "1e"], vec!["unknown panel '1e'", "1a, 1b, 1c, 1d"]),
        (vec!["--figure", "1a", "--seeds", "0"], vec!["--seeds", "0"]),
        (vec!["--figure", "1a", "--seeds", "-2"], vec!["--seeds", "-2"]),
        (vec!["--figure", "1a", "--steps", "0"], vec!["--steps"]),
        (vec!["--figure", "1a", "--batch-size", "0"], vec!["--batch-size"]),
        (vec!["--figure", "1a", "--lr", "0"], vec!["--lr", "must be a number > 0"]),
        (vec!["--figure", "1a", "--lr", "-0.1"], vec!["--lr"]),
        (vec!["--figure", "1a", "--lr", "fast"], vec!["--lr", "'fast' is not a number"]),
        (
            vec!["--figure", "1a", "--inits", "ours,kaiming"],
            vec!["unknown initializer 'kaiming'", "xavier-he, ours, ours-variance"],
        ),
        (vec!["--figure", "1a", "--momentum", "1.5"], vec!["momentum (--momentum) must be in [0, 1)"]),
        (vec!["--figure", "1a", "--device", "tpu"], vec!["--device 'tpu'"]),
        (
            vec!["--figure", "1a", "--batch-size", "100"],
            vec!["--batch-size 100 is larger than the training set (64 images"],
        ),
    ];
    for (extra, needles) in cases {
        let mut args = base.to_vec();
        args.extend(extra);
        assert_fails_with(&run(&args), &needles);
    }
    if !tch::Cuda::is_available() {
        let mut args = base.to_vec();
        args.extend(["--figure", "1a", "--device", "cuda"]);
        assert_fails_with(&run(&args), &["--device cuda", "no CUDA device", "--device cpu"]);
    }
    assert!(!f.out.exists(), "bad flags must write nothing");

    // An unwritable --out: a file where a folder should be.
    let blocker = f.data.join("not-a-folder");
    fs::write(&blocker, "x").unwrap();
    let o =
        run(&["run", "--figure", "1a", "--steps", "2", "--data", data, "--out", blocker.join("r").to_str().unwrap()]);
    assert_fails_with(&o, &["--out", "choose a writable --out"]);
}

#[test]
fn a_bad_protocol_file_is_rejected_with_the_key_named() {
    let f = fixture();
    let cfg = f.data.join("proto.toml");
    let good = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/figure1.toml")).unwrap();
    for (content, needle) in [
        (format!("{good}\nlearning_rat = 0.1\n"), "unknown field `learning_rat`"),
        (good.replace("batch_size = 64", "batch_size = \"big\""), "batch_size"),
    ] {
        fs::write(&cfg, content).unwrap();
        let o = run_with(&format!("run --figure 1a --config {}", cfg.display()), &f.data, &f.out);
        assert_fails_with(&o, &[needle, "proto.toml"]);
    }
}

#[test]
fn malformed_results_are_reported_not_drawn_silently() {
    let f = fixture();
    assert!(short_run(&f, &["--inits", "ours"]).status.success());
    let panel = f.out.join("fig1a");
    // A line cut short and a line with text for a number: reported with file and line, then skipped.
    let mut s = fs::read_to_string(panel.join("summary.csv")).unwrap();
    s.push_str("1a,ours,7,0.1\n1a,ours,8,abc,0.9,false,1\n");
    fs::write(panel.join("summary.csv"), s).unwrap();
    let o = run(&["summary", "--results", f.out.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(text(&o).contains("summary.csv:4: malformed line skipped"), "{}", text(&o));
    assert!(text(&o).contains("summary.csv:5: malformed line skipped"), "{}", text(&o));
    assert!(text(&o).contains("| 1a | ours | 2 |"), "{}", text(&o));
    // A file that is not a results table at all stops with a clear error.
    fs::write(panel.join("curves.csv"), "step;loss\n1;2\n").unwrap();
    let figs = f.out.parent().unwrap().join("figs");
    let o = run(&["plot", "--results", f.out.to_str().unwrap(), "--out", figs.to_str().unwrap()]);
    assert_fails_with(&o, &["curves.csv: header is 'step;loss'", "not a repro results table"]);
    // An empty results folder.
    let empty = f.out.parent().unwrap().join("empty");
    fs::create_dir_all(&empty).unwrap();
    assert_fails_with(&run(&["plot", "--results", empty.to_str().unwrap()]), &["no results under", "repro run"]);
    assert_fails_with(&run(&["summary", "--results", empty.to_str().unwrap()]), &["no results under"]);
}

/// Starts a longer run, waits until its first seed is stored, then interrupts it; returns its exit
/// code.
fn interrupt_after_first_seed(f: &Fixture, signal: &str) -> Option<i32> {
    let mut command = repro();
    command
        .args(["run", "--figure", "1a", "--seeds", "3", "--inits", "ours", "--steps", "150", "--batch-size", "8", "-q"])
        .args(["--data", f.data.to_str().unwrap(), "--out", f.out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // A test run started in the background by a non-interactive shell (`cargo test &`) inherits
    // SIGINT ignored, and so would repro; give it the disposition a terminal's Ctrl-C meets.
    // SAFETY: between fork and exec the closure only calls the async-signal-safe signal(2).
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    // Seed 0 is stored and merged into the panel's tables; seed 1 is then in flight.
    let summary = f.out.join("fig1a/summary.csv");
    let merged = || fs::read_to_string(&summary).is_ok_and(|s| s.contains("\n1a,ours,0,"));
    let start = Instant::now();
    while !merged() {
        // Generous: a loaded machine runs the test binaries slowly; the run itself takes seconds.
        assert!(start.elapsed() < Duration::from_secs(900), "first seed never finished");
        assert!(child.try_wait().unwrap().is_none(), "repro run exited before its first seed was stored");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(150)); // now inside seed 1
    Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    child.wait().unwrap().code()
}

#[test]
fn interruption_keeps_finished_seeds_and_the_rerun_completes() {
    for signal in ["-INT", "-KILL"] {
        let f = fixture();
        let code = interrupt_after_first_seed(&f, signal);
        let panel = f.out.join("fig1a");
        let summary = lines(&panel.join("summary.csv"));
        assert!(summary.len() >= 2 && summary.len() < 4, "{signal}: {summary:?}");
        assert!(summary[1].starts_with("1a,ours,0,"));
        // Ctrl-C stops after the current step, records the interruption and exits with 130;
        // SIGKILL cannot be caught: the record still says "running".
        let status = |p: &Path| {
            let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(p.join("run.json")).unwrap()).unwrap();
            v["status"].as_str().unwrap().to_string()
        };
        let (want_code, want_status) = if signal == "-INT" { (Some(130), "interrupted") } else { (None, "running") };
        assert_eq!((code, status(&panel).as_str()), (want_code, want_status), "{signal}");
        // Every table parses whole: no truncated CSV.
        let curves = lines(&panel.join("curves.csv"));
        assert_eq!(curves.len(), 1 + 150 * (summary.len() - 1), "{signal}");
        let first = fs::read_to_string(panel.join("runs/ours/seed-0/result.json")).unwrap();
        let o = run_with("run --figure 1a --seeds 3 --inits ours --steps 150 --batch-size 8 -q", &f.data, &f.out);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(lines(&panel.join("summary.csv")).len(), 4, "{signal}: rerun completes");
        assert_eq!(lines(&panel.join("curves.csv")).len(), 1 + 3 * 150);
        assert_eq!(
            fs::read_to_string(panel.join("runs/ours/seed-0/result.json")).unwrap(),
            first,
            "finished seed untouched"
        );
    }
}

#[test]
fn two_processes_on_one_results_folder_do_not_corrupt_each_other() {
    let f = fixture();
    let spawn = || {
        repro()
            .args([
                "run",
                "--figure",
                "1a",
                "--seeds",
                "4",
                "--inits",
                "xavier-he,ours",
                "--steps",
                "30",
                "--batch-size",
                "8",
                "-q",
            ])
            .args(["--data", f.data.to_str().unwrap(), "--out", f.out.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success() && b.status.success(), "{}\n{}", text(&a), text(&b));
    let trained = text(&a).matches("last smoothed loss").count() + text(&b).matches("last smoothed loss").count();
    assert_eq!(trained, 8, "each (init, seed) trained exactly once:\n{}\n{}", text(&a), text(&b));
    let summary = lines(&f.out.join("fig1a/summary.csv"));
    assert_eq!(summary.len(), 1 + 8);
    let mut keys: Vec<String> =
        summary[1..].iter().map(|l| l.split(',').take(3).collect::<Vec<_>>().join(",")).collect();
    keys.dedup();
    assert_eq!(keys.len(), 8, "no duplicate rows");
    assert_eq!(lines(&f.out.join("fig1a/curves.csv")).len(), 1 + 8 * 30);
}

#[test]
fn describe_prints_the_papers_parameter_counts() {
    let o = run(&["describe", "--figure", "all"]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for total in
        ["total parameters: 220234", "total parameters: 53212", "total parameters: 39210", "total parameters: 975178"]
    {
        assert!(t.contains(total), "{total} missing:\n{t}");
    }
    assert!(t.contains("circulant-fc") && t.contains("1568"));
}

#[test]
fn help_explains_every_flag_and_the_reconstructions() {
    let o = run(&["run", "--help"]);
    let t = text(&o);
    for flag in [
        "--figure",
        "--seeds",
        "--seed-list",
        "--inits",
        "--epochs",
        "--steps",
        "--batch-size",
        "--lr",
        "--momentum",
        "--alpha",
        "--device",
        "--data",
        "--out",
        "--config",
        "--force",
        "--quiet",
    ] {
        assert!(t.contains(flag), "{flag} missing from run --help");
    }
    assert!(t.contains("RECONSTRUCTION") && t.contains("Karras"), "{t}");
    // Runs from another folder without any environment.
    let o = Command::new(env!("CARGO_BIN_EXE_repro"))
        .arg("--help")
        .current_dir("/")
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(o.status.success());
}

#[test]
fn a_tiny_sweep_writes_the_grid_and_its_heatmaps() {
    let f = fixture();
    let flags = "sweep --figure 1c --lr 0.01,0.1 --alpha 0,1 --seeds 2 --steps 3 --batch-size 8 -q \
                 --inits xavier-he,ours-variance,lsuv";
    let o = run_with(flags, &f.data, &f.out);
    assert!(o.status.success(), "{}", text(&o));
    let sweep = lines(&f.out.join("sweeps/1c/sweep.csv"));
    assert_eq!(sweep[0], "figure,init,alpha,lr,seed,final_smoothed_loss,test_accuracy,collapsed");
    // Per lr: (xavier-he, lsuv) × 2 seeds + ours-variance × 2 α × 2 seeds = 8 rows; 2 lrs.
    assert_eq!(sweep.len(), 1 + 16);
    assert_eq!(sweep.iter().filter(|l| l.starts_with("1c,xavier-he,,0.1,")).count(), 2);
    assert_eq!(sweep.iter().filter(|l| l.starts_with("1c,ours-variance,1.0,0.01,")).count(), 2);
    assert_eq!(sweep.iter().filter(|l| l.starts_with("1c,lsuv,,")).count(), 4);
    // Resumable: a rerun trains nothing.
    let again = run_with(flags, &f.data, &f.out);
    assert!(text(&again).contains("0 run(s) trained"), "{}", text(&again));
    let figs = f.out.parent().unwrap().join("figures");
    let p = run(&["plot", "--results", f.out.to_str().unwrap(), "--out", figs.to_str().unwrap()]);
    assert!(p.status.success(), "{}", text(&p));
    assert!(fs::metadata(figs.join("sweep-1c.png")).unwrap().len() > 1000);
    assert!(fs::read_to_string(figs.join("sweep-1c.svg")).unwrap().contains("ours-variance α=1"));
    // Every learning rate and α of the grid is checked before anything runs.
    assert_fails_with(&run(&["sweep", "--figure", "1c", "--lr", "0.01,-1"]), &["--lr", "must be a number > 0, got -1"]);
    assert_fails_with(&run(&["sweep", "--figure", "1c", "--alpha", "0,-0.5"]), &["--alpha", "must be a number ≥ 0"]);
}
