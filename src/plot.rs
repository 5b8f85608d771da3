//! `repro plot`: the Figure 1 panels and the growth plots, as PNG and SVG, from what `repro run`
//! wrote.
//!
//! Each panel shows the smoothed training loss against the step, one colour per initializer: the
//! mean over the seeds that trained with a shaded band (±1 sample std for ≥ 3 seeds, min–max for
//! fewer; the legend says which), and every collapsed seed as a thin line of the same colour,
//! counted in the legend; a diverged seed's line ends with a cross at its last finite value. The
//! legend gives the last smoothed loss (mean ± std over all seeds) and the mean test accuracy.

use crate::nets::Figure;
use crate::results::{panel_dir, panels_with_results, read_csv, CurveRow, SummaryRow, CURVE_HEADER, SUMMARY_HEADER};
use crate::summary::{group, mean_std};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod growth;
mod sweep;

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Results folder written by `repro run`.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Folder for the figures (created if needed).
    #[arg(long, default_value = "figures")]
    pub out: PathBuf,
    /// Linear loss axis instead of the default log scale.
    #[arg(long)]
    pub linear: bool,
}

pub(crate) const FONT: &str = "sans-serif";
const WIDTH: u32 = 900;
const HEIGHT: u32 = 620;

/// The colour of an initializer (stable across panels).
fn colour(init: &str) -> RGBColor {
    match init {
        "xavier-he" => RGBColor(214, 39, 40),
        "ours" => RGBColor(31, 119, 180),
        "ours-variance" => RGBColor(44, 160, 44),
        _ => RGBColor(148, 103, 189),
    }
}

/// One seed's smoothed curve.
#[derive(Debug, Clone)]
struct SeedCurve {
    points: Vec<(f64, f64)>,
    diverged: bool,
}

/// One initializer's runs on a panel.
#[derive(Debug, Clone)]
struct InitRuns {
    init: String,
    trained: Vec<SeedCurve>,
    collapsed: Vec<SeedCurve>,
    loss: (f64, f64),
    accuracy: f64,
}

/// What a panel plot needs.
#[derive(Debug, Clone)]
struct PanelData {
    figure: Figure,
    inits: Vec<InitRuns>,
}

fn load_panel(results: &Path, figure: Figure) -> Result<PanelData> {
    let dir = panel_dir(results, figure);
    let summary: Vec<SummaryRow> = read_csv(&dir.join("summary.csv"), &SUMMARY_HEADER)?;
    let curves: Vec<CurveRow> = read_csv(&dir.join("curves.csv"), &CURVE_HEADER)?;
    let mut by_run: BTreeMap<(String, i64), Vec<(f64, f64)>> = BTreeMap::new();
    for c in curves {
        by_run.entry((c.init, c.seed)).or_default().push((c.step as f64, c.smoothed_loss));
    }
    let mut inits = Vec::new();
    for g in group(&summary) {
        let mut runs =
            InitRuns { init: g.init.clone(), trained: vec![], collapsed: vec![], loss: g.loss, accuracy: g.accuracy.0 };
        for row in summary.iter().filter(|r| r.init == g.init) {
            let Some(points) = by_run.remove(&(row.init.clone(), row.seed)) else {
                eprintln!(
                    "warning: {}: no curve for {} seed {} in curves.csv; not drawn",
                    dir.display(),
                    row.init,
                    row.seed
                );
                continue;
            };
            let diverged = points.iter().any(|p| !p.1.is_finite());
            let curve = SeedCurve { points, diverged };
            if row.collapsed {
                runs.collapsed.push(curve);
            } else {
                runs.trained.push(curve);
            }
        }
        inits.push(runs);
    }
    for (init, seed) in by_run.keys() {
        eprintln!("warning: {}: curve of {init} seed {seed} has no row in summary.csv; not drawn", dir.display());
    }
    if inits.is_empty() {
        bail!("{}: summary.csv has no valid rows; rerun `repro run --figure {}`", dir.display(), figure.label());
    }
    Ok(PanelData { figure, inits })
}

/// Mean curve `(step, mean)`, band `(step, low, high)` and the band's name for the legend.
type MeanBand = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>, &'static str);

/// Mean curve and band (±1 std for ≥ 3 seeds, else min–max) over equally long curves.
fn mean_band(curves: &[SeedCurve]) -> MeanBand {
    let len = curves.iter().map(|c| c.points.len()).min().unwrap_or(0);
    let use_std = curves.len() >= 3;
    let mut mean = Vec::with_capacity(len);
    let mut band = Vec::with_capacity(len);
    for i in 0..len {
        let vals: Vec<f64> = curves.iter().map(|c| c.points[i].1).collect();
        let (m, s) = mean_std(&vals);
        let x = curves[0].points[i].0;
        let (lo, hi) = if use_std {
            (m - s, m + s)
        } else {
            (vals.iter().cloned().fold(f64::INFINITY, f64::min), vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max))
        };
        mean.push((x, m));
        band.push((x, lo, hi));
    }
    (mean, band, if use_std { "band ±1 std" } else { "band min–max" })
}

