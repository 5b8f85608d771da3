//! MNIST from raw IDX files (<http://yann.lecun.com/exdb/mnist/>, the format of `make data`).
//!
//! An IDX file is a big-endian header, `0x00 0x00 <type> <ndims>` then `ndims` u32 sizes, followed
//! by the values. MNIST uses type 0x08 (u8): labels are `0x00000801` (1 dim), images `0x00000803`
//! (3 dims: count × 28 × 28). Images become a float tensor in [0, 1] of shape N×1×28×28, labels
//! int64 of shape N (METHOD.md section 1: "pixel values scaled to [0, 1]").

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use tch::{Device, Kind, Tensor};

/// Magic number of an IDX file of unsigned bytes with one dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Magic number of an IDX file of unsigned bytes with three dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// MNIST images are 28×28.
pub const IMAGE_SIDE: usize = 28;

/// One split of MNIST: `images` N×1×28×28 float in [0, 1], `labels` N int64.
#[derive(Debug)]
pub struct Split {
    pub images: Tensor,
    pub labels: Tensor,
}

impl Split {
    pub fn len(&self) -> i64 {
        self.labels.size()[0]
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The same split on another device.
    pub fn to_device(&self, device: Device) -> Split {
        Split { images: self.images.to_device(device), labels: self.labels.to_device(device) }
    }
}

/// The training and test splits.
#[derive(Debug)]
pub struct Mnist {
    pub train: Split,
    pub test: Split,
}

/// What `make data` does, for error messages.
const FETCH_HINT: &str = "run `make data` to fetch and verify MNIST, or pass --data DIR";

/// Finds `<stem>-<kind>` or its alternative spelling `<stem>.<kind>` (e.g. `train-images-idx3-ubyte`
/// or `train-images.idx3-ubyte`) in `dir`.
fn find_idx_file(dir: &Path, stem: &str, idx: &str) -> Result<PathBuf> {
    let names = [format!("{stem}-{idx}-ubyte"), format!("{stem}.{idx}-ubyte")];
    for name in &names {
        let path = dir.join(name);
        if path.is_file() {
            return Ok(path);
        }
    }
    bail!("MNIST file {} not found (also tried {}): {FETCH_HINT}", dir.join(&names[0]).display(), names[1])
}

/// Parses an IDX header; returns the dimensions and the payload that follows them.
fn parse_idx<'a>(path: &Path, bytes: &'a [u8], magic: u32) -> Result<(Vec<usize>, &'a [u8])> {
    let file = path.display();
    if bytes.len() < 4 {
        bail!("{file}: truncated IDX file ({} bytes, no header); {FETCH_HINT}", bytes.len());
    }
    let found = u32::from_be_bytes(bytes[0..4].try_into().unwrap());
    if found != magic {
        bail!("{file}: wrong magic number 0x{found:08x}, expected 0x{magic:08x}; not an MNIST IDX file of this kind ({FETCH_HINT})");
    }
    let ndims = (magic & 0xff) as usize;
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        bail!("{file}: truncated IDX header ({} bytes, need {header}); {FETCH_HINT}", bytes.len());
    }
    let dims: Vec<usize> =
        (0..ndims).map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize).collect();
    let expected: usize = dims.iter().product();
    let payload = &bytes[header..];
    if payload.len() != expected {
        let what = if payload.len() < expected { "truncated" } else { "too long" };
        bail!(
            "{file}: {what}: header {dims:?} announces {expected} values, file holds {}; {FETCH_HINT}",
            payload.len()
        );
    }
    Ok((dims, payload))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}; {FETCH_HINT}", path.display()))
}

/// Reads an IDX image file: N×1×28×28 float in [0, 1].
pub fn read_images(path: &Path) -> Result<Tensor> {
    let bytes = read(path)?;
    let (dims, payload) = parse_idx(path, &bytes, IMAGES_MAGIC)?;
    if dims[1] != IMAGE_SIDE || dims[2] != IMAGE_SIDE {
        bail!(
            "{}: images are {}×{}, MNIST images must be {IMAGE_SIDE}×{IMAGE_SIDE}; {FETCH_HINT}",
            path.display(),
            dims[1],
            dims[2]
        );
    }
    let n = dims[0] as i64;
    let side = IMAGE_SIDE as i64;
    Ok(Tensor::from_slice(payload).view([n, 1, side, side]).to_kind(Kind::Float) / 255.0)
}

