//! Running a grid of (panel, initializer, seed) trainings with resume: finished seeds are skipped
//! unless forced, each finished seed is stored atomically at once, and the panel's tables are
//! merged after each. Shared by `repro run` and `repro sweep`.

use crate::data;
use crate::init::{Initializer, ALL_INIT_NAMES};
use crate::nets::Figure;
use crate::protocol::Protocol;
use crate::results::{self, Lock, RunRecord};
use crate::train::{self, RunSpec};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tch::Device;

/// Parses `--device`: `auto` (CUDA when tch sees it, else CPU), `cpu`, `cuda` or `cuda:N`.
pub fn parse_device(s: &str) -> Result<Device> {
    let cuda = |i: usize| -> Result<Device> {
        if !tch::Cuda::is_available() {
            bail!("--device {s}: no CUDA device is visible to libtorch on this machine; use --device cpu (or auto)");
        }
        let n = tch::Cuda::device_count() as usize;
        if i >= n {
            bail!("--device {s}: only {n} CUDA device(s) are visible (cuda:0 … cuda:{})", n - 1);
        }
        Ok(Device::Cuda(i))
    };
    match s.trim() {
        "auto" => Ok(Device::cuda_if_available()),
        "cpu" => Ok(Device::Cpu),
        "cuda" => cuda(0),
        other => match other.strip_prefix("cuda:").and_then(|i| i.parse().ok()) {
            Some(i) => cuda(i),
            None => bail!("--device '{other}' is not one of auto, cpu, cuda, cuda:N"),
        },
    }
}

/// A device's name for records: `cpu` or `cuda:N`.
pub fn device_name(d: Device) -> String {
    match d {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".into(),
    }
}

/// Where and how a run was made, recorded beside its outputs.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub protocol: Protocol,
    pub device: String,
    pub cpu_threads: i32,
    pub repro_version: &'static str,
    pub tch_version: &'static str,
    pub libtorch_version: &'static str,
    /// The commit the binary was built from (`git rev-parse HEAD` at build time).
    pub git_commit: &'static str,
    /// Whether the source tree had uncommitted changes to tracked files at build time.
    pub git_dirty: bool,
    pub command_line: Vec<String>,
}

impl Provenance {
    pub fn new(protocol: &Protocol, device: Device) -> Provenance {
        Provenance {
            protocol: protocol.clone(),
            device: device_name(device),
            cpu_threads: tch::get_num_threads(),
            repro_version: env!("CARGO_PKG_VERSION"),
            tch_version: env!("REPRO_TCH_VERSION"),
            libtorch_version: env!("REPRO_LIBTORCH_VERSION"),
            git_commit: env!("REPRO_GIT_COMMIT"),
            git_dirty: env!("REPRO_GIT_DIRTY") == "true",
            command_line: std::env::args().collect(),
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub figures: Vec<Figure>,
    pub inits: Vec<Initializer>,
    pub seeds: Vec<i64>,
    pub protocol: Protocol,
    pub device: Device,
    pub data_dir: PathBuf,
    /// Results root: panel folders go under it (`<out>/fig1c`).
    pub out: PathBuf,
    pub force: bool,
    pub quiet: bool,
}

/// The invocation record `run.json`.
#[derive(Serialize)]
struct Invocation<'a> {
    figure: &'a str,
    inits: Vec<String>,
    seeds: &'a [i64],
    status: &'a str,
    started_at: &'a str,
    ended_at: Option<String>,
    trained: Vec<String>,
    skipped: Vec<String>,
    provenance: &'a Provenance,
}

/// Fails early, before any training, when `out` cannot be written.
pub fn check_writable(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("--out {}: cannot create the folder; choose a writable --out", out.display()))?;
    tempfile::tempfile_in(out)
        .with_context(|| format!("--out {}: the folder is not writable; choose a writable --out", out.display()))?;
    Ok(())
}

fn now() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn progress_bar(spec: &RunSpec, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos:>4}/{len} {msg} ({elapsed}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("{} {} seed {}", spec.figure, spec.init.name(), spec.seed));
    bar
}

/// Loads MNIST from `dir` onto `device`.
pub fn load_data(dir: &Path, device: Device) -> Result<data::Mnist> {
    let mnist = data::load(dir)?;
    Ok(data::Mnist { train: mnist.train.to_device(device), test: mnist.test.to_device(device) })
}

