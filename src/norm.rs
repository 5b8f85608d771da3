//! The paper's norm on a layer's parameter space, put to work as a growth diagnostic
//! (METHOD.md section 3, "Growth, measured").
//!
//! For a layer whose operator T(θ) uses each parameter r times, ‖θ‖_T = ‖T(θ)‖_F = √r·‖θ‖₂. The
//! diagnostic records, per layer, ‖θ_t − θ_0‖_T of the *effective* weights (multiplier · θ) and the
//! same divided by ‖θ_0‖_T: whether layers grow consistently, and how a collapse starts. No dense
//! expansion is needed.

use crate::layers::Layer;
use tch::{Kind, Tensor};

/// ‖w‖_T = √r·‖w‖₂ for weights `w` used r times each.
pub fn t_norm(w: &Tensor, multiplicity: i64) -> f64 {
    (multiplicity as f64).sqrt() * w.to_kind(Kind::Double).norm().double_value(&[])
}

/// One layer's growth at one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    pub layer: String,
    /// ‖θ_t − θ_0‖_T of the effective weights.
    pub growth: f64,
    /// growth / ‖θ_0‖_T.
    pub relative_growth: f64,
}

/// Remembers the effective weights at step 0 and measures growth against them.
pub struct GrowthTracker {
    initial: Vec<(String, i64, Tensor, f64)>,
}

impl GrowthTracker {
    /// Records θ_0 (a detached copy of each layer's effective weights) and ‖θ_0‖_T.
    pub fn new(layers: &[Layer]) -> GrowthTracker {
        let initial = tch::no_grad(|| {
            layers
                .iter()
                .map(|l| {
                    let w0 = l.effective_weight().detach().copy();
                    let r = l.op.multiplicity();
                    let n0 = t_norm(&w0, r);
                    (l.name.clone(), r, w0, n0)
                })
                .collect()
        });
        GrowthTracker { initial }
    }

    /// Growth of every layer now.
    pub fn measure(&self, layers: &[Layer]) -> Vec<Growth> {
        tch::no_grad(|| {
            layers
                .iter()
                .zip(&self.initial)
                .map(|(l, (name, r, w0, n0))| {
                    let growth = t_norm(&(l.effective_weight() - w0), *r);
                    Growth { layer: name.clone(), growth, relative_growth: growth / n0 }
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Initializer;
    use crate::layers::{CirculantLinear, Op};
    use tch::{nn, Device};

    #[test]
    fn t_norm_is_the_frobenius_norm_of_the_dense_operator() {
        let l = CirculantLinear { input: 6, output: 4, block: 2 };
        let w = Tensor::randn(l.weight_shape(), (Kind::Double, Device::Cpu));
        let dense = l.dense_matrix(&w).norm().double_value(&[]);
        assert!((t_norm(&w, 2) - dense).abs() < 1e-12 * dense);
    }

    #[test]
    fn growth_is_zero_at_start_and_matches_a_direct_computation() {
        let vs = nn::VarStore::new(Device::Cpu);
        let op = Op::Circulant(CirculantLinear { input: 6, output: 4, block: 2 });
        let mut layers = vec![Layer::new(&vs.root(), "circ", op, true)];
        Initializer::Ours.apply(&mut layers, 1);
        let tracker = GrowthTracker::new(&layers);
        let g = tracker.measure(&layers);
        assert_eq!((g[0].growth, g[0].relative_growth), (0.0, 0.0));
        let w0_dense = op.apply_dense(&Tensor::eye(6, (Kind::Float, Device::Cpu)), &layers[0].effective_weight());
        let delta = Tensor::full(op.weight_shape(), 0.5, (Kind::Float, Device::Cpu));
        let _ = tch::no_grad(|| layers[0].weight.f_add_(&delta).unwrap());
        let g = tracker.measure(&layers);
        // Directly: the Frobenius norm of the dense change of the effective operator.
        let w1_dense = op.apply_dense(&Tensor::eye(6, (Kind::Float, Device::Cpu)), &layers[0].effective_weight());
        let direct = (&w1_dense - &w0_dense).norm().double_value(&[]);
        assert!((g[0].growth - direct).abs() < 1e-5 * direct, "{} vs {direct}", g[0].growth);
        // 12 entries each moved by 0.5/√2 (multiplier), used twice: √2·√12·0.5/√2 = √3.
        assert!((g[0].growth - 3f64.sqrt()).abs() < 1e-5);
        let n0 = w0_dense.norm().double_value(&[]);
        assert!((g[0].relative_growth - direct / n0).abs() < 1e-5 * direct / n0);
    }
}
