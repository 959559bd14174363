//! How server functions send their answers: JSON, as leptos' default does, but read in the
//! browser from text.
//!
//! A page's resources arrive twice: rendered into the page for hydration (read with
//! `serde_json::from_str`) and from server function calls afterwards. Leptos' own JSON codec
//! reads the latter with `serde_json::from_slice`, which compiles a second deserializer for
//! every answer type into the wasm bundle. Reading both from text compiles one.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::Serialize;
use serde::de::{DeserializeOwned, Error as _};

/// JSON over text (see the module).
pub struct TextJsonEncoding;

impl ContentType for TextJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for TextJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for TextJsonEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(serde_json::Error::custom)?;
        serde_json::from_str(text)
    }
}

/// The answer encoding of every server function: `#[server(output = Json)]`.
pub type Json = Post<TextJsonEncoding>;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize, Serialize)]
    struct Answer {
        name: String,
        count: u32,
    }

    #[test]
    fn an_answer_reads_back_as_it_was_sent() {
        let sent = Answer {
            name: "web – ünïcode".into(),
            count: 3,
        };
        let bytes = <TextJsonEncoding as Encodes<Answer>>::encode(&sent).expect("encodes");
        let read: Answer = <TextJsonEncoding as Decodes<Answer>>::decode(bytes).expect("decodes");
        assert_eq!(read, sent);
    }

    #[test]
    fn a_body_that_is_not_text_or_not_json_is_an_error() {
        let bytes = Bytes::from_static(b"{\"name\": \"\xff\", \"count\": 1}");
        let err = <TextJsonEncoding as Decodes<Answer>>::decode(bytes).expect_err("not UTF-8");
        assert!(err.to_string().contains("utf-8"), "{err}");
        let bytes = Bytes::from_static(b"{\"name\": \"web\"}");
        let err = <TextJsonEncoding as Decodes<Answer>>::decode(bytes).expect_err("no count");
        assert!(err.to_string().contains("count"), "{err}");
    }
}
