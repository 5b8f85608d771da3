//! `repro plot` (in progress).
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Results folder written by `repro run`.
    #[arg(long, default_value = "results")]
    pub results: PathBuf,
    /// Folder for the figures.
    #[arg(long, default_value = "figures")]
    pub out: PathBuf,
    /// Linear loss axis instead of the default log scale.
    #[arg(long)]
    pub linear: bool,
}

pub fn plot(_args: PlotArgs) -> Result<()> {
    bail!("repro plot is not implemented yet")
}
