//! Growth plots: each layer's relative growth in the paper's norm, ‖θ_t − θ_0‖_T / ‖θ_0‖_T, against
//! the step (mean over seeds), one sub-plot per initializer (METHOD.md section 3, "Growth, measured").

use super::{err, finite_positive, render, tick_label, Drawing, FONT};
use crate::nets::Figure;
use crate::results::{panel_dir, read_csv, GrowthRow, GROWTH_HEADER};
use crate::summary::mean_std;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// A panel's growth plots, one per initializer side by side.
struct GrowthPlot<'a> {
    figure: Figure,
    rows: &'a [GrowthRow],
    inits: &'a [String],
    layers: &'a [String],
}

impl Drawing for GrowthPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        for (area, init) in root.split_evenly((1, self.inits.len())).iter().zip(self.inits) {
            draw_growth(area, self.figure, init, self.rows, self.layers)?;
        }
        Ok(())
    }
}

/// Per layer and step, the mean relative growth over seeds, for one initializer.
fn growth_series(rows: &[GrowthRow], init: &str) -> BTreeMap<String, Vec<(f64, f64)>> {
    let mut acc: BTreeMap<(String, i64), Vec<f64>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.init == init) {
        acc.entry((r.layer.clone(), r.step)).or_default().push(r.relative_growth);
    }
    let mut out: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for ((layer, step), vals) in acc {
        out.entry(layer).or_default().push((step as f64, mean_std(&vals).0));
    }
    out
}

const LAYER_COLOURS: [RGBColor; 7] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

/// One growth sub-plot: each layer's relative growth ‖θ_t − θ_0‖_T / ‖θ_0‖_T (log scale).
fn draw_growth<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    figure: Figure,
    init: &str,
    rows: &[GrowthRow],
    layer_order: &[String],
) -> Result<()> {
    let series = growth_series(rows, init);
    let vals: Vec<f64> = series.values().flatten().map(|p| p.1).filter(|v| finite_positive(*v)).collect();
    let lo = vals.iter().cloned().fold(f64::INFINITY, f64::min).max(1e-6);
    let hi = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if hi.is_finite() && lo < hi { (lo * 0.8, hi * 1.25) } else { (1e-4, 10.0) };
    let x_max = series.values().flatten().map(|p| p.0).fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{figure} {init}: relative growth in ‖·‖_T"), (FONT, 18))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x_max, (lo..hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| tick_label(*y))
        .y_desc("relative growth ‖θ_t − θ_0‖_T / ‖θ_0‖_T")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    for (i, layer) in layer_order.iter().enumerate() {
        let Some(points) = series.get(layer) else { continue };
        let c = LAYER_COLOURS[i % LAYER_COLOURS.len()];
        chart
            .draw_series(LineSeries::new(points.iter().cloned().filter(|p| finite_positive(p.1)), c.stroke_width(2)))
            .map_err(err)?
            .label(layer.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FONT, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(err)?;
    Ok(())
}

pub fn plot_growth(results: &Path, figure: Figure, out: &Path) -> Result<()> {
    let path = panel_dir(results, figure).join("growth.csv");
    if !path.is_file() {
        eprintln!("note: {} not found; growth plot of {figure} skipped", path.display());
        return Ok(());
    }
    let rows: Vec<GrowthRow> = read_csv(&path, &GROWTH_HEADER)?;
    let mut inits: Vec<String> = Vec::new();
    let mut layers: Vec<String> = Vec::new();
    for r in &rows {
        if !inits.contains(&r.init) {
            inits.push(r.init.clone());
        }
        if !layers.contains(&r.layer) {
            layers.push(r.layer.clone());
        }
    }
    if inits.is_empty() {
        eprintln!("note: {} has no rows; growth plot of {figure} skipped", path.display());
        return Ok(());
    }
    let width = 560 * inits.len() as u32;
    let stem = out.join(format!("growth-{}", figure.label()));
    render(&stem, (width, 460), &GrowthPlot { figure, rows: &rows, inits: &inits, layers: &layers })
}
