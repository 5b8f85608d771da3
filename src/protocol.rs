//! The training protocol (METHOD.md section 4), read from a versioned TOML file under
//! `experiments/` and overridden by command-line flags. Unknown keys and wrong types are errors
//! that name the key, so a typo never silently falls back to a default.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Default protocol file.
pub const DEFAULT_CONFIG: &str = "experiments/figure1.toml";

/// The default protocol file as it was when the binary was built, used when `--config` is left at
/// its default and the file is not found from the current folder.
pub const BUILT_IN_CONFIG: &str = include_str!("../experiments/figure1.toml");

/// Every value of the training protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub learning_rate: f64,
    pub momentum: f64,
    pub weight_decay: f64,
    pub batch_size: i64,
    pub epochs: i64,
    /// > 0: train exactly this many steps instead of `epochs` epochs.
    pub steps: i64,
    pub ema_beta: f64,
    pub growth_every: i64,
    pub alpha: f64,
    pub eval_batch_size: i64,
    pub collapse_loss: f64,
    pub collapse_accuracy: f64,
}

impl Default for Protocol {
    /// The values of `experiments/figure1.toml`, for tests and when no file is at hand.
    fn default() -> Protocol {
        Protocol {
            learning_rate: 0.01,
            momentum: 0.9,
            weight_decay: 0.0,
            batch_size: 64,
            epochs: 1,
            steps: 0,
            ema_beta: 0.98,
            growth_every: 10,
            alpha: 0.5,
            eval_batch_size: 1000,
            collapse_loss: 2.0,
            collapse_accuracy: 0.2,
        }
    }
}

impl Protocol {
    /// Reads and validates a protocol file; the default path falls back to the built-in copy.
    pub fn load(path: &Path) -> Result<Protocol> {
        if path == Path::new(DEFAULT_CONFIG) && !path.exists() {
            return Protocol::parse(BUILT_IN_CONFIG).context("invalid built-in protocol");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read protocol file {} (--config)", path.display()))?;
        Protocol::parse(&text).with_context(|| format!("invalid protocol file {}", path.display()))
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Protocol> {
        let p: Protocol = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim()))?;
        p.validate()?;
        Ok(p)
    }

    /// Checks the ranges; the message names the key (which is also the flag's name).
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &str, v: f64| -> Result<()> {
            if !(v.is_finite() && v > 0.0) {
                bail!("{name} must be a number > 0, got {v}");
            }
            Ok(())
        };
        positive("learning_rate (--lr)", self.learning_rate)?;
        positive("batch_size (--batch-size)", self.batch_size as f64)?;
        positive("growth_every", self.growth_every as f64)?;
        positive("eval_batch_size", self.eval_batch_size as f64)?;
        if self.steps < 0 {
            bail!("steps (--steps) must be ≥ 1 (or 0 in the file for 'use epochs'), got {}", self.steps);
        }
        if self.steps == 0 && self.epochs < 1 {
            bail!("epochs (--epochs) must be ≥ 1, got {}", self.epochs);
        }
        if !(0.0..1.0).contains(&self.momentum) {
            bail!("momentum (--momentum) must be in [0, 1), got {}", self.momentum);
        }
        if !(0.0..1.0).contains(&self.ema_beta) {
            bail!("ema_beta must be in [0, 1), got {}", self.ema_beta);
        }
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            bail!("alpha (--alpha) must be a number ≥ 0, got {}", self.alpha);
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            bail!("weight_decay must be ≥ 0, got {}", self.weight_decay);
        }
        Ok(())
    }

    /// Number of optimisation steps for a training set of `n_train` images (full batches only).
    pub fn total_steps(&self, n_train: i64) -> i64 {
        if self.steps > 0 {
            self.steps
        } else {
            self.epochs * (n_train / self.batch_size)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_versioned_file_equals_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG);
        assert_eq!(Protocol::load(&path).unwrap(), Protocol::default());
        assert_eq!(Protocol::default().total_steps(60_000), 937);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_named() {
        let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG)).unwrap();
        let e = format!("{:#}", Protocol::parse(&format!("{base}\nlearning_rat = 0.1\n")).unwrap_err());
        assert!(e.contains("unknown field `learning_rat`"), "{e}");
        let e = format!("{:#}", Protocol::parse(&base.replace("batch_size = 64", "batch_size = \"64\"")).unwrap_err());
        assert!(e.contains("batch_size"), "{e}");
        let e = format!(
            "{:#}",
            Protocol::parse(&base.replace("learning_rate = 0.01", "learning_rate = -1.0")).unwrap_err()
        );
        assert!(e.contains("learning_rate (--lr) must be a number > 0"), "{e}");
        let e = format!("{:#}", Protocol::parse(&base.replace("momentum = 0.9", "")).unwrap_err());
        assert!(e.contains("missing field `momentum`"), "{e}");
    }
}
