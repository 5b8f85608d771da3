//! `repro summary`: per panel and initializer, mean ± std of the last smoothed loss and of the
//! test accuracy over seeds, the collapsed count, and the paper's numbers beside them
//! (METHOD.md section 5, kept in `experiments/paper.toml`).
//!
//! Honest statistics: every finished seed counts. The loss is reported over all seeds (a diverged
//! seed makes it NaN, shown as such) and, separately, over the seeds that trained.

use crate::nets::Figure;
use crate::results::{panel_dir, panels_with_results, read_csv, SummaryRow, SUMMARY_HEADER};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// Default file of the paper's numbers.
pub const PAPER_FILE: &str = "experiments/paper.toml";

/// The paper's Figure 1 numbers for one panel.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PaperPanel {
    pub figure: String,
    pub table: u32,
    pub ours_loss_mean: f64,
    pub ours_loss_std: f64,
    pub ours_accuracy: f64,
    pub xavier_he_loss_mean: f64,
    pub xavier_he_loss_std: f64,
    pub xavier_he_accuracy: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaperFile {
    panel: Vec<PaperPanel>,
}

/// The paper's numbers as they were when the binary was built.
const BUILT_IN_PAPER: &str = include_str!("../experiments/paper.toml");

/// Reads the paper's numbers; the default path falls back to the built-in copy.
pub fn load_paper(path: &Path) -> Result<Vec<PaperPanel>> {
    let text = if path == Path::new(PAPER_FILE) && !path.exists() {
        BUILT_IN_PAPER.to_string()
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read the paper's numbers {}", path.display()))?
    };
    let file: PaperFile = toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
    Ok(file.panel)
}

/// Mean and sample standard deviation (n − 1); std is NaN for fewer than two values.
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The statistics of one (panel, initializer).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub figure: String,
    pub init: String,
    pub seeds: usize,
    pub collapsed: usize,
    pub loss: (f64, f64),
    pub loss_trained: (f64, f64),
    pub accuracy: (f64, f64),
    pub wall_seconds: f64,
}

/// Groups rows by initializer, in order of first appearance.
pub fn group(rows: &[SummaryRow]) -> Vec<Group> {
    let mut order: Vec<String> = Vec::new();
    let mut by: BTreeMap<String, Vec<&SummaryRow>> = BTreeMap::new();
    for r in rows {
        if !by.contains_key(&r.init) {
            order.push(r.init.clone());
        }
        by.entry(r.init.clone()).or_default().push(r);
    }
    order
        .into_iter()
        .map(|init| {
            let rs = &by[&init];
            let losses: Vec<f64> = rs.iter().map(|r| r.final_smoothed_loss).collect();
            let trained: Vec<f64> = rs.iter().filter(|r| !r.collapsed).map(|r| r.final_smoothed_loss).collect();
            let acc: Vec<f64> = rs.iter().map(|r| r.test_accuracy).collect();
            Group {
                figure: rs[0].figure.clone(),
                init,
                seeds: rs.len(),
                collapsed: rs.iter().filter(|r| r.collapsed).count(),
                loss: mean_std(&losses),
                loss_trained: mean_std(&trained),
                accuracy: mean_std(&acc),
                wall_seconds: rs.iter().map(|r| r.wall_seconds).sum(),
            }
        })
        .collect()
}

fn pm(ms: (f64, f64), digits: usize, scale: f64) -> String {
    if ms.0.is_nan() {
        "NaN".into()
    } else if ms.1.is_nan() {
        format!("{:.*}", digits, ms.0 * scale)
    } else {
        format!("{:.*} ± {:.*}", digits, ms.0 * scale, digits, ms.1 * scale)
    }
}

/// The header of the summary table.
const TABLE_HEADER: &str = "| panel | init | seeds | collapsed | last smoothed loss (all seeds) | (seeds that trained) | test accuracy % | paper: loss | paper: accuracy % | wall time (s, all seeds) |\n\
                            |---|---|---|---|---|---|---|---|---|---|\n";

/// The Markdown table of all panels under `results`.
pub fn markdown(results: &Path, paper: &[PaperPanel]) -> Result<String> {
    Ok(table(&panel_rows(results, paper)?.iter().map(|(_, rows)| rows.as_str()).collect::<Vec<_>>()))
}

