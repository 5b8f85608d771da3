//! `repro bench`: speed, measured (never asserted in tests).
//!
//! 1. Structured layers: forward + backward time of the FFT path and of the dense reference
//!    (the expansion of the same parameters), at the panel shapes and batch 64, and their ratio.
//! 2. Training steps per second of each panel's network: `repro`'s step (batch gather, forward,
//!    cross-entropy, backward, SGD with momentum, reading the loss) against the same step in
//!    PyTorch eager (`scripts/bench_reference.py`, run with the project's `.venv` python, the same
//!    threads and device), and their ratio.

use crate::experiment::{device_name, parse_device};
use crate::init::Initializer;
use crate::layers::{ChannelCirculantConv2d, CirculantLinear, Op, PeriodicConv2d};
use crate::nets::{Figure, Net};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Panels to time: 1a, 1b, 1c, 1d, or all.
    #[arg(long, default_value = "all")]
    pub figure: String,
    /// Timed training steps per panel (after --warmup untimed ones).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    pub steps: u32,
    /// Untimed warm-up steps per panel.
    #[arg(long, default_value_t = 5)]
    pub warmup: u32,
    /// Device: auto, cpu, cuda, cuda:N.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// CPU threads for libtorch (0: its default, the number of cores).
    #[arg(long, default_value_t = 0)]
    pub threads: i32,
    /// Python with torch for the PyTorch reference [default: .venv/bin/python of the source tree].
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Skip the PyTorch reference (time repro alone).
    #[arg(long)]
    pub no_pytorch: bool,
    /// Skip the structured-layer table.
    #[arg(long)]
    pub no_layers: bool,
}

fn sync(device: Device) {
    if let Device::Cuda(_) = device {
        tch::Cuda::synchronize(0);
    }
}

/// Median seconds of `f` over `reps` calls after `warmup` calls.
fn time_median(device: Device, warmup: u32, reps: u32, mut f: impl FnMut()) -> f64 {
    for _ in 0..warmup {
        f();
    }
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            sync(device);
            let t = Instant::now();
            f();
            sync(device);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

/// The three structured layers at their panel shapes, with their input shapes at batch 64.
pub fn panel_layers() -> Vec<(&'static str, Op, Vec<i64>)> {
    vec![
        (
            "1b periodic conv 55×55 on 56×56",
            Op::Periodic(PeriodicConv2d { c_in: 1, c_out: 1, kernel: 55, height: 56, width: 56 }),
            vec![64, 1, 56, 56],
        ),
        (
            "1c circulant FC 3136→1568, B=1568",
            Op::Circulant(CirculantLinear { input: 3136, output: 1568, block: 1568 }),
            vec![64, 3136],
        ),
        (
            "1d channel-circ. conv 256→256, B=256",
            Op::ChannelCirculant(ChannelCirculantConv2d { c_in: 256, c_out: 256, kernel: 3, block: 256, padding: 1 }),
            vec![64, 256, 7, 7],
        ),
    ]
}

/// Forward + backward seconds of the FFT path and of the dense reference for one layer.
pub fn time_layer(op: &Op, input: &[i64], device: Device, reps: u32) -> (f64, f64) {
    let w = (Tensor::randn(op.weight_shape(), (Kind::Float, device)) * 0.01).set_requires_grad(true);
    let x = Tensor::randn(input, (Kind::Float, device)).set_requires_grad(true);
    let pass = |dense: bool| {
        let y = if dense { op.apply_dense(&x, &w) } else { op.apply(&x, &w) };
        let _ = Tensor::run_backward(&[y.square().sum(Kind::Float)], &[&x, &w], false, false);
    };
    let fft = time_median(device, 3, reps, || pass(false));
    let dense = time_median(device, 3, reps, || pass(true));
    (fft, dense)
}

/// Training steps per second of `repro`'s step on one panel (random data of MNIST's shape).
pub fn repro_steps_per_second(figure: Figure, device: Device, warmup: u32, steps: u32) -> f64 {
    let mut net = Net::new(figure, device);
    Initializer::Ours.apply(&mut net.layers, 0);
    let mut opt = nn::Sgd { momentum: 0.9, ..Default::default() }.build(&net.vs, 0.01).expect("SGD");
    let images = Tensor::rand([60_000, 1, 28, 28], (Kind::Float, device));
    let labels = Tensor::randint(10, [60_000], (Kind::Int64, device));
    let order = Tensor::randperm(60_000, (Kind::Int64, device));
    let mut i = 0i64;
    let mut step = || {
        let idx = order.narrow(0, i * 64, 64);
        let loss = net.forward(&images.index_select(0, &idx)).cross_entropy_for_logits(&labels.index_select(0, &idx));
        let _ = loss.double_value(&[]);
        opt.backward_step(&loss);
        i += 1;
    };
    for _ in 0..warmup {
        step();
    }
    sync(device);
    let t = Instant::now();
    for _ in 0..steps {
        step();
    }
    sync(device);
    steps as f64 / t.elapsed().as_secs_f64()
}

/// Runs the PyTorch reference script; returns its JSON.
fn pytorch_reference(args: &BenchArgs, figures: &[Figure], device: Device) -> Result<serde_json::Value> {
    let python =
        args.python.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_reference.py");
    let panels = figures.iter().map(|f| f.label()).collect::<Vec<_>>().join(",");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args(["--panels", &panels, "--steps", &args.steps.to_string(), "--warmup", &args.warmup.to_string()])
        .args(["--threads", &tch::get_num_threads().to_string(), "--device", &device_name(device)])
        .output()
        .with_context(|| {
            format!(
                "cannot run the PyTorch reference with {} (run `make setup`, pass --python, or --no-pytorch)",
                python.display()
            )
        })?;
    if !out.status.success() {
        bail!(
            "the PyTorch reference {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .with_context(|| format!("unexpected output of {}: {stdout}", script.display()))
}

/// `repro bench`.
pub fn bench(args: BenchArgs) -> Result<()> {
    let device = parse_device(&args.device)?;
    if args.threads > 0 {
        tch::set_num_threads(args.threads);
    }
    let figures = Figure::parse_list(&args.figure)?;
    println!(
        "device: {}, libtorch CPU threads: {}, libtorch {}",
        device_name(device),
        tch::get_num_threads(),
        env!("REPRO_LIBTORCH_VERSION")
    );
    if !args.no_layers {
        println!("\nStructured layers, forward + backward at batch 64 (median of 20):\n");
        println!("| layer | FFT path (ms) | dense reference (ms) | dense / FFT |");
        println!("|---|---|---|---|");
        for (name, op, input) in panel_layers() {
            let (fft, dense) = time_layer(&op, &input, device, 20);
            println!("| {name} | {:.2} | {:.2} | {:.1}× |", fft * 1e3, dense * 1e3, dense / fft);
        }
    }
    let reference = if args.no_pytorch { None } else { Some(pytorch_reference(&args, &figures, device)?) };
    println!(
        "\nTraining steps per second (batch 64, SGD with momentum, {} timed steps after {} warm-up):\n",
        args.steps, args.warmup
    );
    println!("| panel | repro (steps/s) | PyTorch eager (steps/s) | repro / PyTorch |");
    println!("|---|---|---|---|");
    for figure in figures {
        let ours = repro_steps_per_second(figure, device, args.warmup, args.steps);
        match reference.as_ref().and_then(|r| r[figure.label()].as_f64()) {
            Some(py) => println!("| {figure} | {ours:.2} | {py:.2} | {:.2} |", ours / py),
            None => println!("| {figure} | {ours:.2} | — | — |"),
        }
    }
    Ok(())
}
