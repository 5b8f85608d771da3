//! Training one (panel, initializer, seed) under the protocol of METHOD.md section 4: SGD with
//! momentum on the per-step cross-entropy, batches of a seeded shuffle, the smoothed loss curve
//! (an exponential moving average, β = 0.98, started at the first loss), the growth diagnostic,
//! and the test accuracy at the end.
//!
//! A diverged run (NaN or infinite loss) is data: the step is recorded, training stops, the test
//! accuracy is still measured, and the run is marked collapsed.

use crate::data::{Mnist, Split};
use crate::init::{lsuv, Initializer};
use crate::nets::{Figure, Net};
use crate::norm::{Growth, GrowthTracker};
use crate::protocol::Protocol;
use indicatif::ProgressBar;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// One training run's identity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSpec {
    pub figure: Figure,
    pub init: Initializer,
    pub seed: i64,
}

/// The loss of one step: the batch's loss before the update, and the smoothed loss after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLoss {
    pub step: i64,
    pub loss: f64,
    pub smoothed_loss: f64,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub curve: Vec<StepLoss>,
    /// (number of updates applied, growth of each layer).
    pub growth: Vec<(i64, Vec<Growth>)>,
    pub final_smoothed_loss: f64,
    pub test_accuracy: f64,
    /// The loss became NaN or infinite (training stopped there).
    pub diverged: bool,
    /// Diverged, or ended at chance level (see `is_collapsed`).
    pub collapsed: bool,
    pub wall_seconds: f64,
}

/// The collapse criterion: the loss became NaN/inf, or the run ends at chance level — last smoothed
/// loss ≥ `collapse_loss` (chance is ln 10 ≈ 2.303) or test accuracy ≤ `collapse_accuracy`.
pub fn is_collapsed(diverged: bool, final_smoothed_loss: f64, test_accuracy: f64, p: &Protocol) -> bool {
    diverged
        || !final_smoothed_loss.is_finite()
        || final_smoothed_loss >= p.collapse_loss
        || test_accuracy.is_nan()
        || test_accuracy <= p.collapse_accuracy
}

