//! `repro`: reproduces Figure 1 of "A new initialization method based on normed statistical spaces
//! in deep networks" (Inverse Problems and Imaging, 2021) on MNIST with tch (libtorch).
//! See README.md and ../shared/METHOD.md for what is reproduced and what is reconstructed.

pub mod bench;
pub mod cli;
pub mod data;
pub mod experiment;
pub mod init;
pub mod interrupt;
pub mod layers;
pub mod nets;
pub mod norm;
pub mod plot;
pub mod protocol;
pub mod results;
pub mod summary;
pub mod sweep;
pub mod train;
