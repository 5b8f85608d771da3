//! Results on disk: one folder per finished (initializer, seed), written atomically, and the tidy
//! per-panel tables merged from them.
//!
//! ```text
//! <out>/fig1c/runs/<init>/seed-<k>/{curve.csv, growth.csv, result.json}   one finished run
//! <out>/fig1c/curves.csv    init,seed,step,loss,smoothed_loss                 (every step)
//! <out>/fig1c/growth.csv    init,seed,step,layer,growth,relative_growth
//! <out>/fig1c/summary.csv   figure,init,seed,final_smoothed_loss,test_accuracy,collapsed,wall_seconds
//! <out>/fig1c/run.json      the last invocation: protocol, seeds, device, versions, commit, times
//! ```
//!
//! A run's folder is filled under a temporary name and renamed into place when complete, so an
//! interrupted run leaves nothing half-written; the merged tables are rewritten (tempfile + rename)
//! from all finished folders under an exclusive lock, so two processes on one results folder never
//! corrupt each other. A per-run lock keeps two processes from training the same seed at once.

use crate::nets::Figure;
use crate::train::Outcome;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `result.json` holds for one finished run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub figure: String,
    pub init: String,
    /// α of `ours-variance`; absent for the other initializers.
    pub alpha: Option<f64>,
    pub seed: i64,
    pub steps: i64,
    /// JSON has no NaN: a diverged run's loss is written as null and read back as NaN.
    #[serde(deserialize_with = "null_as_nan")]
    pub final_smoothed_loss: f64,
    #[serde(deserialize_with = "null_as_nan")]
    pub test_accuracy: f64,
    pub collapsed: bool,
    pub diverged: bool,
    pub wall_seconds: f64,
    pub device: String,
    pub finished_at: String,
    /// The protocol and provenance this run used (see `Provenance`).
    pub provenance: serde_json::Value,
}

fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// One row of `summary.csv`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SummaryRow {
    pub figure: String,
    pub init: String,
    pub seed: i64,
    pub final_smoothed_loss: f64,
    pub test_accuracy: f64,
    pub collapsed: bool,
    pub wall_seconds: f64,
}

/// One row of `curves.csv`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CurveRow {
    pub init: String,
    pub seed: i64,
    pub step: i64,
    pub loss: f64,
    pub smoothed_loss: f64,
}

/// One row of `growth.csv`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GrowthRow {
    pub init: String,
    pub seed: i64,
    pub step: i64,
    pub layer: String,
    pub growth: f64,
    pub relative_growth: f64,
}

/// `<out>/fig1c`.
pub fn panel_dir(out: &Path, figure: Figure) -> PathBuf {
    out.join(format!("fig{}", figure.label()))
}

/// `<panel>/runs/<init>/seed-<k>`.
pub fn run_dir(panel: &Path, init: &str, seed: i64) -> PathBuf {
    panel.join("runs").join(init).join(format!("seed-{seed}"))
}

