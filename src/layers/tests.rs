//! FFT paths against their dense oracles: forward outputs and gradients (METHOD.md section 2).

use super::*;
use tch::{Device, Kind, Tensor};

/// max |a − b| / max |b|: a relative error that does not blow up on entries near zero.
fn rel_err(a: &Tensor, b: &Tensor) -> f64 {
    let diff = (a - b).abs().max().double_value(&[]);
    diff / b.abs().max().double_value(&[]).max(1e-30)
}

/// Checks forward output and the gradients of input and parameters, FFT path vs dense expansion.
fn check_against_oracle(op: Op, x_shape: &[i64], kind: Kind, device: Device, tol: f64) {
    tch::manual_seed(7);
    let w = Tensor::randn(op.weight_shape(), (kind, device)).set_requires_grad(true);
    let x = Tensor::randn(x_shape, (kind, device)).set_requires_grad(true);
    let y_fft = op.apply(&x, &w);
    let y_dense = op.apply_dense(&x, &w);
    assert_eq!(y_fft.size(), y_dense.size(), "{op:?}");
    let e = rel_err(&y_fft, &y_dense);
    assert!(e < tol, "{op:?} {kind:?}: forward rel. error {e:e} ≥ {tol:e}");
    // A random cotangent, so that every output entry contributes to the gradients.
    let g = Tensor::randn(y_fft.size(), (kind, device));
    let grads_fft = Tensor::run_backward(&[(&y_fft * &g).sum(kind)], &[&x, &w], false, false);
    let grads_dense = Tensor::run_backward(&[(&y_dense * &g).sum(kind)], &[&x, &w], false, false);
    for (name, a, b) in [("input", &grads_fft[0], &grads_dense[0]), ("weight", &grads_fft[1], &grads_dense[1])] {
        let e = rel_err(a, b);
        assert!(e < tol, "{op:?} {kind:?}: {name} gradient rel. error {e:e} ≥ {tol:e}");
    }
}

fn circulant_cases() -> Vec<(Op, Vec<i64>)> {
    let c = |input, output, block| Op::Circulant(CirculantLinear { input, output, block });
    vec![
        (c(6, 4, 2), vec![5, 6]),             // 2 × 3 blocks, even B
        (c(15, 10, 5), vec![3, 15]),          // 2 × 3 blocks, odd B
        (c(21, 7, 7), vec![2, 21]),           // 1 × 3 blocks, odd B
        (c(8, 8, 8), vec![4, 8]),             // one square block
        (c(3136, 1568, 1568), vec![2, 3136]), // panel 1c
    ]
}

fn channel_circulant_cases() -> Vec<(Op, Vec<i64>)> {
    let c = |c_in, c_out, kernel, block, padding| {
        Op::ChannelCirculant(ChannelCirculantConv2d { c_in, c_out, kernel, block, padding })
    };
    vec![
        (c(6, 4, 3, 2, 1), vec![2, 6, 5, 5]),         // 2 × 3 blocks, even B
        (c(15, 10, 3, 5, 1), vec![2, 15, 4, 6]),      // 2 × 3 blocks, odd B, non-square map
        (c(4, 4, 1, 4, 0), vec![3, 4, 3, 3]),         // 1 × 1 kernel
        (c(9, 3, 3, 3, 0), vec![2, 9, 5, 5]),         // no padding, odd B
        (c(256, 256, 3, 256, 1), vec![2, 256, 7, 7]), // panel 1d
    ]
}

fn periodic_cases() -> Vec<(Op, Vec<i64>)> {
    let c = |c_in, c_out, kernel, height, width| Op::Periodic(PeriodicConv2d { c_in, c_out, kernel, height, width });
    vec![
        (c(2, 3, 5, 8, 8), vec![2, 2, 8, 8]),      // several channels, odd kernel
        (c(1, 2, 4, 6, 7), vec![3, 1, 6, 7]),      // even kernel, non-square map
        (c(1, 1, 7, 7, 7), vec![2, 1, 7, 7]),      // kernel as large as the map
        (c(1, 1, 55, 56, 56), vec![2, 1, 56, 56]), // panel 1b
    ]
}

