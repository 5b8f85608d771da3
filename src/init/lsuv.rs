//! Layer-sequential unit-variance initialization (LSUV; Mishkin & Matas 2016), a data-driven
//! baseline: start from the orthogonal initialization, then, layer by layer in network order, run
//! one training batch through the network and rescale the layer's weights by 1/√Var of its
//! pre-activation output until |Var − 1| < tolerance (or a number of iterations is reached).
//! Biases stay zero.

use crate::nets::Net;
use tch::{Kind, Tensor};

/// |Var − 1| below which a layer is accepted (the paper's Tol_var = 0.1).
pub const TOLERANCE: f64 = 0.1;
/// At most this many rescalings per layer (the paper's T_max = 10).
pub const MAX_ITERATIONS: usize = 10;

/// Variance of layer `index`'s pre-activation output on `batch`.
pub fn output_variance(net: &Net, batch: &Tensor, index: usize) -> f64 {
    let mut var = f64::NAN;
    net.observe_pre_activations(batch, &mut |i, pre| {
        if i == index {
            var = pre.to_kind(Kind::Double).var(true).double_value(&[]);
        }
    });
    var
}

/// Rescales every layer so that its output variance on `batch` is 1 within `TOLERANCE`; returns
/// the variances reached.
pub fn calibrate(net: &mut Net, batch: &Tensor) -> Vec<f64> {
    let mut reached = Vec::with_capacity(net.layers.len());
    for index in 0..net.layers.len() {
        let mut var = output_variance(net, batch, index);
        for _ in 0..MAX_ITERATIONS {
            if !var.is_finite() || var <= 0.0 || (var - 1.0).abs() < TOLERANCE {
                break;
            }
            let layer = &mut net.layers[index];
            let _ = tch::no_grad(|| layer.weight.f_mul_scalar_(1.0 / var.sqrt()).unwrap());
            var = output_variance(net, batch, index);
        }
        reached.push(var);
    }
    reached
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Initializer;
    use crate::nets::Figure;
    use tch::Device;

    #[test]
    fn every_layer_reaches_unit_output_variance_on_its_batch() {
        let batch = Tensor::rand([32, 1, 28, 28], (Kind::Float, Device::Cpu));
        for figure in Figure::ALL {
            let mut net = Net::new(figure, Device::Cpu);
            Initializer::Lsuv.apply(&mut net.layers, 1);
            let reached = calibrate(&mut net, &batch);
            for (i, v) in reached.iter().enumerate() {
                // Re-measured after all layers are done (later layers do not change earlier ones).
                let now = output_variance(&net, &batch, i);
                assert!((now - 1.0).abs() < TOLERANCE, "{figure} layer {i}: variance {now} (reached {v})");
            }
        }
    }
}