/// True when the run's folder holds a complete result.
pub fn is_finished(panel: &Path, init: &str, seed: i64) -> bool {
    run_dir(panel, init, seed).join("result.json").is_file()
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create folder {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {} (is it writable? choose another --out)", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A CSV file's bytes: `header`, then one line per row (the header is written even with no rows).
pub fn csv_bytes<T: Serialize>(rows: impl IntoIterator<Item = T>, header: &[&str]) -> Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.serialize(row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

pub const CURVE_HEADER: [&str; 5] = ["init", "seed", "step", "loss", "smoothed_loss"];
pub const GROWTH_HEADER: [&str; 6] = ["init", "seed", "step", "layer", "growth", "relative_growth"];
pub const SUMMARY_HEADER: [&str; 7] =
    ["figure", "init", "seed", "final_smoothed_loss", "test_accuracy", "collapsed", "wall_seconds"];

/// An exclusive advisory lock on a file, released when dropped.
pub struct Lock(#[allow(dead_code)] File); // held for its drop, which releases the lock

impl Lock {
    /// Waits for the lock on `path` (created if needed).
    pub fn wait(path: &Path) -> Result<Lock> {
        let f = Lock::open(path)?;
        f.lock().with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(Lock(f))
    }
    /// Takes the lock on `path` if no other process holds it.
    pub fn try_take(path: &Path) -> Result<Option<Lock>> {
        let f = Lock::open(path)?;
        match f.try_lock() {
            Ok(()) => Ok(Some(Lock(f))),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }
    fn open(path: &Path) -> Result<File> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)
                .with_context(|| format!("cannot create folder {} (choose another --out)", dir.display()))?;
        }
        File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open lock file {} (is the folder writable?)", path.display()))
    }
}

/// Stores a finished run: fills a temporary folder, then renames it into place.
pub fn save_run(panel: &Path, record: &RunRecord, outcome: &Outcome) -> Result<()> {
    let final_dir = run_dir(panel, &record.init, record.seed);
    let parent = final_dir.parent().unwrap();
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-seed-{}-", record.seed))
        .tempdir_in(parent)
        .with_context(|| format!("cannot write in {}", parent.display()))?;
    let curve = outcome.curve.iter().map(|s| CurveRow {
        init: record.init.clone(),
        seed: record.seed,
        step: s.step,
        loss: s.loss,
        smoothed_loss: s.smoothed_loss,
    });
    fs::write(tmp.path().join("curve.csv"), csv_bytes(curve, &CURVE_HEADER)?)?;
    let growth = outcome.growth.iter().flat_map(|(step, layers)| {
        layers.iter().map(move |g| GrowthRow {
            init: record.init.clone(),
            seed: record.seed,
            step: *step,
            layer: g.layer.clone(),
            growth: g.growth,
            relative_growth: g.relative_growth,
        })
    });
    fs::write(tmp.path().join("growth.csv"), csv_bytes(growth, &GROWTH_HEADER)?)?;
    fs::write(tmp.path().join("result.json"), serde_json::to_vec_pretty(record)?)?;
    if final_dir.exists() {
        fs::remove_dir_all(&final_dir).with_context(|| format!("cannot replace {}", final_dir.display()))?;
    }
    let tmp_path = tmp.keep();
    fs::rename(&tmp_path, &final_dir)
        .with_context(|| format!("cannot move the finished run into {}", final_dir.display()))?;
    Ok(())
}

/// All finished runs of a panel, ordered by (initializer in `order`, then by name), then seed.
pub fn finished_runs(panel: &Path, order: &[&str]) -> Result<Vec<(RunRecord, PathBuf)>> {
    let mut runs = Vec::new();
    let root = panel.join("runs");
    if !root.is_dir() {
        return Ok(runs);
    }
    for init_dir in fs::read_dir(&root).with_context(|| format!("cannot read {}", root.display()))? {
        let init_dir = init_dir?.path();
        if !init_dir.is_dir() {
            continue;
        }
        for seed_dir in fs::read_dir(&init_dir)? {
            let seed_dir = seed_dir?.path();
            let result = seed_dir.join("result.json");
            let name = seed_dir.file_name().unwrap_or_default().to_string_lossy().to_string();
            if name.starts_with('.') || !result.is_file() {
                continue;
            }
            let text = fs::read_to_string(&result).with_context(|| format!("cannot read {}", result.display()))?;
            match serde_json::from_str::<RunRecord>(&text) {
                Ok(r) => runs.push((r, seed_dir)),
                Err(e) => eprintln!("warning: {}: not a valid run record ({e}); skipped", result.display()),
            }
        }
    }
    let rank = |init: &str| order.iter().position(|o| *o == init).unwrap_or(order.len());
    runs.sort_by(|(a, _), (b, _)| (rank(&a.init), &a.init, a.seed).cmp(&(rank(&b.init), &b.init, b.seed)));
    Ok(runs)
}

/// Rewrites `curves.csv`, `growth.csv` and `summary.csv` of a panel from its finished runs,
/// under the panel's lock. Returns the number of runs merged.
pub fn merge_panel(panel: &Path, order: &[&str]) -> Result<usize> {
    let _lock = Lock::wait(&panel.join(".lock"))?;
    let runs = finished_runs(panel, order)?;
    let mut curves = Vec::new();
    let mut growth = Vec::new();
    for (i, (_, dir)) in runs.iter().enumerate() {
        for (name, buf) in [("curve.csv", &mut curves), ("growth.csv", &mut growth)] {
            let path = dir.join(name);
            let text = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            // Keep the header of the first file only.
            let body = if i == 0 { &text[..] } else { text.splitn(2, |&b| b == b'\n').nth(1).unwrap_or(&[]) };
            buf.extend_from_slice(body);
        }
    }
    if runs.is_empty() {
        curves = csv_bytes(Vec::<CurveRow>::new(), &CURVE_HEADER)?;
        growth = csv_bytes(Vec::<GrowthRow>::new(), &GROWTH_HEADER)?;
    }
    let summary = runs.iter().map(|(r, _)| SummaryRow {
        figure: r.figure.clone(),
        init: r.init.clone(),
        seed: r.seed,
        final_smoothed_loss: r.final_smoothed_loss,
        test_accuracy: r.test_accuracy,
        collapsed: r.collapsed,
        wall_seconds: r.wall_seconds,
    });
    write_atomic(&panel.join("curves.csv"), &curves)?;
    write_atomic(&panel.join("growth.csv"), &growth)?;
    write_atomic(&panel.join("summary.csv"), &csv_bytes(summary, &SUMMARY_HEADER)?)?;
    Ok(runs.len())
}

/// Reads a CSV file of rows `T`. A malformed line is reported (file and line) on stderr and
/// skipped; a wrong header or an unreadable file is an error.
pub fn read_csv<T: for<'de> Deserialize<'de>>(path: &Path, header: &[&str]) -> Result<Vec<T>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let found: Vec<String> =
        reader.headers().with_context(|| format!("cannot read {}", path.display()))?.iter().map(String::from).collect();
    if found != header {
        bail!(
            "{}: header is '{}', expected '{}'; the file is not a repro results table",
            path.display(),
            found.join(","),
            header.join(",")
        );
    }
    let mut rows = Vec::new();
    let mut bad = 0;
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let parsed = rec.map_err(anyhow::Error::from).and_then(|r| {
            if r.len() != header.len() {
                bail!("{} fields, expected {}", r.len(), header.len());
            }
            Ok(r.deserialize::<T>(None)?)
        });
        match parsed {
            Ok(row) => rows.push(row),
            Err(e) => {
                bad += 1;
                eprintln!("warning: {}:{line}: malformed line skipped ({e})", path.display());
            }
        }
    }
    if bad > 0 {
        eprintln!("warning: {}: {bad} malformed line(s) skipped, {} read", path.display(), rows.len());
    }
    Ok(rows)
}

