//! Convolution with periodic (circular) padding and a kernel as large as the image (METHOD.md
//! section 2; the paper's Table 2, panel 1b: a 55 × 55 kernel on 56 × 56 maps).
//!
//! `conv2d` computes the cross-correlation y[o, a, b] = Σ_{c,u,v} w[o, c, u, v] x[c, a + u − P, b + v − P]
//! with indices taken mod (H, W) under circular padding P = (k − 1)/2 (for even k, P on the top/left
//! and k − 1 − P on the bottom/right). Placing the kernel on the H × W torus, g[(u − P) mod H,
//! (v − P) mod W] = w[u, v], makes this a circular cross-correlation, which the 2-D Fourier transform
//! turns into a product: Y = Σ_c conj(G_c) ⊙ X_c, y = irfft2(Y). Requires k ≤ H and k ≤ W.

use tch::{Kind, Tensor};

/// Shape of a periodic k × k convolution on H × W maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodicConv2d {
    pub c_in: i64,
    pub c_out: i64,
    pub kernel: i64,
    pub height: i64,
    pub width: i64,
}

impl PeriodicConv2d {
    /// Stored weight shape: C_out × C_in × k × k.
    pub fn weight_shape(&self) -> Vec<i64> {
        vec![self.c_out, self.c_in, self.kernel, self.kernel]
    }
    /// Padding before (top/left) the image; after is k − 1 − P.
    pub fn pad_before(&self) -> i64 {
        (self.kernel - 1) / 2
    }

    /// The kernel placed on the H × W torus: g[(u − P) mod H, (v − P) mod W] = w[u, v].
    fn torus_kernel(&self, w: &Tensor) -> Tensor {
        let (k, p) = (self.kernel, self.pad_before());
        w.constant_pad_nd([0, self.width - k, 0, self.height - k]).roll([-p, -p], [2, 3])
    }

    /// FFT path: x (N × C_in × H × W) ↦ N × C_out × H × W, without bias.
    pub fn forward_fft(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let (h, wd) = (self.height, self.width);
        let xf = x.fft_rfft2(&[h, wd][..], [2, 3], "backward"); // N × C_in × H × F
        let gf = self.torus_kernel(w).fft_rfft2(&[h, wd][..], [2, 3], "backward").conj(); // C_out × C_in × H × F
        let yf = if self.c_in == 1 && self.c_out == 1 {
            xf * gf // broadcast over the batch
        } else {
            (xf.unsqueeze(1) * gf.unsqueeze(0)).sum_dim_intlist(2, false, None::<Kind>)
        };
        yf.fft_irfft2(&[h, wd][..], [2, 3], "backward")
    }

    /// Reference path: circular padding followed by an ordinary conv2d (the test oracle).
    pub fn forward_dense(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let (before, after) = (self.pad_before(), self.kernel - 1 - self.pad_before());
        x.pad([before, after, before, after], "circular", None).conv2d(w, None::<Tensor>, [1, 1], [0, 0], [1, 1], 1)
    }
}