/// Reads an IDX label file: N int64.
pub fn read_labels(path: &Path) -> Result<Tensor> {
    let bytes = read(path)?;
    let (_, payload) = parse_idx(path, &bytes, LABELS_MAGIC)?;
    if let Some(bad) = payload.iter().find(|&&l| l > 9) {
        bail!("{}: label {bad} is not a digit 0–9; {FETCH_HINT}", path.display());
    }
    Ok(Tensor::from_slice(payload).to_kind(Kind::Int64))
}

/// Reads one split (`train` or `t10k`) and checks that images and labels agree in count.
pub fn read_split(dir: &Path, prefix: &str) -> Result<Split> {
    let images_path = find_idx_file(dir, &format!("{prefix}-images"), "idx3")?;
    let labels_path = find_idx_file(dir, &format!("{prefix}-labels"), "idx1")?;
    let images = read_images(&images_path)?;
    let labels = read_labels(&labels_path)?;
    let (ni, nl) = (images.size()[0], labels.size()[0]);
    if ni != nl {
        bail!(
            "{} holds {nl} labels but {} holds {ni} images: the files do not belong together; {FETCH_HINT}",
            labels_path.display(),
            images_path.display()
        );
    }
    Ok(Split { images, labels })
}

/// Loads MNIST from `dir` (default `data/mnist`).
pub fn load(dir: &Path) -> Result<Mnist> {
    if !dir.is_dir() {
        bail!("MNIST folder {} does not exist: {FETCH_HINT}", dir.display());
    }
    Ok(Mnist { train: read_split(dir, "train")?, test: read_split(dir, "t10k")? })
}

/// Test helpers: writing small IDX files.
pub mod idx {
    use std::path::Path;

    /// Encodes an IDX file of unsigned bytes with the given magic and dimensions.
    pub fn encode(magic: u32, dims: &[u32], values: &[u8]) -> Vec<u8> {
        let mut out = magic.to_be_bytes().to_vec();
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(values);
        out
    }

