//! Raw bodies: the spec's `binary`, OpenAPI's `string` of format `binary`. An endpoint that
//! takes or answers `binary` moves the bytes as they are, with their media type in the
//! `Content-Type` header: a file upload, an image, a download.

/// The media type of bytes that say nothing about what they hold (RFC 2046): what a request
/// without a `Content-Type` is taken to be, and what [`Binary::new`] sends.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// A raw body and its media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    /// The media type, as the `Content-Type` header carries it (`image/png`,
    /// `text/csv; charset=utf-8`).
    pub content_type: String,
    /// The bytes.
    pub data: bytes::Bytes,
}

impl Binary {
    /// Bytes of no particular type (`application/octet-stream`).
    pub fn new(data: impl Into<bytes::Bytes>) -> Binary {
        Binary::typed(OCTET_STREAM, data)
    }

    /// Bytes of the media type `content_type`.
    pub fn typed(content_type: impl Into<String>, data: impl Into<bytes::Bytes>) -> Binary {
        Binary {
            content_type: content_type.into(),
            data: data.into(),
        }
    }

    /// The media type without its parameters, in lower case: `text/csv` for
    /// `Text/CSV; charset=utf-8`.
    pub fn essence(&self) -> String {
        essence(&self.content_type)
    }

    /// Why [`Binary::content_type`] cannot be sent as a `Content-Type`, if it cannot: it must
    /// be `type/subtype` (parameters after `;` allowed) in visible ASCII.
    pub fn check_content_type(&self) -> Result<(), String> {
        let ct = &self.content_type;
        let essence = essence(ct);
        let token = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        let well_formed = match essence.split_once('/') {
            Some((kind, sub)) => token(kind) && token(sub),
            None => false,
        };
        if well_formed
            && ct
                .bytes()
                .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
        {
            Ok(())
        } else {
            Err(format!(
                "the content type `{}` is not a media type (`type/subtype`)",
                ct.escape_debug()
            ))
        }
    }

    /// [`Binary::content_type`] as the `Content-Type` header's value, when it is a media type.
    pub fn content_type_header(&self) -> Result<http::HeaderValue, String> {
        self.check_content_type()?;
        http::HeaderValue::from_str(&self.content_type).map_err(|e| e.to_string())
    }
}

impl std::ops::Deref for Binary {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.data
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_checked() {
        for good in [
            "application/octet-stream",
            "image/png",
            "text/csv; charset=utf-8",
            "application/vnd.api+json",
        ] {
            assert_eq!(
                Binary::typed(good, vec![]).check_content_type(),
                Ok(()),
                "{good}"
            );
        }
        for bad in [
            "",
            "png",
            "image/",
            "/png",
            "image/png\r\nx: y",
            "imäge/png",
            "a b/c",
        ] {
            assert!(
                Binary::typed(bad, vec![]).check_content_type().is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            Binary::typed("Text/CSV; charset=utf-8", vec![]).essence(),
            "text/csv"
        );
        assert_eq!(Binary::new(vec![1, 2]).content_type, OCTET_STREAM);
    }
}