fn check_all(cases: Vec<(Op, Vec<i64>)>, device: Device) {
    for (op, shape) in cases {
        check_against_oracle(op, &shape, Kind::Double, device, 1e-10);
        check_against_oracle(op, &shape, Kind::Float, device, 1e-5);
    }
}

#[test]
fn circulant_linear_matches_dense_oracle() {
    check_all(circulant_cases(), Device::Cpu);
}

#[test]
fn channel_circulant_conv_matches_dense_oracle() {
    check_all(channel_circulant_cases(), Device::Cpu);
}

#[test]
fn periodic_conv_matches_circular_pad_conv2d() {
    check_all(periodic_cases(), Device::Cpu);
}

/// The same oracle checks on CUDA where a GPU is present (skipped, with a note, where it is not).
#[test]
fn fft_layers_match_oracles_on_cuda_when_present() {
    if !tch::Cuda::is_available() {
        eprintln!("no CUDA device: CUDA oracle checks skipped");
        return;
    }
    let device = Device::Cuda(0);
    check_all(circulant_cases(), device);
    check_all(channel_circulant_cases(), device);
    check_all(periodic_cases(), device);
}

#[test]
fn dense_expansion_is_block_circulant() {
    // w = [1, 2, 3] as one 3 × 3 block: circ(w)[a, b] = w[(a − b) mod 3].
    let l = CirculantLinear { input: 3, output: 3, block: 3 };
    let w = Tensor::from_slice(&[1.0f64, 2.0, 3.0]).view([1, 1, 3]);
    let m = Vec::<f64>::try_from(l.dense_matrix(&w).view([-1])).unwrap();
    assert_eq!(m, vec![1.0, 3.0, 2.0, 2.0, 1.0, 3.0, 3.0, 2.0, 1.0]);
}

#[test]
fn parameter_counts_fans_and_multiplicity() {
    let circ = Op::Circulant(CirculantLinear { input: 3136, output: 1568, block: 1568 });
    assert_eq!(circ.weight_shape().iter().product::<i64>(), 3136);
    assert_eq!((circ.fans(), circ.multiplicity()), ((3136, 1568), 1568));
    let cc = Op::ChannelCirculant(ChannelCirculantConv2d { c_in: 256, c_out: 256, kernel: 3, block: 256, padding: 1 });
    assert_eq!(cc.weight_shape().iter().product::<i64>(), 2304);
    assert_eq!((cc.fans(), cc.multiplicity()), ((2304, 2304), 256));
    let per = Op::Periodic(PeriodicConv2d { c_in: 1, c_out: 1, kernel: 55, height: 56, width: 56 });
    assert_eq!(per.weight_shape().iter().product::<i64>(), 3025);
    assert_eq!((per.fans(), per.multiplicity()), ((3025, 3025), 3136));
    let fc = Op::Linear { input: 3136, output: 64 };
    assert_eq!((fc.fans(), fc.multiplicity()), ((3136, 64), 1));
    let conv = Op::Conv2d { c_in: 32, c_out: 64, kernel: 3, padding: 1 };
    assert_eq!((conv.fans(), conv.multiplicity()), ((288, 576), 1));
}

#[test]
fn multiplier_scales_the_effective_weight() {
    let vs = tch::nn::VarStore::new(Device::Cpu);
    let mut layer = Layer::new(&vs.root(), "fc", Op::Linear { input: 3, output: 2 }, false);
    tch::no_grad(|| layer.weight.copy_(&Tensor::ones([2, 3], (Kind::Float, Device::Cpu))));
    layer.multiplier = 0.5;
    let y = layer.forward(&Tensor::ones([1, 3], (Kind::Float, Device::Cpu)));
    assert_eq!(Vec::<f32>::try_from(y.view([-1])).unwrap(), vec![1.5, 1.5]);
}