    /// Writes a small but valid MNIST-shaped dataset (`n_train`, `n_test` images of 28×28 whose
    /// pixels encode their label, so that a network can learn it) into `dir`.
    pub fn write_synthetic_mnist(dir: &Path, n_train: u32, n_test: u32) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (prefix, n) in [("train", n_train), ("t10k", n_test)] {
            let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
            let mut pixels = Vec::with_capacity(n as usize * 784);
            for (i, &l) in labels.iter().enumerate() {
                for p in 0..784u32 {
                    // A bright horizontal band whose row depends on the label, plus a little texture.
                    let row = p / 28;
                    let on = row / 3 == l as u32;
                    pixels.push(if on { 200 + ((p + i as u32) % 50) as u8 } else { ((p * 7 + i as u32) % 23) as u8 });
                }
            }
            std::fs::write(
                dir.join(format!("{prefix}-images-idx3-ubyte")),
                encode(super::IMAGES_MAGIC, &[n, 28, 28], &pixels),
            )?;
            std::fs::write(
                dir.join(format!("{prefix}-labels-idx1-ubyte")),
                encode(super::LABELS_MAGIC, &[n], &labels),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::idx::{encode, write_synthetic_mnist};
    use super::*;

    fn err_of<T: std::fmt::Debug>(r: Result<T>) -> String {
        format!("{:#}", r.expect_err("expected an error"))
    }

    #[test]
    fn reads_valid_files_with_shape_range_and_values() {
        let dir = tempfile::tempdir().unwrap();
        let pixels: Vec<u8> = (0..2 * 784).map(|i| (i % 256) as u8).collect();
        std::fs::write(dir.path().join("train-images-idx3-ubyte"), encode(IMAGES_MAGIC, &[2, 28, 28], &pixels))
            .unwrap();
        std::fs::write(dir.path().join("train-labels-idx1-ubyte"), encode(LABELS_MAGIC, &[2], &[7, 3])).unwrap();
        let split = read_split(dir.path(), "train").unwrap();
        assert_eq!(split.images.size(), vec![2, 1, 28, 28]);
        assert_eq!(split.images.kind(), Kind::Float);
        assert_eq!(split.labels.kind(), Kind::Int64);
        assert_eq!(Vec::<i64>::try_from(&split.labels).unwrap(), vec![7, 3]);
        assert_eq!(split.images.max().double_value(&[]), 1.0);
        assert_eq!(split.images.min().double_value(&[]), 0.0);
        // Pixel 300 of image 0 is 300 % 256 = 44.
        let v = split.images.view([-1]).double_value(&[300]);
        assert!((v - 44.0 / 255.0).abs() < 1e-7, "{v}");
    }

    #[test]
    fn accepts_the_dotted_spelling() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t10k-images.idx3-ubyte"), encode(IMAGES_MAGIC, &[1, 28, 28], &[0; 784]))
            .unwrap();
        std::fs::write(dir.path().join("t10k-labels.idx1-ubyte"), encode(LABELS_MAGIC, &[1], &[5])).unwrap();
        assert_eq!(read_split(dir.path(), "t10k").unwrap().len(), 1);
    }

    #[test]
    fn wrong_magic_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, encode(LABELS_MAGIC, &[1, 28, 28], &[0; 784])).unwrap();
        let e = err_of(read_images(&p));
        assert!(e.contains("wrong magic number 0x00000801, expected 0x00000803"), "{e}");
        assert!(e.contains(&p.display().to_string()), "{e}");
    }

    #[test]
    fn truncated_payload_and_header_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("imgs");
        std::fs::write(&p, encode(IMAGES_MAGIC, &[2, 28, 28], &[0; 784 + 10])).unwrap();
        let e = err_of(read_images(&p));
        assert!(e.contains("truncated") && e.contains("announces 1568 values, file holds 794"), "{e}");
        std::fs::write(&p, &encode(IMAGES_MAGIC, &[2, 28, 28], &[])[..9]).unwrap();
        assert!(err_of(read_images(&p)).contains("truncated IDX header"));
        std::fs::write(&p, [0u8, 0]).unwrap();
        assert!(err_of(read_images(&p)).contains("no header"));
    }

    #[test]
    fn wrong_image_size_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("imgs");
        std::fs::write(&p, encode(IMAGES_MAGIC, &[1, 32, 32], &[0; 1024])).unwrap();
        let e = err_of(read_images(&p));
        assert!(e.contains("images are 32×32") && e.contains("must be 28×28"), "{e}");
    }

    #[test]
    fn count_mismatch_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("train-images-idx3-ubyte"), encode(IMAGES_MAGIC, &[2, 28, 28], &[0; 1568]))
            .unwrap();
        std::fs::write(dir.path().join("train-labels-idx1-ubyte"), encode(LABELS_MAGIC, &[3], &[1, 2, 3])).unwrap();
        let e = err_of(read_split(dir.path(), "train"));
        assert!(e.contains("holds 3 labels but") && e.contains("holds 2 images"), "{e}");
    }

    #[test]
    fn bad_label_value_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels");
        std::fs::write(&p, encode(LABELS_MAGIC, &[2], &[1, 12])).unwrap();
        assert!(err_of(read_labels(&p)).contains("label 12 is not a digit"));
    }

    #[test]
    fn missing_file_and_folder_hint_make_data() {
        let dir = tempfile::tempdir().unwrap();
        let e = err_of(read_split(dir.path(), "train"));
        assert!(e.contains("train-images-idx3-ubyte not found") && e.contains("make data"), "{e}");
        let e = err_of(load(&dir.path().join("nope")));
        assert!(e.contains("does not exist") && e.contains("make data"), "{e}");
    }

    #[test]
    fn synthetic_dataset_loads() {
        let dir = tempfile::tempdir().unwrap();
        write_synthetic_mnist(dir.path(), 20, 10).unwrap();
        let m = load(dir.path()).unwrap();
        assert_eq!(m.train.len(), 20);
        assert_eq!(m.test.images.size(), vec![10, 1, 28, 28]);
    }
}
