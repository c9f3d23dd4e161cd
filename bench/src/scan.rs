//! Part 5: the body scanners against the chunking attack —
//! a multipart part header growing to 64 KB, sent one byte per chunk —
//! through our app in process, next to the same body in one chunk and a
//! normal header-token POST, all measured in this run.
//!
//! Before the linear scanners, that body cost the part-header scan time
//! quadratic in its length (the whole buffer was searched again for the
//! blank line on every chunk). Now each byte is looked at a bounded number
//! of times and the header block is refused at 8 KiB with `400`, so the
//! 1-byte-chunk body costs about what polling its chunks costs.

use actix_http::Request;
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{cookie, test};
use bytes::Bytes;
use futures_util::Stream;
use std::pin::Pin;

use crate::apps::{self, Handler};
use crate::overhead::{Sample, prime, sample};
use crate::report::{self, Table};

/// Same shape as actix-http's boxed payload stream.
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

const ORIGIN: &str = "http://localhost:8080";
/// Measured requests per row (the attack rows poll thousands of chunks each).
const ITERS: usize = 200;

/// `--XyZ\r\nX-Pad: ` and 64,000 `a`: the attack's body.
fn attack_body() -> Bytes {
    let mut body = b"--XyZ\r\nX-Pad: ".to_vec();
    body.extend_from_slice(&[b'a'; 64_000]);
    Bytes::from(body)
}

/// A multipart POST whose body arrives in `chunk`-byte pieces (slices of
/// one shared buffer: building the request copies nothing).
fn chunked_post(cookie: String, body: Bytes, chunk: usize) -> impl Fn() -> Request {
    move || {
        let req = test::TestRequest::post()
            .uri("/submit")
            .insert_header((header::ORIGIN, ORIGIN))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header((header::COOKIE, cookie.clone()))
            .insert_header((header::CONTENT_TYPE, "multipart/form-data; boundary=XyZ"))
            .to_request();
        let pieces: Vec<Bytes> = (0..body.len())
            .step_by(chunk)
            .map(|i| body.slice(i..(i + chunk).min(body.len())))
            .collect();
        let stream: BoxedPayloadStream =
            Box::pin(futures_util::stream::iter(pieces.into_iter().map(Ok)));
        let (req, _) = req.replace_payload(Payload::from(stream));
        req
    }
}

/// Runs the part and prints its table.
pub(crate) fn run() {
    report::title("5. Body scanning: 64 KB multipart part header in 1-byte chunks");
    let [header_post, one_chunk, one_byte]: [Sample; 3] =
        actix_web::rt::System::new().block_on(async {
            let session_key = cookie::Key::generate();
            let ours = test::init_service(
                apps::ours(apps::xsrf(ORIGIN, apps::StateIn::Session), Handler::Bare)
                    .wrap(apps::sessions(&session_key)),
            )
            .await;
            let creds = prime(&ours, "X-XSRF-Token", "xsrf_token").await;
            let (cookie, token) = (creds.cookie.clone(), creds.token.clone());
            let header_post = move || {
                test::TestRequest::post()
                    .uri("/submit")
                    .insert_header((header::ORIGIN, ORIGIN))
                    .insert_header(("Sec-Fetch-Site", "same-origin"))
                    .insert_header((header::COOKIE, cookie.clone()))
                    .insert_header(("X-XSRF-Token", token.clone()))
                    .to_request()
            };
            let body = attack_body();
            [
                sample(&ours, &header_post, ITERS).await,
                sample(
                    &ours,
                    &chunked_post(creds.cookie.clone(), body.clone(), body.len()),
                    ITERS,
                )
                .await,
                sample(&ours, &chunked_post(creds.cookie.clone(), body, 1), ITERS).await,
            ]
        });
    let mut t = Table::new(&["request", "time", "vs header POST", "answered 2xx"]);
    for (label, s) in [
        ("POST, token in header (baseline)", header_post),
        ("attack body, one chunk (400)", one_chunk),
        ("attack body, 1-byte chunks (400)", one_byte),
    ] {
        t.row(vec![
            label.to_owned(),
            report::time(s.ns),
            format!("{:.1}x", s.ns / header_post.ns),
            format!("{}", ITERS - s.failures.min(ITERS)),
        ]);
    }
    t.print();
    println!(
        "(best of 10 rounds, {ITERS} requests per row. The attack rows are refused, so they count as non-2xx; most of the 1-byte row is actix polling 8 KiB of 1-byte chunks before the header cap.)"
    );
}
