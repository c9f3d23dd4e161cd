//! The fields of a kept form body, read back for the page: urlencoded
//! with `form_urlencoded` (what `web::Form` decodes with), multipart with
//! actix-multipart (what an actix handler reads parts with), so the page
//! holds the fields the handler would have seen. The token field is left
//! out: the page carries a fresh token instead.

use actix_web::HttpRequest;
use actix_web::error::PayloadError;
use bytes::Bytes;
use futures_util::{FutureExt as _, StreamExt as _};

/// One field of the form, in the order it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Field {
    /// A text field: sent again as a hidden input.
    Text { name: String, value: String },
    /// A file part: a page cannot send a file, so the person chooses it
    /// again. `chosen` is the file name the browser sent (empty when none
    /// was chosen).
    File { name: String, chosen: String },
}

/// The fields of `chunks`, or `None` when they cannot be read back
/// exactly (a multipart body the parser refuses, a text part that is not
/// UTF-8): then the ordinary refusal is answered.
pub(super) fn read(
    req: &HttpRequest,
    multipart: bool,
    chunks: Vec<Bytes>,
    token_field: &str,
) -> Option<Vec<Field>> {
    if multipart {
        read_multipart(req, chunks, token_field)
    } else {
        Some(read_urlencoded(&chunks, token_field))
    }
}

fn read_urlencoded(chunks: &[Bytes], token_field: &str) -> Vec<Field> {
    let body = chunks.concat();
    form_urlencoded::parse(&body)
        .filter(|(name, _)| name != token_field)
        .map(|(name, value)| Field::Text {
            name: name.into_owned(),
            value: value.into_owned(),
        })
        .collect()
}

/// The body is in memory and whole (the middleware kept it only then):
/// every poll of the parser is ready at once, and one that is not means
/// the body is not what it seemed, so the page is not made.
fn read_multipart(req: &HttpRequest, chunks: Vec<Bytes>, token_field: &str) -> Option<Vec<Field>> {
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, PayloadError>));
    let mut parts = actix_multipart::Multipart::new(req.headers(), stream);
    let mut out = Vec::new();
    while let Some(part) = parts.next().now_or_never()? {
        let mut part = part.ok()?;
        let name = part.name()?.to_owned();
        let disposition = part.content_disposition()?;
        let file = disposition.get_filename().is_some() || disposition.get_filename_ext().is_some();
        let chosen = disposition.get_filename().unwrap_or_default().to_owned();
        let mut value = Vec::new();
        while let Some(chunk) = part.next().now_or_never()? {
            value.extend_from_slice(&chunk.ok()?);
        }
        if file {
            out.push(Field::File { name, chosen });
        } else if name != token_field {
            out.push(Field::Text {
                name,
                value: String::from_utf8(value).ok()?,
            });
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn text(name: &str, value: &str) -> Field {
        Field::Text {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn urlencoded_fields_come_back_decoded_in_order_without_the_token() {
        let chunks = [
            Bytes::from_static(b"a=1&xsrf_token=T&body=caf%C3%A9+au+l"),
            Bytes::from_static(b"ait%0D%0A%22%3E&a=2"),
        ];
        let req = TestRequest::default().to_http_request();
        assert_eq!(
            read(&req, false, chunks.to_vec(), "xsrf_token"),
            Some(vec![
                text("a", "1"),
                text("body", "café au lait\r\n\">"),
                text("a", "2"),
            ])
        );
    }

    fn multipart_request() -> HttpRequest {
        TestRequest::default()
            .insert_header(("content-type", "multipart/form-data; boundary=XyZ"))
            .to_http_request()
    }

    #[test]
    fn multipart_text_parts_come_back_and_file_parts_are_named() {
        let body = concat!(
            "--XyZ\r\nContent-Disposition: form-data; name=\"xsrf_token\"\r\n\r\nT\r\n",
            "--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nline 1\r\nline 2\r\n",
            "--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"cat.png\"\r\n",
            "Content-Type: image/png\r\n\r\n\x01\x02\x03\r\n",
            "--XyZ\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n",
            "Content-Type: application/octet-stream\r\n\r\n\r\n",
            "--XyZ--\r\n",
        );
        // Split anywhere: the kept chunks are as they arrived.
        let (a, b) = body.as_bytes().split_at(57);
        let chunks = [Bytes::copy_from_slice(a), Bytes::copy_from_slice(b)];
        assert_eq!(
            read(&multipart_request(), true, chunks.to_vec(), "xsrf_token"),
            Some(vec![
                text("body", "line 1\r\nline 2"),
                Field::File {
                    name: "photo".to_owned(),
                    chosen: "cat.png".to_owned()
                },
                Field::File {
                    name: "empty".to_owned(),
                    chosen: String::new()
                },
            ])
        );
    }

    #[test]
    fn a_multipart_body_that_cannot_be_read_back_gives_no_fields() {
        let not_utf8 = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n\xff\xfe\r\n--XyZ--\r\n",
        );
        let cut_short =
            Bytes::from_static(b"--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nab");
        let req = multipart_request();
        assert_eq!(read(&req, true, vec![not_utf8], "xsrf_token"), None);
        assert_eq!(read(&req, true, vec![cut_short], "xsrf_token"), None);
    }
}
