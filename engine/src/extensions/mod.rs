//! Extensions: apps installed from a marketplace as Compose stacks. A folder holds
//! `orbitr.yaml` (the [`manifest`]), a compose template and a README; the install form's values
//! are checked by [`inputs`] (in the browser too); [`package`] reads and checks a whole folder.

#[cfg(feature = "runtime")]
pub mod catalog;
#[cfg(feature = "runtime")]
pub mod icon;
#[cfg(feature = "runtime")]
pub mod import;
pub mod inputs;
pub mod manifest;
pub mod market;
#[cfg(feature = "runtime")]
pub mod package;
#[cfg(feature = "runtime")]
pub mod readme;
pub mod resolve;

/// Whether a path named in a manifest stays inside the extension folder: relative, no `..`,
/// no backslashes or NUL.
pub fn inside(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['\\', '\0'])
        && !path.split('/').any(|part| part == "..")
}
