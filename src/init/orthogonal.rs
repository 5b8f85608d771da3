//! Orthogonal initialization (Saxe, McClelland & Ganguli 2014) with the He gain: the dense
//! operator of each layer is g times a (semi-)orthogonal matrix, g = √2 for a layer followed by
//! ReLU and g = 1 for the output layer; biases zero.
//!
//! "The dense operator" per layer kind:
//! - FC (out × in) and ordinary or periodic convolutions (C_out × C_in·k², the flattened kernel,
//!   PyTorch's `orthogonal_` convention): the QR factor of a Gaussian matrix. (The periodic conv's
//!   full 3136 × 3136 operator cannot be exactly orthogonal with a 55 × 55 kernel on a 56 × 56 torus,
//!   so the kernel convention is used there.)
//! - Block-circulant FC and channel-circulant conv: the DFT over the block axis block-diagonalises
//!   the operator, one p × q (or p × q·k²) complex matrix U_f per frequency bin f, and T Tᵀ = Σ …
//!   is the identity exactly when every U_f is semi-unitary. So U_f is drawn as the QR factor of a
//!   complex Gaussian matrix (a real one for the self-conjugate bins f = 0 and f = B/2), and
//!   θ = irfft(U) over the bin axis: the dense operator T(θ) itself is g times semi-orthogonal.

use crate::layers::{Layer, Op};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use tch::Tensor;

fn gaussian(rng: &mut ChaCha8Rng, shape: &[i64], scale: f64) -> Tensor {
    let n: i64 = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| rng.sample::<f64, _>(StandardNormal) * scale).collect();
    Tensor::from_slice(&v).view(shape)
}

/// Batched semi-orthogonal (semi-unitary) matrices from Gaussian `g` (… × rows × cols): rows
/// orthonormal when rows ≤ cols, columns orthonormal otherwise. Signs (phases) fixed by diag(R), so
/// that the result is Haar-distributed.
fn semi_orthogonal(g: &Tensor) -> Tensor {
    let (rows, cols) = (g.size()[g.dim() - 2], g.size()[g.dim() - 1]);
    let tall = if rows < cols { g.transpose(-2, -1) } else { g.shallow_clone() };
    let (q, r) = Tensor::linalg_qr(&tall, "reduced");
    let d = r.diagonal(0, -2, -1);
    let phase = &d / d.abs().clamp_min(1e-30);
    let q = q * phase.unsqueeze(-2);
    if rows < cols {
        q.transpose(-2, -1)
    } else {
        q
    }
}

/// Semi-unitary matrices per frequency bin for a block-circulant operator, turned into first
/// columns: returns p × q × B × (extra) real parameters whose DFT over B is U_f at bin f.
fn circulant_orthogonal(rng: &mut ChaCha8Rng, p: i64, q: i64, b: i64, taps: i64) -> Tensor {
    let f = b / 2 + 1;
    let cols = q * taps;
    let re = gaussian(rng, &[f, p, cols], 1.0);
    let im = gaussian(rng, &[f, p, cols], 1.0);
    // Bin 0, and bin B/2 for even B, are their own conjugates: their U must be real.
    let _ = im.get(0).zero_();
    if b % 2 == 0 {
        let _ = im.get(f - 1).zero_();
    }
    let u = semi_orthogonal(&Tensor::complex(&re, &im)); // F × p × q·taps
                                                         // θ[i, j, :, tap] = irfft(U[:, i, (j, tap)]) over the bin axis.
    let w = u.fft_irfft(b, 0, "backward"); // B × p × q·taps
    w.view(&[b, p, q, taps][..]).permute([1, 2, 0, 3]).contiguous()
}

