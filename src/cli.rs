//! The command line: `repro run | summary | plot | describe | bench`.

use crate::experiment::{self, parse_device, Plan};
use crate::init::{Initializer, ALL_INIT_NAMES};
use crate::nets::{Figure, Net};
use crate::protocol::{Protocol, DEFAULT_CONFIG};
use crate::{bench, plot, summary, sweep};
use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use tch::Device;

const INIT_HELP: &str = "\
Initializers (METHOD.md section 3; biases start at zero):
  xavier-he      the baseline: He normal N(0, 2/fan_in) for layers followed by ReLU, Xavier normal
                 N(0, 2/(fan_in+fan_out)) for the output layer; a structured layer uses the fans of
                 the dense operator it stands for.
  ours           RECONSTRUCTION of the paper's principle (its formula, eq. (6), is not available):
                 a structured layer of multiplicity r (each parameter used r times) computes
                 T(θ)/√r and draws θ with √r times the baseline std. The effective weights start
                 exactly as under xavier-he, and an SGD step grows the layer in the paper's norm
                 ‖θ‖_T = ‖T(θ)‖_F as much as an unshared layer (for SGD: that layer's learning rate
                 divided by r; the \"equalized learning rate\" of Karras et al. 2018, per layer by
                 multiplicity). Reported as the paper's method: it is the reading consistent with
                 the paper's outcome.
  ours-variance  RECONSTRUCTION, the pure-initialization reading (an ablation): no multiplier,
                 Var = Var_xavier-he · r^(−α), α = 0.5 by default (--alpha; α = 0 is xavier-he).
Both readings equal xavier-he on panel 1a (every r = 1), the control panel.
Comparison rows (not run by default): orthogonal (Saxe et al. 2014: the dense operator is He gain ×
a semi-orthogonal matrix; for circulant layers per DFT bin) and lsuv (Mishkin & Matas 2016:
orthogonal, then each layer rescaled to unit output variance on one training batch).";

/// Reproduces Figure 1 of "A new initialization method based on normed statistical spaces in deep
/// networks" on MNIST: Xavier/He against the paper's norm-based initialization for layers that share
/// parameters (circulant and periodic layers).
#[derive(Parser, Debug)]
#[command(name = "repro", version, about, long_about = None, after_help = INIT_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a panel's network with each initializer, seed by seed; write curves, growth and summary.
    #[command(after_help = INIT_HELP)]
    Run(RunArgs),
    /// Print mean ± std per panel and initializer beside the paper's numbers; write summary.md.
    Summary(SummaryArgs),
    /// Draw the Figure 1 panels and the growth plots (PNG and SVG).
    Plot(plot::PlotArgs),
    /// Describe a panel's network: layers, shapes, parameters, fans, multiplicity, init stds.
    #[command(after_help = INIT_HELP)]
    Describe(DescribeArgs),
    /// Measure speed: training steps/s of repro vs a PyTorch reference, FFT vs dense layers.
    Bench(bench::BenchArgs),
    /// Run a panel over learning rates × α (ours-variance): where each initializer works.
    #[command(after_help = INIT_HELP)]
    Sweep(sweep::SweepArgs),
}

pub(crate) fn parse_positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) => Err(format!("must be a number > 0, got {v}")),
        Err(_) => Err(format!("'{s}' is not a number")),
    }
}

pub(crate) fn parse_nonnegative_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) => Err(format!("must be a number ≥ 0, got {v}")),
        Err(_) => Err(format!("'{s}' is not a number")),
    }
}

