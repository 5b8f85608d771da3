//! `repro sweep`: where each initializer works. Runs a panel over a grid of learning rates (and of
//! α for `ours-variance`), each cell a `repro run` with the same outputs and the same resume, and
//! gathers the grid into `sweep.csv`:
//!
//! ```text
//! <out>/sweeps/<name>/lr-0.01/fig1c/...            every initializer but ours-variance
//! <out>/sweeps/<name>/lr-0.01_alpha-0.5/fig1c/...  ours-variance at that α
//! <out>/sweeps/<name>/sweep.csv   figure,init,alpha,lr,seed,final_smoothed_loss,test_accuracy,collapsed
//! ```

use crate::cli::{parse_nonnegative_f64, parse_positive_f64, TrainingArgs};
use crate::experiment::{self, Plan};
use crate::init::Initializer;
use crate::nets::Figure;
use crate::results::{csv_bytes, panel_dir, read_csv, write_atomic, SummaryRow, SUMMARY_HEADER};
use anyhow::Result;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Panel of Figure 1: 1a, 1b, 1c or 1d.
    #[arg(long)]
    pub figure: String,
    /// Learning rates, comma-separated (each > 0).
    #[arg(long, value_delimiter = ',', default_value = "0.003,0.01,0.03,0.1", allow_negative_numbers = true,
          value_parser = parse_positive_f64)]
    pub lr: Vec<f64>,
    /// Values of α for ours-variance, comma-separated (each ≥ 0).
    #[arg(long, value_delimiter = ',', default_value = "0,0.25,0.5,1", allow_negative_numbers = true,
          value_parser = parse_nonnegative_f64)]
    pub alpha: Vec<f64>,
    /// Name of the sweep: its outputs go to <out>/sweeps/<name>/ [default: the panel, e.g. 1c].
    #[arg(long)]
    pub name: Option<String>,
    /// Results folder.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    #[command(flatten)]
    pub training: TrainingArgs,
}

/// One row of `sweep.csv`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepRow {
    pub figure: String,
    pub init: String,
    /// α of ours-variance; empty for the other initializers.
    pub alpha: Option<f64>,
    pub lr: f64,
    pub seed: i64,
    pub final_smoothed_loss: f64,
    pub test_accuracy: f64,
    pub collapsed: bool,
}

pub const SWEEP_HEADER: [&str; 8] =
    ["figure", "init", "alpha", "lr", "seed", "final_smoothed_loss", "test_accuracy", "collapsed"];

/// One cell of the grid: a learning rate, the initializers run there, and α when it is the
/// ours-variance cell.
#[derive(Debug, Clone)]
pub struct Cell {
    pub lr: f64,
    pub alpha: Option<f64>,
    pub inits: Vec<Initializer>,
}

impl Cell {
    /// The cell's folder name, e.g. `lr-0.01` or `lr-0.01_alpha-0.5`.
    pub fn dir_name(&self) -> String {
        match self.alpha {
            Some(a) => format!("lr-{}_alpha-{}", self.lr, a),
            None => format!("lr-{}", self.lr),
        }
    }
}

/// The grid: per learning rate, one cell for every initializer but ours-variance, and one cell
/// per α for ours-variance.
pub fn cells(lrs: &[f64], alphas: &[f64], inits: &[Initializer]) -> Vec<Cell> {
    let mut out = Vec::new();
    for &lr in lrs {
        let fixed: Vec<Initializer> =
            inits.iter().copied().filter(|i| !matches!(i, Initializer::OursVariance { .. })).collect();
        if !fixed.is_empty() {
            out.push(Cell { lr, alpha: None, inits: fixed });
        }
        if inits.iter().any(|i| matches!(i, Initializer::OursVariance { .. })) {
            for &alpha in alphas {
                out.push(Cell { lr, alpha: Some(alpha), inits: vec![Initializer::OursVariance { alpha }] });
            }
        }
    }
    out
}

/// Gathers every cell's `summary.csv` into `sweep.csv`; returns the rows.
pub fn gather(sweep_dir: &Path, figure: Figure, cells: &[Cell]) -> Result<Vec<SweepRow>> {
    let mut rows = Vec::new();
    for cell in cells {
        let summary = panel_dir(&sweep_dir.join(cell.dir_name()), figure).join("summary.csv");
        if !summary.is_file() {
            continue;
        }
        for r in read_csv::<SummaryRow>(&summary, &SUMMARY_HEADER)? {
            rows.push(SweepRow {
                figure: r.figure,
                alpha: if r.init == "ours-variance" { cell.alpha } else { None },
                init: r.init,
                lr: cell.lr,
                seed: r.seed,
                final_smoothed_loss: r.final_smoothed_loss,
                test_accuracy: r.test_accuracy,
                collapsed: r.collapsed,
            });
        }
    }
    write_atomic(&sweep_dir.join("sweep.csv"), &csv_bytes(&rows, &SWEEP_HEADER)?)?;
    Ok(rows)
}

/// `repro sweep`.
pub fn sweep(args: SweepArgs) -> Result<()> {
    let figure = Figure::parse(&args.figure)?;
    let base = args.training.protocol(None, None)?;
    let inits = args.training.initializers(base.alpha)?;
    let grid = cells(&args.lr, &args.alpha, &inits);
    let name = args.name.clone().unwrap_or_else(|| figure.label().to_string());
    let sweep_dir = args.out.join("sweeps").join(&name);
    let device = args.training.device()?;
    let mnist = experiment::load_data(&args.training.data, device)?;
    experiment::check_batch_fits(&base, &mnist, &args.training.data)?;
    experiment::check_writable(&sweep_dir)?;
    let started = std::time::Instant::now();
    let mut trained = 0;
    let mut rows = Vec::new();
    for cell in &grid {
        let mut protocol = base.clone();
        protocol.learning_rate = cell.lr;
        if let Some(a) = cell.alpha {
            protocol.alpha = a;
        }
        println!(
            "— sweep {name}: {} ({})",
            cell.dir_name(),
            cell.inits.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
        );
        let plan = Plan {
            figures: vec![figure],
            inits: cell.inits.clone(),
            seeds: args.training.seed_values(),
            protocol,
            device,
            data_dir: args.training.data.clone(),
            out: sweep_dir.join(cell.dir_name()),
            force: args.training.force,
            quiet: args.training.quiet,
        };
        trained += experiment::run_loaded(&plan, &mnist)?;
        rows = gather(&sweep_dir, figure, &grid)?;
    }
    println!(
        "{trained} run(s) trained in {:.0} s; {} rows in {}",
        started.elapsed().as_secs_f64(),
        rows.len(),
        sweep_dir.join("sweep.csv").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_varies_ours_variance_only() {
        let inits = [Initializer::XavierHe, Initializer::Ours, Initializer::OursVariance { alpha: 0.5 }];
        let grid = cells(&[0.01, 0.1], &[0.0, 1.0], &inits);
        let names: Vec<String> = grid.iter().map(Cell::dir_name).collect();
        assert_eq!(
            names,
            ["lr-0.01", "lr-0.01_alpha-0", "lr-0.01_alpha-1", "lr-0.1", "lr-0.1_alpha-0", "lr-0.1_alpha-1"]
        );
        assert_eq!(grid[0].inits, vec![Initializer::XavierHe, Initializer::Ours]);
        assert_eq!(grid[2].inits, vec![Initializer::OursVariance { alpha: 1.0 }]);
    }
}