/// Panels under `results` that have a `summary.csv`, in figure order.
pub fn panels_with_results(results: &Path) -> Vec<Figure> {
    Figure::ALL.into_iter().filter(|f| panel_dir(results, *f).join("summary.csv").is_file()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norm::Growth;
    use crate::train::StepLoss;

    fn outcome(n: i64) -> Outcome {
        Outcome {
            curve: (0..n).map(|s| StepLoss { step: s, loss: 2.0 / (s + 1) as f64, smoothed_loss: 1.0 }).collect(),
            growth: vec![(0, vec![Growth { layer: "fc".into(), growth: 0.0, relative_growth: 0.0 }])],
            final_smoothed_loss: 1.0,
            test_accuracy: 0.5,
            diverged: false,
            collapsed: false,
            wall_seconds: 1.5,
        }
    }

    fn record(init: &str, seed: i64) -> RunRecord {
        RunRecord {
            figure: "1a".into(),
            init: init.into(),
            alpha: None,
            seed,
            steps: 3,
            final_smoothed_loss: f64::NAN,
            test_accuracy: 0.1,
            collapsed: true,
            diverged: true,
            wall_seconds: 2.0,
            device: "Cpu".into(),
            finished_at: "now".into(),
            provenance: serde_json::json!({}),
        }
    }

    #[test]
    fn merged_tables_have_the_right_columns_rows_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let panel = dir.path().join("fig1a");
        save_run(&panel, &record("ours", 1), &outcome(3)).unwrap();
        save_run(&panel, &record("xavier-he", 0), &outcome(4)).unwrap();
        assert_eq!(merge_panel(&panel, &["xavier-he", "ours"]).unwrap(), 2);
        let curves = fs::read_to_string(panel.join("curves.csv")).unwrap();
        let lines: Vec<&str> = curves.lines().collect();
        assert_eq!(lines[0], "init,seed,step,loss,smoothed_loss");
        assert_eq!(lines.len(), 1 + 4 + 3);
        assert_eq!(lines[1], "xavier-he,0,0,2.0,1.0");
        assert!(lines[5].starts_with("ours,1,0,"));
        let summary: Vec<SummaryRow> = read_csv(&panel.join("summary.csv"), &SUMMARY_HEADER).unwrap();
        assert_eq!(summary.len(), 2);
        assert!(summary[0].final_smoothed_loss.is_nan() && summary[0].collapsed);
        let text = fs::read_to_string(panel.join("summary.csv")).unwrap();
        assert!(text.starts_with("figure,init,seed,final_smoothed_loss,test_accuracy,collapsed,wall_seconds\n1a,xavier-he,0,NaN,0.1,true,2.0\n"), "{text}");
        let growth: Vec<GrowthRow> = read_csv(&panel.join("growth.csv"), &GROWTH_HEADER).unwrap();
        assert_eq!(growth.len(), 2);
        // No temporary folders left behind.
        assert_eq!(fs::read_dir(panel.join("runs/ours")).unwrap().count(), 1);
    }

    #[test]
    fn malformed_lines_are_skipped_and_wrong_headers_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.csv");
        fs::write(&p, "figure,init,seed,final_smoothed_loss,test_accuracy,collapsed,wall_seconds\n1a,ours,0,0.1,0.9,false,3\n1a,ours,x,0.1\n1a,ours,2,0.2,0.8,false,3\n").unwrap();
        let rows: Vec<SummaryRow> = read_csv(&p, &SUMMARY_HEADER).unwrap();
        assert_eq!(rows.iter().map(|r| r.seed).collect::<Vec<_>>(), vec![0, 2]);
        fs::write(&p, "a,b\n1,2\n").unwrap();
        let e = read_csv::<SummaryRow>(&p, &SUMMARY_HEADER).unwrap_err().to_string();
        assert!(e.contains("header is 'a,b'"), "{e}");
    }

    #[test]
    fn run_locks_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let held = Lock::try_take(&p).unwrap();
        assert!(held.is_some());
        assert!(Lock::try_take(&p).unwrap().is_none());
        drop(held);
        assert!(Lock::try_take(&p).unwrap().is_some());
    }
}
