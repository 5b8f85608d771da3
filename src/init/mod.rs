//! The initializers of METHOD.md section 3: the Xavier/He baseline and the project's two readings
//! of the paper's principle (its formula, eq. (6), is not available; both are reconstructions).
//!
//! Every initializer draws the same standard normal numbers z for a given seed (from a ChaCha8
//! generator seeded by the seed alone, layer by layer in network order, independent of libtorch's
//! global generator and of the device) and scales them, θ = σ·z, so that runs with different
//! initializers but one seed are paired: they differ only by the rule. Biases start at zero.
//!
//! - `xavier-he`: σ = √(2/fan_in) (He) for a layer followed by ReLU, σ = √(2/(fan_in + fan_out))
//!   (Xavier) for the output layer; for a structured layer the fans are those of the dense
//!   operator T(θ) it stands for.
//! - `ours`: a structured layer of multiplicity r computes T(θ)/√r, and θ is drawn with √r times the
//!   baseline σ. The effective weights start exactly as under `xavier-he`; afterwards the Euclidean
//!   norm of θ equals the paper's norm ‖T(θ)‖_F of the effective weights, so one SGD step grows a
//!   shared layer, in ‖·‖_T, as much as an unshared one (for SGD this is the layer's learning rate
//!   divided by r). It is the "equalized learning rate" device of Karras et al. (2018), applied per
//!   layer by multiplicity. The tool reports it as the paper's method, since it is the reading
//!   consistent with the paper's outcome (METHOD.md section 3).
//! - `ours-variance`: no multiplier; σ² = σ²_baseline · r^(−α), α = ½ by default (α = 0 is the
//!   baseline). The pure-initialization reading, kept as an ablation.
//!
//! Two comparison rows from the literature, each in its own module: `orthogonal` (Saxe et al.
//! 2014, with the He gain, on the dense operator) and `lsuv` (Mishkin & Matas 2016, data-driven).

pub mod lsuv;
pub mod orthogonal;

use crate::layers::{Layer, Op};
use anyhow::{bail, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use tch::Tensor;

/// One initialization rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initializer {
    /// He normal for ReLU layers, Xavier normal for the output layer.
    XavierHe,
    /// Weight multiplier 1/√r and √r times the baseline standard deviation (the main reading).
    Ours,
    /// Baseline variance times r^(−α), no multiplier (the pure-initialization reading).
    OursVariance { alpha: f64 },
    /// (Semi-)orthogonal dense operator times the He gain (Saxe et al. 2014).
    Orthogonal,
    /// Orthogonal, then layer-sequential unit variance on one training batch (Mishkin & Matas 2016).
    Lsuv,
}

/// The initializers `repro run` compares by default, in order.
pub const INIT_NAMES: [&str; 3] = ["xavier-he", "ours", "ours-variance"];
/// Every initializer name `--inits` accepts.
pub const ALL_INIT_NAMES: [&str; 5] = ["xavier-he", "ours", "ours-variance", "orthogonal", "lsuv"];

impl Initializer {
    /// Parses a name of `INIT_NAMES`; `alpha` is used by `ours-variance`.
    pub fn parse(name: &str, alpha: f64) -> Result<Initializer> {
        Ok(match name.trim() {
            "xavier-he" => Initializer::XavierHe,
            "ours" => Initializer::Ours,
            "ours-variance" => Initializer::OursVariance { alpha },
            "orthogonal" => Initializer::Orthogonal,
            "lsuv" => Initializer::Lsuv,
            other => bail!("unknown initializer '{other}' in --inits; valid: {}", ALL_INIT_NAMES.join(", ")),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Initializer::XavierHe => "xavier-he",
            Initializer::Ours => "ours",
            Initializer::OursVariance { .. } => "ours-variance",
            Initializer::Orthogonal => "orthogonal",
            Initializer::Lsuv => "lsuv",
        }
    }

    /// True when the initializer needs a training batch after `apply` (see `lsuv::calibrate`).
    pub fn needs_data(&self) -> bool {
        matches!(self, Initializer::Lsuv)
    }

    /// The baseline (xavier-he) standard deviation of a layer's effective weights.
    pub fn baseline_std(op: &Op, relu: bool) -> f64 {
        let (fan_in, fan_out) = op.fans();
        if relu {
            (2.0 / fan_in as f64).sqrt()
        } else {
            (2.0 / (fan_in + fan_out) as f64).sqrt()
        }
    }

    /// The constant weight multiplier of the forward pass: 1/√r under `ours`, else 1.
    pub fn multiplier(&self, op: &Op) -> f64 {
        match self {
            Initializer::Ours => 1.0 / (op.multiplicity() as f64).sqrt(),
            _ => 1.0,
        }
    }

    /// Standard deviation of the stored parameters θ (NaN for orthogonal and LSUV, whose entries
    /// are not i.i.d. normal draws of a fixed σ).
    pub fn parameter_std(&self, op: &Op, relu: bool) -> f64 {
        let base = Self::baseline_std(op, relu);
        let r = op.multiplicity() as f64;
        match self {
            Initializer::XavierHe => base,
            Initializer::Ours => base * r.sqrt(),
            Initializer::OursVariance { alpha } => base * r.powf(-alpha / 2.0),
            Initializer::Orthogonal | Initializer::Lsuv => f64::NAN,
        }
    }

    /// Standard deviation of the effective weights multiplier · θ at step 0.
    pub fn effective_std(&self, op: &Op, relu: bool) -> f64 {
        self.parameter_std(op, relu) * self.multiplier(op)
    }

    /// Initializes every layer: θ = σ·z with z standard normal from the generator of `seed`,
    /// biases zero, multipliers set. The same seed gives the same z for every initializer.
    /// (Orthogonal and LSUV draw orthogonal operators instead; LSUV's data-driven rescaling is
    /// `lsuv::calibrate`, which `train::build_net` runs after this.)
    pub fn apply(&self, layers: &mut [Layer], seed: i64) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed as u64);
        if matches!(self, Initializer::Orthogonal | Initializer::Lsuv) {
            return orthogonal::apply(layers, &mut rng);
        }
        for layer in layers.iter_mut() {
            let shape = layer.op.weight_shape();
            let n: i64 = shape.iter().product();
            let std = self.parameter_std(&layer.op, layer.relu);
            let z: Vec<f32> = (0..n).map(|_| (rng.sample::<f64, _>(StandardNormal) * std) as f32).collect();
            let w = Tensor::from_slice(&z).view(&shape[..]);
            let (device, kind) = (layer.weight.device(), layer.weight.kind());
            tch::no_grad(|| {
                layer.weight.copy_(&w.to_device(device).to_kind(kind));
                let _ = layer.bias.zero_();
            });
            layer.multiplier = self.multiplier(&layer.op);
        }
    }
}

