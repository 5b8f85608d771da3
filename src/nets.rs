//! The four networks of Figure 1 (METHOD.md section 1; the paper's Tables 1–4).
//!
//! All share the trunk `conv 1→32 (3×3, pad 1) → ReLU → maxpool 2 → conv 32→64 → ReLU → maxpool 2`,
//! giving 64×7×7 = 3136 features; every layer has a bias and is followed by ReLU except the last.
//!
//! | panel | after the trunk |
//! |---|---|
//! | 1a | FC 3136→64, FC 64→10 (control: no structured layer) |
//! | 1b | reshape to 1×56×56, periodic conv 1→1 with a 55×55 kernel, FC 3136→10 |
//! | 1c | block-circulant FC 3136→1568 (B = 1568), FC 1568→10 |
//! | 1d | conv 64→256, two channel-circulant convs 256→256 (B = 256), FC 12544→64, FC 64→10 |

use crate::layers::{ChannelCirculantConv2d, CirculantLinear, Layer, Op, PeriodicConv2d};
use anyhow::{bail, Result};
use tch::{nn, Device, Kind, Tensor};

/// A panel of Figure 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Figure {
    A,
    B,
    C,
    D,
}

impl Figure {
    pub const ALL: [Figure; 4] = [Figure::A, Figure::B, Figure::C, Figure::D];

    /// Parses `1a` … `1d` (also `a` … `d`, `fig1a`).
    pub fn parse(s: &str) -> Result<Figure> {
        let t = s.trim().to_ascii_lowercase();
        let t = t.strip_prefix("fig").unwrap_or(&t);
        Ok(match t.strip_prefix('1').unwrap_or(t) {
            "a" => Figure::A,
            "b" => Figure::B,
            "c" => Figure::C,
            "d" => Figure::D,
            _ => bail!("unknown panel '{s}' for --figure; valid: 1a, 1b, 1c, 1d, all"),
        })
    }

    /// Parses a `--figure` value: one panel or `all`.
    pub fn parse_list(s: &str) -> Result<Vec<Figure>> {
        if s.trim().eq_ignore_ascii_case("all") {
            return Ok(Figure::ALL.to_vec());
        }
        s.split(',').map(Figure::parse).collect()
    }

    /// `1a` … `1d`.
    pub fn label(&self) -> &'static str {
        match self {
            Figure::A => "1a",
            Figure::B => "1b",
            Figure::C => "1c",
            Figure::D => "1d",
        }
    }

    /// The paper's table that describes the panel's network.
    pub fn table(&self) -> u32 {
        *self as u32 + 1
    }

    /// What the panel tests, in a few words.
    pub fn title(&self) -> &'static str {
        match self {
            Figure::A => "dense FC (control)",
            Figure::B => "55×55 periodic conv",
            Figure::C => "block-circulant FC, B = 1568",
            Figure::D => "channel-circulant convs, B = 256",
        }
    }

    /// The layer list: (name, op, followed by ReLU, followed by 2×2 max-pool).
    fn layer_specs(&self) -> Vec<(&'static str, Op, bool, bool)> {
        let conv = |c_in, c_out| Op::Conv2d { c_in, c_out, kernel: 3, padding: 1 };
        let fc = |input, output| Op::Linear { input, output };
        let mut specs = vec![("conv1", conv(1, 32), true, true), ("conv2", conv(32, 64), true, true)];
        match self {
            Figure::A => specs.extend([("fc1", fc(3136, 64), true, false), ("fc2", fc(64, 10), false, false)]),
            Figure::B => specs.extend([
                (
                    "periodic",
                    Op::Periodic(PeriodicConv2d { c_in: 1, c_out: 1, kernel: 55, height: 56, width: 56 }),
                    true,
                    false,
                ),
                ("fc", fc(3136, 10), false, false),
            ]),
            Figure::C => specs.extend([
                ("circulant", Op::Circulant(CirculantLinear { input: 3136, output: 1568, block: 1568 }), true, false),
                ("fc", fc(1568, 10), false, false),
            ]),
            Figure::D => {
                let cc = Op::ChannelCirculant(ChannelCirculantConv2d {
                    c_in: 256,
                    c_out: 256,
                    kernel: 3,
                    block: 256,
                    padding: 1,
                });
                specs.extend([
                    ("conv3", conv(64, 256), true, false),
                    ("circulant1", cc, true, false),
                    ("circulant2", cc, true, false),
                    ("fc1", fc(12544, 64), true, false),
                    ("fc2", fc(64, 10), false, false),
                ])
            }
        }
        specs
    }
}

impl std::fmt::Display for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A panel's network: its layers (variables in `vs`) and where the max-pools sit.
pub struct Net {
    pub figure: Figure,
    pub vs: nn::VarStore,
    pub layers: Vec<Layer>,
    pool_after: Vec<bool>,
}

impl Net {
    /// Builds the network with zero-filled parameters on `device` (an initializer fills them).
    pub fn new(figure: Figure, device: Device) -> Net {
        let vs = nn::VarStore::new(device);
        let mut layers = Vec::new();
        let mut pool_after = Vec::new();
        for (name, op, relu, pool) in figure.layer_specs() {
            layers.push(Layer::new(&vs.root(), name, op, relu));
            pool_after.push(pool);
        }
        Net { figure, vs, layers, pool_after }
    }

