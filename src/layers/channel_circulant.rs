//! Convolution whose channel matrix is block-circulant at every tap (METHOD.md section 2; the
//! paper's Table 4, panel 1d, after CirCNN).
//!
//! The dense kernel K (C_out × C_in × k × k) has, at each tap (u, v), a C_out × C_in matrix made of
//! p × q circulant B × B blocks: K[iB + a, jB + b, u, v] = w[i, j, (a − b) mod B, u, v]. Only
//! w ∈ R^{p×q×B×k×k} is stored (C_in·C_out·k²/B parameters).
//!
//! An rfft over the channel axis of each block diagonalises the circulant mixing: with F = B/2 + 1
//! bins, Y_f[i] = Σ_j W_f[i, j] ⋆ X_f[j] for each bin f, where ⋆ is the spatial k × k convolution.
//! That is a grouped convolution (one group per bin) with complex weights, computed here in the
//! stacked real form [[Re W, −Im W], [Im W, Re W]] acting on [Re X; Im X], then an irfft back.

use super::circulant::circulant_index;
use tch::Tensor;

/// Shape of a channel-circulant k × k convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelCirculantConv2d {
    pub c_in: i64,
    pub c_out: i64,
    pub kernel: i64,
    pub block: i64,
    pub padding: i64,
}

impl ChannelCirculantConv2d {
    fn p(&self) -> i64 {
        self.c_out / self.block
    }
    fn q(&self) -> i64 {
        self.c_in / self.block
    }
    fn bins(&self) -> i64 {
        self.block / 2 + 1
    }
    /// Stored weight shape: p × q × B × k × k.
    pub fn weight_shape(&self) -> Vec<i64> {
        vec![self.p(), self.q(), self.block, self.kernel, self.kernel]
    }

    /// FFT path: x (N × C_in × H × W) ↦ N × C_out × H' × W', without bias.
    ///
    /// The FFTs run over the last axis of a channels-last copy: an FFT over a strided middle axis
    /// cost about four times as much on the CPU (measured at batch 64: 16 ms against 4 ms). The
    /// grouped convolution (F groups of 2q → 2p real channels on 7 × 7 maps) is the layer's main
    /// cost on the CPU: libtorch's grouped convolution is slow for many tiny groups (34 ms forward
    /// and backward at batch 64, where a dense 64 → 256 convolution with 30× the arithmetic takes
    /// 5 ms forward). Two alternatives measured slower: a sum over the k² shifted taps of complex
    /// element-wise products, and im2col followed by one batched product per bin.
    pub fn forward_fft(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let (p, q, b, f, k) = (self.p(), self.q(), self.block, self.bins(), self.kernel);
        let [n, _, h, wd] = x.size()[..] else { panic!("ChannelCirculantConv2d expects N×C×H×W input") };
        // Input: rfft over the channels of each block, then [Re; Im] stacked per bin.
        let xf = x.permute([0, 2, 3, 1]).contiguous().view(&[n, h, wd, q, b][..]).fft_rfft(None, -1, "backward");
        let xs = xf
            .view_as_real() // N × H × W × q × F × 2
            .permute([0, 4, 5, 3, 1, 2]) // N × F × 2 × q × H × W
            .contiguous()
            .view([n, f * 2 * q, h, wd]);
        // Weight: per bin the real 2p × 2q block [[Re, −Im], [Im, Re]].
        let wf = w.fft_rfft(None, 2, "backward"); // p × q × F × k × k
        let (wr, wi) = (wf.real(), wf.imag());
        let top = Tensor::cat(&[&wr, &(-&wi)], 1); // p × 2q × F × k × k, input order (Re, Im)
        let bottom = Tensor::cat(&[&wi, &wr], 1);
        let ws = Tensor::stack(&[top, bottom], 0) // 2 × p × 2q × F × k × k
            .view(&[2, p, 2, q, f, k, k][..])
            .permute([4, 0, 1, 2, 3, 5, 6]) // F × 2 × p × 2 × q × k × k
            .reshape([f * 2 * p, 2 * q, k, k]);
        let pad = self.padding;
        let ys = xs.conv2d(&ws, None::<Tensor>, [1, 1], [pad, pad], [1, 1], f); // N × F·2p × H' × W'
        let [_, _, ho, wo] = ys.size()[..] else { unreachable!() };
        let yf = ys
            .view(&[n, f, 2, p, ho, wo][..])
            .permute([0, 4, 5, 3, 1, 2]) // N × H' × W' × p × F × 2
            .contiguous()
            .view_as_complex();
        yf.fft_irfft(b, -1, "backward") // N × H' × W' × p × B
            .view([n, ho, wo, p * b])
            .permute([0, 3, 1, 2])
            .contiguous()
    }

    /// The dense C_out × C_in × k × k kernel the parameters stand for (the test oracle).
    pub fn dense_kernel(&self, w: &Tensor) -> Tensor {
        let (p, q, b, k) = (self.p(), self.q(), self.block, self.kernel);
        let idx = circulant_index(b, w.device());
        w.index_select(2, &idx.view([-1])) // p × q × B·B × k × k
            .view([p, q, b, b, k, k])
            .permute([0, 2, 1, 3, 4, 5]) // p × B(a) × q × B(b) × k × k
            .reshape([p * b, q * b, k, k])
    }

    /// Reference path: an ordinary conv2d with the dense kernel.
    pub fn forward_dense(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let pad = self.padding;
        x.conv2d(&self.dense_kernel(w), None::<Tensor>, [1, 1], [pad, pad], [1, 1], 1)
    }
}