/// A Markdown table made of the header and the given panels' rows.
pub fn table(panel_rows: &[&str]) -> String {
    format!("{TABLE_HEADER}{}", panel_rows.concat())
}

/// Per panel under `results`, its rows of the summary table (each summary.csv read once).
pub fn panel_rows(results: &Path, paper: &[PaperPanel]) -> Result<Vec<(Figure, String)>> {
    let panels = panels_with_results(results);
    if panels.is_empty() {
        bail!("no results under {}: no fig1*/summary.csv found; run `repro run --figure 1a` first (or pass --results DIR)", results.display());
    }
    let mut tables = Vec::new();
    for figure in panels {
        let mut out = String::new();
        let rows: Vec<SummaryRow> = read_csv(&panel_dir(results, figure).join("summary.csv"), &SUMMARY_HEADER)?;
        let p = paper.iter().find(|p| p.figure == figure.label());
        for g in group(&rows) {
            let (paper_loss, paper_acc) = match (p, g.init.as_str()) {
                (Some(p), "ours") => (
                    format!("{:.3} ± {:.3}", p.ours_loss_mean, p.ours_loss_std),
                    format!("{:.2}", p.ours_accuracy * 100.0),
                ),
                (Some(p), "xavier-he") => (
                    format!("{:.3} ± {:.3}", p.xavier_he_loss_mean, p.xavier_he_loss_std),
                    format!("{:.2}", p.xavier_he_accuracy * 100.0),
                ),
                _ => ("—".into(), "—".into()),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.0} |\n",
                figure.label(),
                g.init,
                g.seeds,
                g.collapsed,
                pm(g.loss, 3, 1.0),
                if g.collapsed == g.seeds { "—".to_string() } else { pm(g.loss_trained, 3, 1.0) },
                pm(g.accuracy, 2, 100.0),
                paper_loss,
                paper_acc,
                g.wall_seconds
            ));
        }
        tables.push((figure, out));
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_std() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert_eq!((m, s), (2.0, 1.0));
        assert!(mean_std(&[1.0]).1.is_nan());
        assert!(mean_std(&[1.0, f64::NAN]).0.is_nan());
    }

    #[test]
    fn paper_file_holds_the_captions_numbers() {
        let p = load_paper(&Path::new(env!("CARGO_MANIFEST_DIR")).join(PAPER_FILE)).unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[2].figure, "1c");
        assert_eq!((p[2].ours_loss_mean, p[2].xavier_he_loss_mean, p[2].xavier_he_accuracy), (0.088, 0.221, 0.9507));
    }

    #[test]
    fn table_counts_collapsed_seeds_and_sets_paper_numbers_beside() {
        let dir = tempfile::tempdir().unwrap();
        let panel = dir.path().join("fig1c");
        std::fs::create_dir_all(&panel).unwrap();
        std::fs::write(
            panel.join("summary.csv"),
            "figure,init,seed,final_smoothed_loss,test_accuracy,collapsed,wall_seconds\n\
             1c,xavier-he,0,2.30,0.1135,true,10\n1c,xavier-he,1,0.08,0.97,false,10\n1c,xavier-he,2,0.10,0.98,false,10\n\
             1c,ours,0,0.07,0.98,false,10\n",
        )
        .unwrap();
        let paper = load_paper(&Path::new(env!("CARGO_MANIFEST_DIR")).join(PAPER_FILE)).unwrap();
        let md = markdown(dir.path(), &paper).unwrap();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 4, "{md}");
        assert!(
            lines[2].starts_with(
                "| 1c | xavier-he | 3 | 1 | 0.827 ± 1.276 | 0.090 ± 0.014 | 68.78 ± 49.74 | 0.221 ± 0.016 | 95.07 |"
            ),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("| 1c | ours | 1 | 0 | 0.070 | 0.070 | 98.00 | 0.088 ± 0.003 | 97.17 |"),
            "{}",
            lines[3]
        );
    }

    #[test]
    fn empty_results_folder_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let e = markdown(dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains("no results under") && e.contains("repro run"), "{e}");
    }
}