    /// Runs the layers on `images`; `dense` selects their reference paths; `observe` sees each
    /// layer's index, its pre-activation output, and its output after ReLU and pooling.
    fn run(&self, images: &Tensor, dense: bool, observe: &mut dyn FnMut(usize, &Tensor, &Tensor)) -> Tensor {
        let mut h = images.shallow_clone();
        for (i, (layer, &pool)) in self.layers.iter().zip(&self.pool_after).enumerate() {
            h = match layer.op {
                Op::Linear { .. } | Op::Circulant(_) => h.flatten(1, -1),
                Op::Periodic(p) => h.reshape([-1, p.c_in, p.height, p.width]), // row-major reshape
                Op::Conv2d { .. } | Op::ChannelCirculant(_) => h,
            };
            let pre = if dense { layer.forward_dense(&h) } else { layer.forward(&h) };
            h = if layer.relu { pre.relu() } else { pre.shallow_clone() };
            if pool {
                h = h.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false);
            }
            observe(i, &pre, &h);
        }
        h
    }

    /// Logits N×10 for images N×1×28×28; `dense` selects the layers' reference paths.
    pub fn forward_with(&self, images: &Tensor, dense: bool) -> Tensor {
        self.run(images, dense, &mut |_, _, _| {})
    }

    /// Logits through the FFT paths (the training path).
    pub fn forward(&self, images: &Tensor) -> Tensor {
        self.forward_with(images, false)
    }

    /// Calls `observe(layer index, pre-activation output)` for every layer, without gradients.
    pub fn observe_pre_activations(&self, images: &Tensor, observe: &mut dyn FnMut(usize, &Tensor)) {
        let _ = tch::no_grad(|| self.run(images, false, &mut |i, pre, _| observe(i, pre)));
    }

    /// Output shape (without the batch axis) of each layer, for `repro describe`.
    pub fn output_shapes(&self) -> Vec<Vec<i64>> {
        let mut shapes = Vec::new();
        let x = Tensor::zeros([1, 1, 28, 28], (Kind::Float, self.vs.device()));
        let _ = tch::no_grad(|| self.run(&x, false, &mut |_, _, out| shapes.push(out.size()[1..].to_vec())));
        shapes
    }

    /// Trainable values in the network.
    pub fn parameter_count(&self) -> i64 {
        self.layers.iter().map(Layer::parameter_count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Initializer;

    /// Tables 1–4 of the paper, plus one bias per output channel or feature; structured layers
    /// divided by their compression ratio.
    fn table_count(figure: Figure) -> i64 {
        let trunk = (9 * 32 + 32) + (9 * 32 * 64 + 64);
        trunk
            + match figure {
                Figure::A => (3136 * 64 + 64) + (64 * 10 + 10),
                Figure::B => (55 * 55 + 1) + (3136 * 10 + 10),
                Figure::C => (3136 * 1568 / 1568 + 1568) + (1568 * 10 + 10),
                Figure::D => {
                    (9 * 64 * 256 + 256) + 2 * (9 * 256 * 256 / 256 + 256) + (12544 * 64 + 64) + (64 * 10 + 10)
                }
            }
    }

    #[test]
    fn parameter_counts_equal_the_papers_tables() {
        for figure in Figure::ALL {
            assert_eq!(Net::new(figure, Device::Cpu).parameter_count(), table_count(figure), "{figure}");
        }
        assert_eq!(table_count(Figure::A), 220_234);
        assert_eq!(table_count(Figure::C), 39_210);
    }

    #[test]
    fn output_shapes_and_logits() {
        for figure in Figure::ALL {
            let mut net = Net::new(figure, Device::Cpu);
            Initializer::XavierHe.apply(&mut net.layers, 0);
            let x = Tensor::rand([3, 1, 28, 28], (Kind::Float, Device::Cpu));
            let y = net.forward(&x);
            assert_eq!(y.size(), vec![3, 10], "{figure}");
            let y_dense = net.forward_with(&x, true);
            let e = (&y - &y_dense).abs().max().double_value(&[]) / y_dense.abs().max().double_value(&[]);
            assert!(e < 1e-4, "{figure}: FFT and dense networks differ by {e}");
            let shapes = net.output_shapes();
            assert_eq!(shapes.last().unwrap(), &vec![10]);
            assert_eq!(shapes[1], vec![64, 7, 7]);
        }
        let shapes = Net::new(Figure::B, Device::Cpu).output_shapes();
        assert_eq!(shapes[2], vec![1, 56, 56]);
        let shapes = Net::new(Figure::D, Device::Cpu).output_shapes();
        assert_eq!(shapes[4], vec![256, 7, 7]);
    }

    #[test]
    fn panel_names_parse_and_reject() {
        assert_eq!(Figure::parse("1c").unwrap(), Figure::C);
        assert_eq!(Figure::parse("fig1d").unwrap(), Figure::D);
        assert_eq!(Figure::parse_list("all").unwrap().len(), 4);
        let e = Figure::parse("1e").unwrap_err().to_string();
        assert!(e.contains("unknown panel '1e'") && e.contains("1a, 1b, 1c, 1d"), "{e}");
    }
}