/// The data order of one epoch: a permutation fixed by (seed, epoch) alone (a ChaCha8 shuffle),
/// the same for every initializer and independent of libtorch's global generator.
pub fn epoch_order(seed: i64, epoch: i64, n: i64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64((seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (epoch as u64 + 1));
    let mut order: Vec<i64> = (0..n).collect();
    order.shuffle(&mut rng);
    Tensor::from_slice(&order)
}

/// Exponential moving average with s_0 = x_0, s_t = β s_{t−1} + (1 − β) x_t.
pub struct Ema {
    beta: f64,
    value: Option<f64>,
}

impl Ema {
    pub fn new(beta: f64) -> Ema {
        Ema { beta, value: None }
    }
    pub fn push(&mut self, x: f64) -> f64 {
        let v = match self.value {
            None => x,
            Some(s) => self.beta * s + (1.0 - self.beta) * x,
        };
        self.value = Some(v);
        v
    }
}

/// Fraction of `split` classified correctly, in batches of `batch` under no_grad.
pub fn accuracy(net: &Net, split: &Split, batch: i64) -> f64 {
    let n = split.len();
    let mut correct = 0i64;
    tch::no_grad(|| {
        let mut start = 0;
        while start < n {
            let len = batch.min(n - start);
            let logits = net.forward(&split.images.narrow(0, start, len));
            let pred = logits.argmax(-1, false);
            correct += pred.eq_tensor(&split.labels.narrow(0, start, len)).sum(Kind::Int64).int64_value(&[]);
            start += len;
        }
    });
    correct as f64 / n as f64
}

/// A network for `spec` on `device`, initialized; LSUV calibrates on the first training batch of
/// the seed's data order.
pub fn build_net(spec: &RunSpec, device: Device, train: &Split, batch_size: i64) -> Net {
    let mut net = Net::new(spec.figure, device);
    spec.init.apply(&mut net.layers, spec.seed);
    if spec.init.needs_data() {
        let idx = epoch_order(spec.seed, 0, train.len()).narrow(0, 0, batch_size.min(train.len())).to_device(device);
        lsuv::calibrate(&mut net, &train.images.index_select(0, &idx));
    }
    net
}

/// Trains one run. `data` must already be on `device`. `progress` shows the steps and the
/// smoothed loss (pass a hidden bar to stay quiet). `None` when an interruption was asked for
/// (`crate::interrupt`): the run stops after the current step and leaves no outcome.
pub fn train(
    spec: &RunSpec,
    protocol: &Protocol,
    data: &Mnist,
    device: Device,
    progress: &ProgressBar,
) -> Option<Outcome> {
    let started = Instant::now();
    let net = build_net(spec, device, &data.train, protocol.batch_size);
    let mut opt = nn::Sgd { momentum: protocol.momentum, dampening: 0.0, wd: protocol.weight_decay, nesterov: false }
        .build(&net.vs, protocol.learning_rate)
        .expect("building SGD over the network's variables");
    let n_train = data.train.len();
    let per_epoch = n_train / protocol.batch_size;
    let total = protocol.total_steps(n_train);
    progress.set_length(total as u64);

    let tracker = GrowthTracker::new(&net.layers);
    let mut growth = vec![(0, tracker.measure(&net.layers))];
    let mut curve = Vec::with_capacity(total as usize);
    let mut ema = Ema::new(protocol.ema_beta);
    let mut diverged = false;
    let mut order = Tensor::zeros([0], (Kind::Int64, device));
    for step in 0..total {
        if crate::interrupt::requested() {
            return None;
        }
        let (epoch, b) = (step / per_epoch, step % per_epoch);
        if b == 0 {
            order = epoch_order(spec.seed, epoch, n_train).to_device(device);
        }
        let idx = order.narrow(0, b * protocol.batch_size, protocol.batch_size);
        let images = data.train.images.index_select(0, &idx);
        let labels = data.train.labels.index_select(0, &idx);
        let loss = net.forward(&images).cross_entropy_for_logits(&labels);
        let value = loss.double_value(&[]);
        let smoothed = ema.push(value);
        curve.push(StepLoss { step, loss: value, smoothed_loss: smoothed });
        if !value.is_finite() {
            diverged = true;
            progress.set_message(format!("diverged at step {step}"));
            break;
        }
        opt.backward_step(&loss);
        let done = step + 1;
        if done % protocol.growth_every == 0 || done == total {
            growth.push((done, tracker.measure(&net.layers)));
        }
        if step % 10 == 0 || done == total {
            progress.set_position(done as u64);
            progress.set_message(format!("loss {smoothed:.4}"));
        }
    }
    let final_smoothed_loss = curve.last().map_or(f64::NAN, |s| s.smoothed_loss);
    let test_accuracy = accuracy(&net, &data.test, protocol.eval_batch_size);
    let collapsed = is_collapsed(diverged, final_smoothed_loss, test_accuracy, protocol);
    Some(Outcome {
        curve,
        growth,
        final_smoothed_loss,
        test_accuracy,
        diverged,
        collapsed,
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{idx::write_synthetic_mnist, load};

    fn tiny_protocol(steps: i64) -> Protocol {
        Protocol { steps, batch_size: 8, growth_every: 2, eval_batch_size: 7, ..Protocol::default() }
    }

    #[test]
    fn ema_starts_at_the_first_value() {
        let mut e = Ema::new(0.98);
        assert_eq!(e.push(2.0), 2.0);
        assert!((e.push(1.0) - (0.98 * 2.0 + 0.02)).abs() < 1e-15);
    }

    #[test]
    fn collapse_criterion() {
        let p = Protocol::default();
        assert!(is_collapsed(true, 0.1, 0.98, &p));
        assert!(is_collapsed(false, f64::NAN, 0.98, &p));
        assert!(is_collapsed(false, 2.30, 0.1135, &p));
        assert!(is_collapsed(false, 0.5, 0.15, &p));
        assert!(!is_collapsed(false, 0.07, 0.98, &p));
    }

    #[test]
    fn data_order_depends_on_seed_and_epoch_only() {
        let a = epoch_order(3, 0, 100);
        let _ = Tensor::randn([1000], (Kind::Float, Device::Cpu)); // other draws in between
        assert!(a.equal(&epoch_order(3, 0, 100)));
        assert!(!a.equal(&epoch_order(3, 1, 100)));
        assert!(!a.equal(&epoch_order(4, 0, 100)));
    }

    #[test]
    fn short_run_is_bit_identical_twice_and_records_everything() {
        let dir = tempfile::tempdir().unwrap();
        write_synthetic_mnist(dir.path(), 64, 20).unwrap();
        let data = load(dir.path()).unwrap();
        let p = tiny_protocol(9);
        let spec = RunSpec { figure: Figure::C, init: Initializer::Ours, seed: 1 };
        let bar = ProgressBar::hidden();
        let a = train(&spec, &p, &data, Device::Cpu, &bar).unwrap();
        let b = train(&spec, &p, &data, Device::Cpu, &bar).unwrap();
        assert_eq!(a.curve.len(), 9);
        assert_eq!(a.curve, b.curve, "same seed must give the same curve");
        assert_eq!(a.test_accuracy, b.test_accuracy);
        // Growth at 0, 2, 4, 6, 8 and the last step 9, each for the 4 layers, zero at step 0.
        let steps: Vec<i64> = a.growth.iter().map(|(s, _)| *s).collect();
        assert_eq!(steps, vec![0, 2, 4, 6, 8, 9]);
        assert!(a.growth[0].1.iter().all(|g| g.growth == 0.0));
        assert!(a.growth[5].1.iter().all(|g| g.growth > 0.0));
        assert_eq!(a.growth[5].1.len(), 4);
        assert_eq!(a.final_smoothed_loss, a.curve[8].smoothed_loss);
        assert!((0.0..=1.0).contains(&a.test_accuracy));
        let other_seed = train(&RunSpec { seed: 2, ..spec }, &p, &data, Device::Cpu, &bar).unwrap();
        assert_ne!(a.curve, other_seed.curve);
    }

    #[test]
    fn a_nan_loss_is_recorded_as_collapsed_not_a_crash() {
        let dir = tempfile::tempdir().unwrap();
        write_synthetic_mnist(dir.path(), 64, 10).unwrap();
        let data = load(dir.path()).unwrap();
        // A learning rate this large drives the loss to inf/NaN within a few steps.
        let p = Protocol { learning_rate: 1e12, ..tiny_protocol(20) };
        let spec = RunSpec { figure: Figure::A, init: Initializer::XavierHe, seed: 0 };
        let out = train(&spec, &p, &data, Device::Cpu, &ProgressBar::hidden()).unwrap();
        assert!(out.diverged && out.collapsed);
        assert!(!out.curve.last().unwrap().loss.is_finite());
        assert!(out.curve.len() < 20);
    }
}