/// Draws every layer's weights orthogonally (with gain), biases zero, multipliers 1.
pub fn apply(layers: &mut [Layer], rng: &mut ChaCha8Rng) {
    for layer in layers.iter_mut() {
        let gain = if layer.relu { 2f64.sqrt() } else { 1.0 };
        let w = match layer.op {
            Op::Linear { input, output } => semi_orthogonal(&gaussian(rng, &[output, input], 1.0)),
            Op::Conv2d { c_in, c_out, kernel, .. } => {
                semi_orthogonal(&gaussian(rng, &[c_out, c_in * kernel * kernel], 1.0))
            }
            Op::Periodic(l) => semi_orthogonal(&gaussian(rng, &[l.c_out, l.c_in * l.kernel * l.kernel], 1.0)),
            Op::Circulant(l) => circulant_orthogonal(rng, l.block_rows(), l.block_cols(), l.block, 1),
            Op::ChannelCirculant(l) => {
                circulant_orthogonal(rng, l.c_out / l.block, l.c_in / l.block, l.block, l.kernel * l.kernel)
            }
        };
        let w = (w * gain).to_kind(layer.weight.kind()).to_device(layer.weight.device());
        tch::no_grad(|| {
            layer.weight.copy_(&w.reshape(layer.op.weight_shape()));
            let _ = layer.bias.zero_();
        });
        layer.multiplier = 1.0;
    }
}

#[cfg(test)]
mod tests {
    use crate::init::Initializer;
    use crate::layers::{ChannelCirculantConv2d, CirculantLinear, Layer, Op};
    use tch::{nn, Device, Kind, Tensor};

    /// max |T Tᵀ − g² I| (rows ≤ cols) or |Tᵀ T − g² I| for the dense operator T.
    fn orthogonality_error(t: &Tensor, gain: f64) -> f64 {
        let (r, c) = (t.size()[0], t.size()[1]);
        let gram = if r <= c { t.matmul(&t.tr()) } else { t.tr().matmul(t) };
        let eye = Tensor::eye(r.min(c), (Kind::Double, Device::Cpu)) * (gain * gain);
        (gram - eye).abs().max().double_value(&[])
    }

    fn dense_operator(layer: &Layer) -> Tensor {
        let w = layer.weight.to_kind(Kind::Double);
        match layer.op {
            Op::Circulant(l) => l.dense_matrix(&w),
            Op::ChannelCirculant(l) => l.dense_kernel(&w).flatten(1, -1),
            _ => w.flatten(1, -1),
        }
    }

    #[test]
    fn dense_and_structured_operators_are_orthogonal_up_to_the_gain() {
        let vs = nn::VarStore::new(Device::Cpu);
        let ops = [
            (Op::Linear { input: 30, output: 12 }, true), // wide
            (Op::Linear { input: 8, output: 20 }, false), // tall, output layer
            (Op::Conv2d { c_in: 3, c_out: 5, kernel: 3, padding: 1 }, true),
            (Op::Circulant(CirculantLinear { input: 12, output: 8, block: 4 }), true), // 2 × 3 blocks, even B
            (Op::Circulant(CirculantLinear { input: 15, output: 5, block: 5 }), true), // 1 × 3 blocks, odd B
            (Op::Circulant(CirculantLinear { input: 3136, output: 1568, block: 1568 }), true), // panel 1c
            (Op::ChannelCirculant(ChannelCirculantConv2d { c_in: 8, c_out: 4, kernel: 3, block: 4, padding: 1 }), true),
            (
                Op::ChannelCirculant(ChannelCirculantConv2d {
                    c_in: 256,
                    c_out: 256,
                    kernel: 3,
                    block: 256,
                    padding: 1,
                }),
                true,
            ),
        ];
        let mut layers: Vec<Layer> = ops
            .iter()
            .enumerate()
            .map(|(i, (op, relu))| Layer::new(&vs.root(), &format!("l{i}"), *op, *relu))
            .collect();
        Initializer::Orthogonal.apply(&mut layers, 4);
        for layer in &layers {
            let gain = if layer.relu { 2f64.sqrt() } else { 1.0 };
            let e = orthogonality_error(&dense_operator(layer), gain);
            assert!(e < 1e-4, "{:?}: T Tᵀ differs from g² I by {e}", layer.op);
        }
    }
}