/// A compact tick label: 0.6 rather than 0.6000000001.
pub(crate) fn tick_label(y: f64) -> String {
    let s = if y.abs() >= 10.0 { format!("{y:.0}") } else { format!("{y:.3}") };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub(crate) fn finite_positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// y range over every drawn value: all finite (positive, for log scale) smoothed losses.
fn y_range(data: &PanelData, linear: bool) -> (f64, f64) {
    let vals =
        data.inits.iter().flat_map(|r| r.trained.iter().chain(&r.collapsed)).flat_map(|c| c.points.iter().map(|p| p.1));
    let vals: Vec<f64> = vals.filter(|v| if linear { v.is_finite() } else { finite_positive(*v) }).collect();
    let lo = vals.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max).min(20.0);
    if !lo.is_finite() || !hi.is_finite() {
        return (0.01, 10.0);
    }
    // Headroom above the curves for the legend (upper right), which would otherwise hide the
    // collapsed runs that sit at ln 10 ≈ 2.3 across the whole panel.
    if linear {
        (0.0, hi * 1.8)
    } else {
        // At least 0.04 … 12 so that every panel spans more than a decade and shows its ticks.
        ((lo * 0.8).min(0.04), (hi * 1.25).max(3.0) * 4.0)
    }
}

pub(crate) fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

/// Draws one panel into `area`.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &PanelData,
    linear: bool,
    scale: f64,
) -> Result<()> {
    let x_max =
        data.inits.iter().flat_map(|r| r.trained.iter().chain(&r.collapsed)).map(|c| c.points.len()).max().unwrap_or(1)
            as f64;
    let (y0, y1) = y_range(data, linear);
    let font = |s: f64| (FONT, s * scale);
    let caption = format!("({}) Figure {}: {}", &data.figure.label()[1..], data.figure.label(), data.figure.title());
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(caption, font(22.0))
        .margin((10.0 * scale) as u32)
        .x_label_area_size((45.0 * scale) as u32)
        .y_label_area_size((75.0 * scale) as u32);
    // The two scales have different coordinate types; the drawing itself is the same.
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc("step")
                .x_label_formatter(&|x| format!("{x:.0}"))
                .y_label_formatter(&|y| tick_label(*y))
                .y_desc(if linear { "smoothed training loss" } else { "smoothed training loss (log scale)" })
                .label_style(font(15.0))
                .axis_desc_style(font(16.0))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(err)?;
            for (k, runs) in data.inits.iter().enumerate() {
                let c = colour(&runs.init);
                // Later initializers are drawn thinner, so that identical curves (panel 1a, where
                // every reading equals xavier-he) stay visible as nested strokes.
                let width = ([4.0, 3.0, 2.0][k.min(2)] * scale).max(2.0) as u32;
                let clip = |v: f64| v.clamp(y0, y1);
                let ok = |v: f64| if linear { v.is_finite() } else { finite_positive(v) };
                if !runs.trained.is_empty() {
                    let (mean, band, band_kind) = mean_band(&runs.trained);
                    let mut poly: Vec<(f64, f64)> = band.iter().filter(|b| ok(b.2)).map(|b| (b.0, clip(b.2))).collect();
                    poly.extend(
                        band.iter()
                            .rev()
                            .filter(|b| ok(b.1) || !linear)
                            .map(|b| (b.0, clip(if ok(b.1) { b.1 } else { y0 }))),
                    );
                    chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled()))).map_err(err)?;
                    let n = runs.trained.len() + runs.collapsed.len();
                    let loss = if runs.loss.1.is_nan() {
                        format!("{:.3}", runs.loss.0)
                    } else {
                        format!("{:.3} ± {:.3}", runs.loss.0, runs.loss.1)
                    };
                    let label = format!(
                        "{}: loss {loss}, acc {:.2} % (all {n} seeds); curve: mean of {} trained, {band_kind}",
                        runs.init,
                        runs.accuracy * 100.0,
                        runs.trained.len(),
                    );
                    chart
                        .draw_series(LineSeries::new(mean.into_iter().filter(|p| ok(p.1)), c.stroke_width(width)))
                        .map_err(err)?
                        .label(label)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3)));
                }
                for (i, run) in runs.collapsed.iter().enumerate() {
                    let pts: Vec<(f64, f64)> =
                        run.points.iter().cloned().filter(|p| ok(p.1)).map(|(x, y)| (x, clip(y))).collect();
                    let series =
                        chart.draw_series(LineSeries::new(pts.clone(), c.mix(0.8).stroke_width(1))).map_err(err)?;
                    if i == 0 {
                        let label = if runs.trained.is_empty() {
                            format!(
                                "{}: {n}/{n} seeds collapsed (thin lines), loss {:.3}; acc {:.2} %",
                                runs.init,
                                runs.loss.0,
                                runs.accuracy * 100.0,
                                n = runs.collapsed.len()
                            )
                        } else {
                            format!("{}: {} collapsed seed(s) (thin lines)", runs.init, runs.collapsed.len())
                        };
                        series
                            .label(label)
                            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(1)));
                    }
                    if run.diverged {
                        if let Some(&last) = pts.last() {
                            chart.draw_series(std::iter::once(Cross::new(last, 6, c.stroke_width(2)))).map_err(err)?;
                        }
                    }
                }
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .label_font(font(14.0))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .draw()
                .map_err(err)?;
        }};
    }
    if linear {
        draw!(builder.build_cartesian_2d(0f64..x_max, y0..y1).map_err(err)?);
    } else {
        draw!(builder.build_cartesian_2d(0f64..x_max, (y0..y1).log_scale()).map_err(err)?);
    }
    Ok(())
}