/// Fails when the training set holds less than one batch.
pub fn check_batch_fits(protocol: &Protocol, mnist: &data::Mnist, data_dir: &Path) -> Result<()> {
    if mnist.train.len() < protocol.batch_size {
        bail!(
            "--batch-size {} is larger than the training set ({} images in {})",
            protocol.batch_size,
            mnist.train.len(),
            data_dir.display()
        );
    }
    Ok(())
}

/// The protocol values in which a finished run's `recorded` protocol differs from `current`, as
/// `key recorded → current`. `eval_batch_size` does not change a result and is not compared;
/// `alpha` matters to `ours-variance` only.
pub fn protocol_differences(recorded: &Protocol, current: &Protocol, init: &str) -> Vec<String> {
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(recorded), serde_json::to_value(current))
    else {
        unreachable!("a Protocol serializes to a JSON object");
    };
    old.iter()
        .filter(|(key, _)| *key != "eval_batch_size" && (*key != "alpha" || init == "ours-variance"))
        .filter(|(key, value)| new.get(*key) != Some(value))
        .map(|(key, value)| format!("{key} {value} → {}", new.get(key).cloned().unwrap_or_default()))
        .collect()
}

/// A panel folder holds runs of one protocol, so that its merged tables never mix two. Fails,
/// before anything is trained, when a finished run in `panel` was trained with a protocol other
/// than the plan's, unless `--force` retrains exactly that run.
fn check_one_protocol(panel: &Path, plan: &Plan) -> Result<()> {
    for (record, dir) in results::finished_runs(panel, &ALL_INIT_NAMES)? {
        let retrained =
            plan.force && plan.seeds.contains(&record.seed) && plan.inits.iter().any(|i| i.name() == record.init);
        if retrained {
            continue;
        }
        let differences = match serde_json::from_value::<Protocol>(record.provenance["protocol"].clone()) {
            Ok(recorded) => protocol_differences(&recorded, &plan.protocol, &record.init),
            Err(_) => vec!["its result.json records no readable protocol".into()],
        };
        if !differences.is_empty() {
            bail!(
                "{} was trained with another protocol ({}); a results folder holds one protocol per panel, \
                 so give this protocol its own --out folder (or pass --force to retrain those runs with it)",
                dir.display(),
                differences.join(", ")
            );
        }
    }
    Ok(())
}

/// The stored record of a finished run.
fn run_record(spec: &RunSpec, outcome: &train::Outcome, provenance: &Provenance) -> Result<RunRecord> {
    Ok(RunRecord {
        figure: spec.figure.label().into(),
        init: spec.init.name().into(),
        alpha: match spec.init {
            Initializer::OursVariance { alpha } => Some(alpha),
            _ => None,
        },
        seed: spec.seed,
        steps: outcome.curve.len() as i64,
        final_smoothed_loss: outcome.final_smoothed_loss,
        test_accuracy: outcome.test_accuracy,
        collapsed: outcome.collapsed,
        diverged: outcome.diverged,
        wall_seconds: outcome.wall_seconds,
        device: provenance.device.clone(),
        finished_at: now(),
        provenance: serde_json::to_value(provenance)?,
    })
}

/// Runs the plan; returns the number of runs trained (skipped ones not counted).
pub fn run(plan: &Plan) -> Result<usize> {
    let mnist = load_data(&plan.data_dir, plan.device)?;
    check_batch_fits(&plan.protocol, &mnist, &plan.data_dir)?;
    check_writable(&plan.out)?;
    run_loaded(plan, &mnist)
}