impl std::fmt::Display for Initializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Initializer::OursVariance { alpha } => write!(f, "ours-variance(α={alpha})"),
            other => f.write_str(other.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nets::{Figure, Net};
    use tch::{Device, Kind};

    fn net(figure: Figure, init: Initializer, seed: i64) -> Net {
        let mut net = Net::new(figure, Device::Cpu);
        init.apply(&mut net.layers, seed);
        net
    }

    /// The sample std of n i.i.d. normals has relative standard error ≈ 1/√(2n). We allow 6 such
    /// errors plus a small floor, so a correct draw fails with probability < 1e-8 while a wrong
    /// rule (off by any factor that matters here, ≥ 1.4 for the smallest layer) is caught.
    fn std_tolerance(n: i64) -> f64 {
        6.0 / (2.0 * n as f64).sqrt() + 1e-3
    }

    #[test]
    fn effective_weight_std_matches_the_formula_for_every_layer_of_every_panel() {
        for figure in Figure::ALL {
            for init in [Initializer::XavierHe, Initializer::Ours, Initializer::OursVariance { alpha: 0.5 }] {
                let net = net(figure, init, 3);
                for layer in &net.layers {
                    let w = layer.effective_weight();
                    let n = w.numel() as i64;
                    let got = w.std(true).double_value(&[]);
                    let want = init.effective_std(&layer.op, layer.relu);
                    let rel = (got / want - 1.0).abs();
                    assert!(rel < std_tolerance(n), "{figure} {init} {}: std {got} vs {want} (n = {n})", layer.name);
                    assert_eq!(layer.bias.abs().sum(Kind::Float).double_value(&[]), 0.0);
                }
            }
        }
    }

    #[test]
    fn formulas_written_out() {
        let fc = Op::Linear { input: 3136, output: 64 };
        assert!((Initializer::baseline_std(&fc, true) - (2.0f64 / 3136.0).sqrt()).abs() < 1e-15);
        let out = Op::Linear { input: 64, output: 10 };
        assert!((Initializer::baseline_std(&out, false) - (2.0f64 / 74.0).sqrt()).abs() < 1e-15);
        let circ = Op::Circulant(crate::layers::CirculantLinear { input: 3136, output: 1568, block: 1568 });
        let base = (2.0f64 / 3136.0).sqrt();
        assert!((Initializer::Ours.parameter_std(&circ, true) - base * 1568f64.sqrt()).abs() < 1e-12);
        assert!((Initializer::Ours.multiplier(&circ) - 1.0 / 1568f64.sqrt()).abs() < 1e-15);
        assert!((Initializer::Ours.effective_std(&circ, true) - base).abs() < 1e-12);
        let ov = Initializer::OursVariance { alpha: 0.5 };
        assert!((ov.parameter_std(&circ, true).powi(2) - base * base / 1568f64.sqrt()).abs() < 1e-12);
        assert_eq!(ov.multiplier(&circ), 1.0);
    }

    fn effective(net: &Net) -> Vec<Tensor> {
        net.layers.iter().map(|l| l.effective_weight()).collect()
    }

    #[test]
    fn both_readings_equal_xavier_he_on_the_control_panel() {
        let base = effective(&net(Figure::A, Initializer::XavierHe, 11));
        for init in [Initializer::Ours, Initializer::OursVariance { alpha: 0.5 }] {
            for (a, b) in effective(&net(Figure::A, init, 11)).iter().zip(&base) {
                assert!(a.equal(b), "{init} differs from xavier-he on panel 1a");
            }
        }
    }

    #[test]
    fn alpha_zero_gives_the_baseline_on_every_panel() {
        for figure in Figure::ALL {
            let base = effective(&net(figure, Initializer::XavierHe, 5));
            let ov = effective(&net(figure, Initializer::OursVariance { alpha: 0.0 }, 5));
            for (a, b) in ov.iter().zip(&base) {
                assert!(a.equal(b), "{figure}: ours-variance with α = 0 differs from xavier-he");
            }
        }
    }

    #[test]
    fn ours_starts_with_the_baseline_effective_weights() {
        for figure in Figure::ALL {
            let base = effective(&net(figure, Initializer::XavierHe, 2));
            let ours = effective(&net(figure, Initializer::Ours, 2));
            for (a, b) in ours.iter().zip(&base) {
                let e = (a - b).abs().max().double_value(&[]);
                assert!(e < 1e-6 * b.abs().max().double_value(&[]), "{figure}: {e}");
            }
        }
    }

    /// METHOD.md section 3: for SGD (with or without momentum) `ours` equals xavier-he with the
    /// structured layer's weight learning rate divided by r. Checked on a small periodic-conv
    /// network in float64, a few steps, both runs started from the same effective weights.
    #[test]
    fn ours_equals_baseline_with_learning_rate_divided_by_r() {
        use tch::nn;
        let op = Op::Periodic(crate::layers::PeriodicConv2d { c_in: 1, c_out: 1, kernel: 3, height: 4, width: 4 });
        let r = op.multiplicity() as f64;
        assert_eq!(r, 16.0);
        tch::manual_seed(0);
        let x = Tensor::randn([8, 1, 4, 4], (Kind::Double, Device::Cpu));
        let target = Tensor::randn([8, 2], (Kind::Double, Device::Cpu));
        let make = |init: Initializer| {
            let mut vs = nn::VarStore::new(Device::Cpu);
            let mut layers = vec![
                Layer::new(&vs.root(), "periodic", op, true),
                Layer::new(&vs.root(), "fc", Op::Linear { input: 16, output: 2 }, false),
            ];
            vs.double();
            init.apply(&mut layers, 9);
            (vs, layers)
        };
        // Plain SGD with PyTorch's momentum rule b ← μb + g, θ ← θ − lr·b, a learning rate per tensor.
        let train = |layers: &[Layer], momentum: f64, lrs: [f64; 4]| {
            let mut params: Vec<Tensor> = [&layers[0].weight, &layers[0].bias, &layers[1].weight, &layers[1].bias]
                .iter()
                .map(|t| t.shallow_clone())
                .collect();
            let mut bufs: Vec<Option<Tensor>> = (0..4).map(|_| None).collect();
            for _ in 0..5 {
                params.iter_mut().for_each(|p| p.zero_grad());
                let h = layers[0].forward(&x).relu().flatten(1, -1);
                (layers[1].forward(&h) - &target).square().mean(Kind::Double).backward();
                tch::no_grad(|| {
                    for (i, p) in params.iter_mut().enumerate() {
                        let g = p.grad();
                        let step = match &bufs[i] {
                            Some(b) => b * momentum + &g,
                            None => g.copy(),
                        };
                        let _ = p.f_sub_(&(&step * lrs[i])).unwrap();
                        bufs[i] = Some(step);
                    }
                });
            }
            layers.iter().map(|l| l.effective_weight()).collect::<Vec<_>>()
        };
        for momentum in [0.0, 0.9] {
            let lr = 0.05;
            let (_vs_o, ours) = make(Initializer::Ours);
            let (_vs_b, mut base) = make(Initializer::XavierHe);
            // Start from bit-identical effective weights (the float draws differ by rounding only).
            let start = ours[0].effective_weight().copy();
            tch::no_grad(|| base[0].weight.copy_(&start));
            let w_ours = train(&ours, momentum, [lr, lr, lr, lr]);
            let w_base = train(&base, momentum, [lr / r, lr, lr, lr]);
            for (a, b) in w_ours.iter().zip(&w_base) {
                let e = (a - b).abs().max().double_value(&[]);
                assert!(e < 1e-12, "momentum {momentum}: effective weights differ by {e}");
            }
            // The baseline at the full learning rate moves the shared layer differently: the
            // comparison above is not vacuous.
            let (_vs_c, mut full) = make(Initializer::XavierHe);
            tch::no_grad(|| full[0].weight.copy_(&start));
            let w_full = train(&full, momentum, [lr, lr, lr, lr]);
            let e = (&w_full[0] - &w_ours[0]).abs().max().double_value(&[]);
            assert!(e > 1e-6, "momentum {momentum}: full learning rate gave the same weights ({e})");
        }
    }
}