/// Makes the bundled font known to the bitmap backend (once).
fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, include_bytes!("../assets/DejaVuSans.ttf"));
    });
}

/// Something drawn onto a drawing area, whatever the backend.
pub(crate) trait Drawing {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Draws `what` into `<stem>.png` and `<stem>.svg`.
pub(crate) fn render<D: Drawing>(stem: &Path, size: (u32, u32), what: &D) -> Result<()> {
    let png = stem.with_extension("png");
    let svg = stem.with_extension("svg");
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        what.draw(&root)?;
        root.present().map_err(|e| anyhow!("cannot write {}: {e:?}", png.display()))?;
    }
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        what.draw(&root)?;
        root.present().map_err(|e| anyhow!("cannot write {}: {e:?}", svg.display()))?;
    }
    println!("wrote {} and {}", png.display(), svg.display());
    Ok(())
}

/// One panel of Figure 1.
struct PanelPlot<'a> {
    data: &'a PanelData,
    linear: bool,
}

impl Drawing for PanelPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        draw_panel(root, self.data, self.linear, 1.0)
    }
}

/// The 2 × 2 composite laid out like the paper's Figure 1.
struct Figure1<'a> {
    panels: &'a [PanelData],
    linear: bool,
}

impl Drawing for Figure1<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let areas = root.split_evenly((2, 2));
        for figure in Figure::ALL {
            let area = &areas[figure as usize];
            match self.panels.iter().find(|p| p.figure == figure) {
                Some(data) => draw_panel(area, data, self.linear, 1.0)?,
                None => {
                    area.draw(&Text::new(format!("({}) no results yet", &figure.label()[1..]), (40, 40), (FONT, 22)))
                        .map_err(err)?;
                }
            }
        }
        Ok(())
    }
}

/// `repro plot`.
pub fn plot(args: PlotArgs) -> Result<()> {
    register_font();
    if !args.results.is_dir() {
        bail!("--results {}: folder not found; run `repro run --figure 1a` first", args.results.display());
    }
    std::fs::create_dir_all(&args.out).map_err(|e| {
        anyhow!("--out {}: cannot create the folder ({e}); choose a writable --out", args.out.display())
    })?;
    let sweeps = sweep::plot_sweeps(&args.results, &args.out)?;
    let figures = panels_with_results(&args.results);
    if figures.is_empty() {
        if sweeps > 0 {
            return Ok(());
        }
        bail!("no results under {}: no fig1*/summary.csv found; run `repro run --figure 1a` first (or pass --results DIR)", args.results.display());
    }
    for f in Figure::ALL.iter().filter(|f| !figures.contains(f)) {
        eprintln!("note: no results for panel {f}; skipped");
    }
    let mut panels = Vec::new();
    for &figure in &figures {
        let data = load_panel(&args.results, figure)?;
        render(
            &args.out.join(format!("fig{}", figure.label())),
            (WIDTH, HEIGHT),
            &PanelPlot { data: &data, linear: args.linear },
        )?;
        growth::plot_growth(&args.results, figure, &args.out)?;
        panels.push(data);
    }
    render(&args.out.join("figure1"), (2 * WIDTH, 2 * HEIGHT), &Figure1 { panels: &panels, linear: args.linear })?;
    Ok(())
}
