//! An extension's icon as pages show it.

use std::path::Path;

/// The largest icon file inlined into the catalog.
const MAX_ICON_BYTES: usize = 64 * 1024;

/// How pages show an extension's icon: an `https` address as it is (imported stores point at
/// their CDN), an image file of the extension's folder (SVG, PNG, JPEG or WebP) inlined as a
/// `data:` URL (pages load images only from Orbitr itself, `data:` and `https:`); anything else
/// is not shown.
pub fn icon_url(dir: &Path, icon: &str) -> Option<String> {
    use base64::Engine as _;
    if icon.starts_with("https://") {
        return super::readme::safe_url(icon).then(|| icon.to_owned());
    }
    let lower = icon.to_ascii_lowercase();
    let (_, mime) = ICON_TYPES
        .iter()
        .find(|(extension, _)| lower.ends_with(extension))?;
    let bytes = super::package::read_bytes_inside(dir, icon).ok()?;
    (bytes.len() <= MAX_ICON_BYTES && is_image(mime, &bytes)).then(|| {
        format!(
            "data:{mime};base64,{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    })
}

/// The image files an icon may be, by file name ending.
const ICON_TYPES: [(&str, &str); 5] = [
    (".svg", "image/svg+xml"),
    (".png", "image/png"),
    (".jpg", "image/jpeg"),
    (".jpeg", "image/jpeg"),
    (".webp", "image/webp"),
];

/// Whether `bytes` are what their name says: a file named `.png` that is not a PNG is not shown.
fn is_image(mime: &str, bytes: &[u8]) -> bool {
    match mime {
        "image/svg+xml" => std::str::from_utf8(bytes).is_ok_and(|text| text.contains("<svg")),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/webp" => bytes.len() > 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_icons_are_inlined_when_they_are_the_image_their_name_says() {
        let dir = tempfile::tempdir().expect("dir");
        let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 40]].concat();
        let write = |name: &str, bytes: &[u8]| std::fs::write(dir.path().join(name), bytes);
        write("icon.png", &png).expect("png");
        write("photo.JPG", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]).expect("jpeg");
        write("icon.webp", b"RIFF\x10\0\0\0WEBPVP8 ....").expect("webp");
        write("icon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>").expect("svg");
        write("fake.png", b"<script>alert(1)</script>").expect("fake");
        write(
            "big.png",
            &[png.as_slice(), &vec![0u8; MAX_ICON_BYTES]].concat(),
        )
        .expect("big");
        write("icon.gif", b"GIF89a").expect("gif");

        let url = |name: &str| icon_url(dir.path(), name);
        assert!(
            url("icon.png").is_some_and(|u| u.starts_with("data:image/png;base64,iVBORw0KGgo")),
            "{:?}",
            url("icon.png")
        );
        assert!(url("photo.JPG").is_some_and(|u| u.starts_with("data:image/jpeg;base64,")));
        assert!(url("icon.webp").is_some_and(|u| u.starts_with("data:image/webp;base64,")));
        assert!(url("icon.svg").is_some_and(|u| u.starts_with("data:image/svg+xml;base64,")));
        assert_eq!(url("fake.png"), None, "not a PNG");
        assert_eq!(url("big.png"), None, "over the size limit");
        assert_eq!(url("icon.gif"), None, "not a kind pages show");
        assert_eq!(url("missing.png"), None);
        assert_eq!(url("../icon.png"), None, "outside the folder");
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().expect("outside");
            std::fs::write(outside.path().join("secret.png"), &png).expect("outside png");
            std::os::unix::fs::symlink(
                outside.path().join("secret.png"),
                dir.path().join("link.png"),
            )
            .expect("symlink");
            assert_eq!(url("link.png"), None, "a link out of the folder");
        }
    }
}
