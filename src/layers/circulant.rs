//! Block-circulant fully connected layer (METHOD.md section 2; the paper's Table 3, panel 1c).
//!
//! The weight W (out × in, out = pB, in = qB) is a p × q grid of B × B circulant blocks,
//! block (i, j) = circ(w_ij) with circ(w)[a, b] = w[(a − b) mod B]; only the first columns
//! w ∈ R^{p×q×B} are stored (in·out/B parameters). Then
//!
//!   y_i = Σ_j circ(w_ij) x_j = Σ_j irfft(rfft(w_ij) ⊙ rfft(x_j)),
//!
//! O(pq·B log B) per sample instead of O(pq·B²). Gradients flow through the FFTs by autograd.

use tch::{Kind, Tensor};

/// Shape of a block-circulant linear map `in → out` with block size `block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CirculantLinear {
    pub input: i64,
    pub output: i64,
    pub block: i64,
}

impl CirculantLinear {
    /// Block rows p = out / B.
    pub fn block_rows(&self) -> i64 {
        self.output / self.block
    }
    /// Block columns q = in / B.
    pub fn block_cols(&self) -> i64 {
        self.input / self.block
    }
    /// Stored weight shape: p × q × B (the first column of each block).
    pub fn weight_shape(&self) -> Vec<i64> {
        vec![self.block_rows(), self.block_cols(), self.block]
    }

    /// FFT path: x (N × in) ↦ N × out, without bias.
    pub fn forward_fft(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let (p, q, b) = (self.block_rows(), self.block_cols(), self.block);
        let n = x.size()[0];
        let xf = x.reshape([n, q, b]).fft_rfft(None, -1, "backward"); // N × q × F
        let wf = w.fft_rfft(None, -1, "backward"); // p × q × F
                                                   // y_f[n, i] = Σ_j x_f[n, j] · w_f[i, j], a product per frequency bin.
        let yf = (xf.unsqueeze(1) * wf.unsqueeze(0)).sum_dim_intlist(2, false, None::<Kind>); // N × p × F
        yf.fft_irfft(b, -1, "backward").reshape([n, p * b])
    }

    /// The dense out × in matrix the stored parameters stand for (the test oracle).
    pub fn dense_matrix(&self, w: &Tensor) -> Tensor {
        let (p, q, b) = (self.block_rows(), self.block_cols(), self.block);
        let idx = circulant_index(b, w.device());
        w.index_select(2, &idx.view([-1])) // p × q × (B·B), entry [a·B + b'] = w[(a − b') mod B]
            .view([p, q, b, b])
            .permute([0, 2, 1, 3]) // p × B(a) × q × B(b')
            .reshape([p * b, q * b])
    }

    /// Reference path: an ordinary matmul with the dense expansion.
    pub fn forward_dense(&self, x: &Tensor, w: &Tensor) -> Tensor {
        x.matmul(&self.dense_matrix(w).tr())
    }
}

/// B × B index matrix with entry (a, b) = (a − b) mod B.
pub fn circulant_index(b: i64, device: tch::Device) -> Tensor {
    let a = Tensor::arange(b, (Kind::Int64, device));
    (a.unsqueeze(1) - a.unsqueeze(0)).remainder(b)
}