/// Flags shared by `run` (and `sweep`): what to train and where the data and results live.
#[derive(Args, Debug, Clone)]
pub struct TrainingArgs {
    /// Initializers to compare, comma-separated: xavier-he, ours, ours-variance (and the comparison
    /// rows orthogonal, lsuv).
    #[arg(long, value_delimiter = ',', default_value = "xavier-he,ours,ours-variance")]
    pub inits: Vec<String>,
    /// Number of seeds: seeds 0 … N−1. Seed k fixes the initial weights and the data order,
    /// identically for every initializer.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub seeds: u32,
    /// Explicit seeds instead of --seeds, comma-separated (e.g. 3,7).
    #[arg(long, value_delimiter = ',', conflicts_with = "seeds")]
    pub seed_list: Option<Vec<u32>>,
    /// Epochs of training [protocol file: epochs = 1].
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Option<u32>,
    /// Train exactly N steps instead of whole epochs [protocol file: steps = 0, i.e. use epochs].
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "epochs")]
    pub steps: Option<u32>,
    /// Mini-batch size [protocol file: 64].
    #[arg(long, allow_negative_numbers = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// SGD momentum in [0, 1) [protocol file: 0.9].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_nonnegative_f64)]
    pub momentum: Option<f64>,
    /// Device: auto (CUDA when libtorch sees one, else CPU), cpu, cuda, or cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Folder with the four MNIST IDX files (`make data` fills data/mnist).
    #[arg(long, default_value = "data/mnist")]
    pub data: PathBuf,
    /// Protocol file (TOML); the flags above override its values.
    #[arg(long, default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// Redo runs that are already finished (otherwise a rerun skips them).
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Panel of Figure 1: 1a, 1b, 1c, 1d, or all.
    #[arg(long)]
    pub figure: String,
    /// SGD learning rate [protocol file: 0.01].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_positive_f64)]
    pub lr: Option<f64>,
    /// Exponent α of ours-variance: Var = Var_xavier-he · r^(−α) [protocol file: 0.5].
    #[arg(long, allow_negative_numbers = true, value_parser = parse_nonnegative_f64)]
    pub alpha: Option<f64>,
    /// Results folder; panel outputs go to <out>/fig1c/ etc.
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    #[command(flatten)]
    pub training: TrainingArgs,
}

#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// Results folder written by `repro run`.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// The paper's numbers (TOML).
    #[arg(long, default_value = summary::PAPER_FILE)]
    pub paper: PathBuf,
}

#[derive(Args, Debug)]
pub struct DescribeArgs {
    /// Panel of Figure 1: 1a, 1b, 1c, 1d, or all.
    #[arg(long)]
    pub figure: String,
    /// Exponent α of ours-variance.
    #[arg(long, default_value_t = 0.5, value_parser = parse_nonnegative_f64)]
    pub alpha: f64,
}

impl TrainingArgs {
    /// The protocol: the file, then the flags; validated.
    pub fn protocol(&self, lr: Option<f64>, alpha: Option<f64>) -> Result<Protocol> {
        let mut p = Protocol::load(&self.config)?;
        if let Some(v) = lr {
            p.learning_rate = v;
        }
        if let Some(v) = alpha {
            p.alpha = v;
        }
        if let Some(v) = self.momentum {
            p.momentum = v;
        }
        if let Some(v) = self.batch_size {
            p.batch_size = v as i64;
        }
        if let Some(v) = self.epochs {
            p.epochs = v as i64;
            p.steps = 0;
        }
        if let Some(v) = self.steps {
            p.steps = v as i64;
        }
        p.validate()?;
        Ok(p)
    }

    /// The seeds to run.
    pub fn seed_values(&self) -> Vec<i64> {
        match &self.seed_list {
            Some(list) => list.iter().map(|&s| s as i64).collect(),
            None => (0..self.seeds as i64).collect(),
        }
    }

    /// The initializers, parsed (`alpha` for ours-variance).
    pub fn initializers(&self, alpha: f64) -> Result<Vec<Initializer>> {
        if self.inits.is_empty() {
            bail!("--inits is empty; valid: {}", ALL_INIT_NAMES.join(", "));
        }
        self.inits.iter().map(|n| Initializer::parse(n, alpha)).collect()
    }

    pub fn device(&self) -> Result<Device> {
        parse_device(&self.device)
    }
}

