//! `repro bench` (in progress).
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Folder with the MNIST IDX files.
    #[arg(long, default_value = "data/mnist")]
    pub data: PathBuf,
}

pub fn bench(_args: BenchArgs) -> Result<()> {
    bail!("repro bench is not implemented yet")
}