/// Runs the plan on data already loaded onto `plan.device`.
/// (The caller checks the batch size against the data and that `plan.out` is writable.)
pub fn run_loaded(plan: &Plan, mnist: &data::Mnist) -> Result<usize> {
    crate::interrupt::install();
    let provenance = Provenance::new(&plan.protocol, plan.device);
    let order: Vec<&str> = ALL_INIT_NAMES.to_vec();
    let mut trained_total = 0;
    for &figure in &plan.figures {
        let panel = results::panel_dir(&plan.out, figure);
        check_one_protocol(&panel, plan)?;
        let pending = plan.force
            || plan.inits.iter().any(|i| plan.seeds.iter().any(|&s| !results::is_finished(&panel, i.name(), s)));
        if !pending {
            // Nothing to train: keep run.json, the record of the invocation that did the work.
            println!(
                "{figure}: all {} run(s) already finished, skipped (use --force to redo)",
                plan.inits.len() * plan.seeds.len()
            );
            continue;
        }
        let started = now();
        let mut trained = Vec::new();
        let mut skipped = Vec::new();
        let write_invocation = |status: &str, trained: &[String], skipped: &[String]| -> Result<()> {
            let inv = Invocation {
                figure: figure.label(),
                inits: plan.inits.iter().map(|i| i.to_string()).collect(),
                seeds: &plan.seeds,
                status,
                started_at: &started,
                ended_at: (status != "running").then(now),
                trained: trained.to_vec(),
                skipped: skipped.to_vec(),
                provenance: &provenance,
            };
            results::write_atomic(&panel.join("run.json"), &serde_json::to_vec_pretty(&inv)?)
        };
        write_invocation("running", &trained, &skipped)?;
        for &init in &plan.inits {
            for &seed in &plan.seeds {
                let spec = RunSpec { figure, init, seed };
                let id = format!("{} seed {seed}", init.name());
                if results::is_finished(&panel, init.name(), seed) && !plan.force {
                    println!("{figure} {id}: already finished, skipped (use --force to redo)");
                    skipped.push(id);
                    continue;
                }
                let lock_path = panel.join("runs").join(init.name()).join(format!(".seed-{seed}.lock"));
                let Some(_claim) = Lock::try_take(&lock_path)? else {
                    println!("{figure} {id}: being trained by another repro process, skipped");
                    skipped.push(id);
                    continue;
                };
                // (With --force the old run stays until the new one replaces it: an interruption
                // keeps it.)
                if !plan.force && results::is_finished(&panel, init.name(), seed) {
                    // Another process finished it between our check and our claim.
                    println!("{figure} {id}: finished by another repro process, skipped");
                    skipped.push(id);
                    continue;
                }
                let bar = progress_bar(&spec, plan.quiet);
                let outcome = train::train(&spec, &plan.protocol, mnist, plan.device, &bar);
                bar.finish_and_clear();
                // Interrupted: nothing of this seed is stored, and every stored seed is merged
                // already (right after it was saved), so only the invocation record changes.
                let Some(outcome) = outcome else {
                    write_invocation("interrupted", &trained, &skipped)?;
                    println!("{figure} {id}: interrupted, not stored (a rerun trains it)");
                    bail!(
                        "interrupted; {} finished run(s) of this invocation are kept in {}, rerun the same command to \
                         continue",
                        trained.len(),
                        panel.display()
                    );
                };
                let record = run_record(&spec, &outcome, &provenance)?;
                results::save_run(&panel, &record, &outcome)?;
                results::merge_panel(&panel, &order)?;
                println!(
                    "{figure} {id}: last smoothed loss {:.4}, test accuracy {:.2} %{}{}, {:.1} s",
                    outcome.final_smoothed_loss,
                    outcome.test_accuracy * 100.0,
                    if outcome.collapsed { ", COLLAPSED" } else { "" },
                    if outcome.diverged { " (diverged)" } else { "" },
                    outcome.wall_seconds
                );
                trained.push(id);
                trained_total += 1;
            }
        }
        results::merge_panel(&panel, &order)?;
        write_invocation("finished", &trained, &skipped)?;
    }
    Ok(trained_total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_differences_name_the_changed_values() {
        let base = Protocol::default();
        assert!(protocol_differences(&base, &base.clone(), "ours").is_empty());
        let faster = Protocol { learning_rate: 0.03, steps: 300, ..base.clone() };
        assert_eq!(protocol_differences(&base, &faster, "ours"), ["learning_rate 0.01 → 0.03", "steps 0 → 300"]);
        // The evaluation batch does not change a result; α changes ours-variance only.
        let other = Protocol { eval_batch_size: 10, alpha: 1.0, ..base.clone() };
        assert!(protocol_differences(&base, &other, "xavier-he").is_empty());
        assert_eq!(protocol_differences(&base, &other, "ours-variance"), ["alpha 0.5 → 1.0"]);
    }
}
