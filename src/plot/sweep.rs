//! Sweep heatmaps: for each initializer (and each α of ours-variance) against the learning rate,
//! the mean last smoothed loss over seeds and the fraction of seeds that collapsed, so that the
//! stable region of each method is visible at a glance.

use super::{err, render, Drawing, FONT};
use crate::results::read_csv;
use crate::summary::mean_std;
use crate::sweep::{SweepRow, SWEEP_HEADER};
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The grid of one sweep: row labels (initializer, α), column learning rates, per cell the rows.
struct Grid {
    name: String,
    figure: String,
    rows: Vec<(String, Option<f64>)>,
    lrs: Vec<f64>,
    cells: Vec<Vec<Vec<SweepRow>>>,
}

fn grid(name: &str, data: Vec<SweepRow>) -> Grid {
    let mut rows: Vec<(String, Option<f64>)> = Vec::new();
    let mut lrs: Vec<f64> = Vec::new();
    for r in &data {
        let key = (r.init.clone(), r.alpha);
        if !rows.contains(&key) {
            rows.push(key);
        }
        if !lrs.contains(&r.lr) {
            lrs.push(r.lr);
        }
    }
    rows.sort_by(|a, b| {
        let rank = |i: &str| crate::init::ALL_INIT_NAMES.iter().position(|n| *n == i).unwrap_or(99);
        (rank(&a.0), a.1.unwrap_or(0.0)).partial_cmp(&(rank(&b.0), b.1.unwrap_or(0.0))).unwrap()
    });
    lrs.sort_by(|a, b| a.total_cmp(b));
    let mut cells = vec![vec![Vec::new(); lrs.len()]; rows.len()];
    let figure = data.first().map(|r| r.figure.clone()).unwrap_or_default();
    for r in data {
        let i = rows.iter().position(|k| k.0 == r.init && k.1 == r.alpha).unwrap();
        let j = lrs.iter().position(|l| *l == r.lr).unwrap();
        cells[i][j].push(r);
    }
    Grid { name: name.to_string(), figure, rows, lrs, cells }
}

/// White → red as t goes 0 → 1 (t clamped).
fn heat(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    RGBColor(255, (255.0 - 190.0 * t) as u8, (255.0 - 215.0 * t) as u8)
}

/// Which statistic a heatmap shows.
#[derive(Clone, Copy)]
enum Stat {
    MeanLoss,
    CollapseRate,
}

fn draw_heatmap<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, g: &Grid, stat: Stat) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let (left, top, bottom) = (190i32, 60i32, 60i32);
    let cw = (w as i32 - left - 20) / g.lrs.len().max(1) as i32;
    let ch = ((h as i32 - top - bottom) / g.rows.len().max(1) as i32).min(60);
    let which = if g.name == g.figure { g.figure.clone() } else { format!("{} (sweep {})", g.figure, g.name) };
    let title = match stat {
        Stat::MeanLoss => format!("{which}: mean last smoothed loss over seeds"),
        Stat::CollapseRate => format!("{which}: collapsed seeds / seeds"),
    };
    area.draw(&Text::new(title, (left, 20), (FONT, 20))).map_err(err)?;
    // Loss colour scale: log between the best and the chance-level loss ln 10.
    let lo = g
        .cells
        .iter()
        .flatten()
        .map(|c| mean_std(&c.iter().map(|r| r.final_smoothed_loss).collect::<Vec<_>>()).0)
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let hi = 10f64.ln().max(lo * 1.01);
    for (i, row) in g.rows.iter().enumerate() {
        let y = top + i as i32 * ch;
        let label = match row.1 {
            Some(a) => format!("{} α={a}", row.0),
            None => row.0.clone(),
        };
        area.draw(&Text::new(label, (10, y + ch / 2 - 8), (FONT, 16))).map_err(err)?;
        for (j, runs) in g.cells[i].iter().enumerate() {
            let x = left + j as i32 * cw;
            let (fill, text) = if runs.is_empty() {
                (RGBColor(230, 230, 230), "—".to_string())
            } else {
                match stat {
                    Stat::MeanLoss => {
                        let m = mean_std(&runs.iter().map(|r| r.final_smoothed_loss).collect::<Vec<_>>()).0;
                        if m.is_finite() {
                            (heat((m.ln() - lo.ln()) / (hi.ln() - lo.ln())), format!("{m:.3}"))
                        } else {
                            (RGBColor(120, 120, 120), "NaN".to_string())
                        }
                    }
                    Stat::CollapseRate => {
                        let k = runs.iter().filter(|r| r.collapsed).count();
                        (heat(k as f64 / runs.len() as f64), format!("{k}/{}", runs.len()))
                    }
                }
            };
            area.draw(&Rectangle::new([(x, y), (x + cw - 2, y + ch - 2)], fill.filled())).map_err(err)?;
            area.draw(&Text::new(text, (x + cw / 2 - 22, y + ch / 2 - 8), (FONT, 16))).map_err(err)?;
        }
    }
    let y = top + g.rows.len() as i32 * ch + 8;
    for (j, lr) in g.lrs.iter().enumerate() {
        area.draw(&Text::new(format!("lr {lr}"), (left + j as i32 * cw + cw / 2 - 28, y), (FONT, 16))).map_err(err)?;
    }
    Ok(())
}

struct SweepPlot<'a>(&'a Grid);

impl Drawing for SweepPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let halves = root.split_evenly((1, 2));
        draw_heatmap(&halves[0], self.0, Stat::MeanLoss)?;
        draw_heatmap(&halves[1], self.0, Stat::CollapseRate)
    }
}

/// Draws `figures/sweep-<name>.png|svg` for every `<results>/sweeps/<name>/sweep.csv`.
pub fn plot_sweeps(results: &Path, out: &Path) -> Result<usize> {
    let dir = results.join("sweeps");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(0) };
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().to_string()).collect();
    names.sort();
    let mut drawn = 0;
    for name in names {
        let path = dir.join(&name).join("sweep.csv");
        if !path.is_file() {
            continue;
        }
        let rows: Vec<SweepRow> = read_csv(&path, &SWEEP_HEADER)?;
        if rows.is_empty() {
            eprintln!("note: {} has no rows; sweep plot skipped", path.display());
            continue;
        }
        let g = grid(&name, rows);
        let height = 60 + 60 * g.rows.len() as u32 + 80;
        render(&out.join(format!("sweep-{name}")), (1500, height.max(300)), &SweepPlot(&g))?;
        drawn += 1;
    }
    Ok(drawn)
}