fn run(args: RunArgs) -> Result<()> {
    let figures = Figure::parse_list(&args.figure)?;
    let protocol = args.training.protocol(args.lr, args.alpha)?;
    let plan = Plan {
        figures,
        inits: args.training.initializers(protocol.alpha)?,
        seeds: args.training.seed_values(),
        device: args.training.device()?,
        protocol,
        data_dir: args.training.data.clone(),
        out: args.out,
        force: args.training.force,
        quiet: args.training.quiet,
    };
    let started = std::time::Instant::now();
    let n = experiment::run(&plan)?;
    println!("{n} run(s) trained in {:.0} s; results in {}", started.elapsed().as_secs_f64(), plan.out.display());
    Ok(())
}

fn describe(args: DescribeArgs) -> Result<()> {
    let inits = [Initializer::XavierHe, Initializer::Ours, Initializer::OursVariance { alpha: args.alpha }];
    for figure in Figure::parse_list(&args.figure)? {
        let net = Net::new(figure, Device::Cpu);
        println!("Figure {} (Table {}): {}", figure.label(), figure.table(), figure.title());
        println!(
            "{:<11} {:<22} {:>12} {:>8} {:>7} {:>7} {:>5} {:>10} {:>10} {:>12} {:>11}",
            "layer",
            "kind",
            "output",
            "params",
            "fan_in",
            "fan_out",
            "r",
            "std x/he",
            "std ours",
            "mult ours",
            "std ours-v"
        );
        for (layer, shape) in net.layers.iter().zip(net.output_shapes()) {
            let (fan_in, fan_out) = layer.op.fans();
            let shape = shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×");
            println!(
                "{:<11} {:<22} {:>12} {:>8} {:>7} {:>7} {:>5} {:>10.5} {:>10.5} {:>12.6} {:>11.5}",
                layer.name,
                layer.op.kind(),
                shape,
                layer.parameter_count(),
                fan_in,
                fan_out,
                layer.op.multiplicity(),
                inits[0].parameter_std(&layer.op, layer.relu),
                inits[1].parameter_std(&layer.op, layer.relu),
                inits[1].multiplier(&layer.op),
                inits[2].parameter_std(&layer.op, layer.relu),
            );
        }
        println!("total parameters: {}\n", net.parameter_count());
    }
    println!("std columns: standard deviation of the stored parameters θ; `ours` multiplies θ by");
    println!("`mult ours` in the forward pass, so its effective std equals the xavier-he column.");
    Ok(())
}

fn summarize(args: SummaryArgs) -> Result<()> {
    let paper = summary::load_paper(&args.paper)?;
    let panels = summary::panel_rows(&args.results, &paper)?;
    let all = summary::table(&panels.iter().map(|(_, rows)| rows.as_str()).collect::<Vec<_>>());
    print!("{all}");
    let intro = "Last smoothed loss (EMA β = 0.98) and test accuracy, mean ± sample std over seeds; \
                 'collapsed' counts seeds whose loss became NaN/inf or that ended at chance level (see README).";
    let mut documents =
        vec![(args.results.join("summary.md"), format!("# Summary of {}", args.results.display()), all)];
    for (figure, rows) in &panels {
        let path = crate::results::panel_dir(&args.results, *figure).join("summary.md");
        documents.push((path, format!("# Figure {figure}: {}", figure.title()), summary::table(&[rows])));
    }
    for (path, title, table) in &documents {
        crate::results::write_atomic(path, format!("{title}\n\n{intro}\n\n{table}").as_bytes())?;
    }
    let names: Vec<String> = documents.iter().map(|(p, _, _)| p.display().to_string()).collect();
    eprintln!("wrote {}", names.join(", "));
    Ok(())
}

/// Parses the command line and runs the command.
pub fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(a) => run(a),
        Command::Summary(a) => summarize(a),
        Command::Plot(a) => plot::plot(a),
        Command::Describe(a) => describe(a),
        Command::Bench(a) => bench::bench(a),
        Command::Sweep(a) => sweep::sweep(a),
    }
}
