//! The layers of the Figure 1 networks: ordinary dense and convolution layers and the three
//! parameter-sharing layers of METHOD.md section 2, each computed through FFTs and each with a
//! plain reference path (its dense expansion) that the tests use as the oracle.
//!
//! Every layer carries what the initializers need (METHOD.md section 3): the fan-in and fan-out of
//! the dense operator it stands for, and its multiplicity r, the number of times each parameter
//! occurs in that operator T(θ). The forward pass uses the *effective* weight `multiplier · θ`;
//! the multiplier is 1 except under the `ours` initializer, which sets it to 1/√r.

pub mod channel_circulant;
pub mod circulant;
pub mod periodic;

pub use channel_circulant::ChannelCirculantConv2d;
pub use circulant::CirculantLinear;
pub use periodic::PeriodicConv2d;

use tch::{nn, Tensor};

/// What a layer computes, with its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Fully connected `input → output`.
    Linear { input: i64, output: i64 },
    /// Ordinary k × k convolution with zero padding.
    Conv2d { c_in: i64, c_out: i64, kernel: i64, padding: i64 },
    /// Periodic (circular) convolution on H × W maps (panel 1b).
    Periodic(PeriodicConv2d),
    /// Block-circulant fully connected (panel 1c).
    Circulant(CirculantLinear),
    /// Channel-circulant convolution (panel 1d).
    ChannelCirculant(ChannelCirculantConv2d),
}

impl Op {
    /// A short name of the layer kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Linear { .. } => "fc",
            Op::Conv2d { .. } => "conv",
            Op::Periodic(_) => "periodic-conv",
            Op::Circulant(_) => "circulant-fc",
            Op::ChannelCirculant(_) => "channel-circulant-conv",
        }
    }

    /// Shape of the stored weight θ.
    pub fn weight_shape(&self) -> Vec<i64> {
        match *self {
            Op::Linear { input, output } => vec![output, input],
            Op::Conv2d { c_in, c_out, kernel, .. } => vec![c_out, c_in, kernel, kernel],
            Op::Periodic(l) => l.weight_shape(),
            Op::Circulant(l) => l.weight_shape(),
            Op::ChannelCirculant(l) => l.weight_shape(),
        }
    }

    /// Number of output features or channels (the bias length).
    pub fn outputs(&self) -> i64 {
        match *self {
            Op::Linear { output, .. } => output,
            Op::Conv2d { c_out, .. } => c_out,
            Op::Periodic(l) => l.c_out,
            Op::Circulant(l) => l.output,
            Op::ChannelCirculant(l) => l.c_out,
        }
    }

    /// (fan_in, fan_out) of the dense operator the layer stands for (METHOD.md section 3):
    /// n and m for a (circulant) FC, C_in·k² and C_out·k² for a (channel-circulant or periodic) conv.
    pub fn fans(&self) -> (i64, i64) {
        match *self {
            Op::Linear { input, output } => (input, output),
            Op::Circulant(l) => (l.input, l.output),
            Op::Conv2d { c_in, c_out, kernel, .. } => (c_in * kernel * kernel, c_out * kernel * kernel),
            Op::Periodic(l) => (l.c_in * l.kernel * l.kernel, l.c_out * l.kernel * l.kernel),
            Op::ChannelCirculant(l) => (l.c_in * l.kernel * l.kernel, l.c_out * l.kernel * l.kernel),
        }
    }

    /// Multiplicity r: how many times each parameter occurs in T(θ), the same for every parameter
    /// (METHOD.md section 3). B for the circulant layers (the zero-padded spatial taps of the
    /// channel-circulant conv are not uniform and not counted), H_out·W_out for the periodic conv,
    /// 1 for dense layers and ordinary zero-padded convolutions.
    pub fn multiplicity(&self) -> i64 {
        match *self {
            Op::Linear { .. } | Op::Conv2d { .. } => 1,
            Op::Periodic(l) => l.height * l.width,
            Op::Circulant(l) => l.block,
            Op::ChannelCirculant(l) => l.block,
        }
    }

    /// True for the parameter-sharing layers (r > 1 in the Figure 1 networks).
    pub fn is_structured(&self) -> bool {
        matches!(self, Op::Periodic(_) | Op::Circulant(_) | Op::ChannelCirculant(_))
    }

    /// y = op(x; w) without bias, through the FFT for the structured layers.
    pub fn apply(&self, x: &Tensor, w: &Tensor) -> Tensor {
        match self {
            Op::Linear { .. } => x.matmul(&w.tr()),
            Op::Conv2d { padding, .. } => x.conv2d(w, None::<Tensor>, [1, 1], [*padding, *padding], [1, 1], 1),
            Op::Periodic(l) => l.forward_fft(x, w),
            Op::Circulant(l) => l.forward_fft(x, w),
            Op::ChannelCirculant(l) => l.forward_fft(x, w),
        }
    }

    /// y = op(x; w) without bias, through the dense expansion (the oracle of the FFT path).
    pub fn apply_dense(&self, x: &Tensor, w: &Tensor) -> Tensor {
        match self {
            Op::Periodic(l) => l.forward_dense(x, w),
            Op::Circulant(l) => l.forward_dense(x, w),
            Op::ChannelCirculant(l) => l.forward_dense(x, w),
            dense => dense.apply(x, w),
        }
    }
}

/// One layer: its op, its parameters θ (weight) and bias, and the constant weight multiplier.
#[derive(Debug)]
pub struct Layer {
    pub name: String,
    pub op: Op,
    pub weight: Tensor,
    pub bias: Tensor,
    /// Constant factor on the weight in the forward pass (1, or 1/√r under `ours`).
    pub multiplier: f64,
    /// Whether a ReLU follows the layer (all but the output layer).
    pub relu: bool,
}

impl Layer {
    /// Creates the layer's variables (zero-filled; an initializer fills them) under `vs / name`.
    pub fn new(vs: &nn::Path, name: &str, op: Op, relu: bool) -> Layer {
        let p = vs / name;
        let weight = p.zeros("weight", &op.weight_shape());
        let bias = p.zeros("bias", &[op.outputs()]);
        Layer { name: name.to_string(), op, weight, bias, multiplier: 1.0, relu }
    }

    /// The effective weight multiplier · θ that the forward pass uses.
    pub fn effective_weight(&self) -> Tensor {
        if self.multiplier == 1.0 {
            self.weight.shallow_clone()
        } else {
            &self.weight * self.multiplier
        }
    }

    fn add_bias(&self, y: Tensor) -> Tensor {
        if y.dim() == 4 {
            y + self.bias.view([1, -1, 1, 1])
        } else {
            y + &self.bias
        }
    }

    /// Forward pass (FFT path for structured layers), bias added, ReLU not applied.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.add_bias(self.op.apply(x, &self.effective_weight()))
    }

    /// Forward pass through the dense expansion (the oracle), bias added, ReLU not applied.
    pub fn forward_dense(&self, x: &Tensor) -> Tensor {
        self.add_bias(self.op.apply_dense(x, &self.effective_weight()))
    }

    /// Number of trainable values: weight and bias.
    pub fn parameter_count(&self) -> i64 {
        self.weight.numel() as i64 + self.bias.numel() as i64
    }
}

#[cfg(test)]
mod tests;
