//! Part 3: memory. Bytes a one-time key costs in the in-process store,
//! and bytes the form-body scan allocates for a request, against the
//! configured scan limit.

use std::time::Instant;

use actix_http::Request;
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::test;
use bytes::Bytes;
use futures_util::Stream;
use stats_alloc::Region;
use std::pin::Pin;
use time::OffsetDateTime;
use xsrf_actix::store::MemoryStore;
use xsrf_actix::{CreateOptions, Transport};
use xsrf_core::OneTimeKeys;

use crate::GLOBAL;
use crate::apps::{self, Handler};
use crate::overhead::{Creds, prime, sample};
use crate::report::{self, Table};

/// Keys created per row.
const KEYS: usize = 1_000_000;
/// Sessions the bound keys are spread over.
const SESSIONS: usize = 10_000;
/// Chunk size of the streamed bodies (what a socket read typically yields).
const CHUNK: usize = 4096;

/// Same shape as actix-http's boxed payload stream.
type BoxedPayloadStream = Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>;

/// Live bytes held after creating `KEYS` keys, per key, and the time per
/// creation. `bound` spreads keys over `SESSIONS` sessions with a `u64` of
/// data; otherwise keys are unbound and carry `()`.
async fn bytes_per_key(bound: bool) -> (f64, f64, usize) {
    // Capacity above KEYS so the store never purges or refuses, and a
    // quota that lets every session hold its share.
    let keys = OneTimeKeys::new(
        MemoryStore::with_capacity(KEYS + KEYS / 10)
            .with_unbound_capacity(KEYS + KEYS / 10)
            .with_session_quota(KEYS / SESSIONS),
    );
    let sessions: Vec<String> = (0..SESSIONS).map(|i| format!("session-{i:06}")).collect();
    let now = OffsetDateTime::now_utc();
    let region = Region::new(GLOBAL);
    let t0 = Instant::now();
    for i in 0..KEYS {
        let key = if bound {
            let opts = CreateOptions::new().bound_to(sessions[i % SESSIONS].clone());
            keys.create(&opts, &(i as u64), now).await
        } else {
            keys.create(&CreateOptions::new(), &(), now).await
        };
        // The key text goes to the client; only the store keeps anything.
        drop(key.expect("creating a one-time key"));
    }
    let elapsed = t0.elapsed();
    let st = region.change();
    // stats_alloc already books a reallocation's growth or shrinkage in
    // bytes_allocated / bytes_deallocated; bytes_reallocated is the same
    // change again, so adding it would count it twice.
    let live = st.bytes_allocated as f64 - st.bytes_deallocated as f64;
    let len = keys.store().len();
    drop(keys);
    (
        live / KEYS as f64,
        elapsed.as_nanos() as f64 / KEYS as f64,
        len,
    )
}

/// A form POST whose body arrives in `CHUNK`-byte pieces, token last.
fn streamed_post(token: &str, cookie: &str, pad: usize) -> impl Fn() -> Request + use<> {
    let body = format!("payload={}&xsrf_token={token}", "x".repeat(pad));
    let len = body.len();
    let chunks: Vec<Bytes> = body
        .as_bytes()
        .chunks(CHUNK)
        .map(Bytes::copy_from_slice)
        .collect();
    let cookie = cookie.to_owned();
    move || {
        let req = test::TestRequest::post()
            .uri("/submit")
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header((header::COOKIE, cookie.clone()))
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .insert_header((header::CONTENT_LENGTH, len))
            .to_request();
        let stream: BoxedPayloadStream = Box::pin(futures_util::stream::iter(
            chunks.clone().into_iter().map(Ok),
        ));
        let (req, _) = req.replace_payload(Payload::from(stream));
        req
    }
}

/// Runs the part and prints its tables.
pub(crate) fn run() {
    report::title("3. Memory");
    let rt = crate::runtime();
    let mut t = Table::new(&[
        "1,000,000 one-time keys in MemoryStore",
        "bytes/key",
        "create",
        "keys held",
    ]);
    for (label, bound) in [
        ("unbound, no data", false),
        ("bound to 10,000 sessions, u64 data", true),
    ] {
        let (per_key, ns, len) = rt.block_on(bytes_per_key(bound));
        t.row(vec![
            label.to_owned(),
            format!("{per_key:.0}"),
            report::time(ns),
            report::thousands(len as u64),
        ]);
    }
    t.print();
    println!(
        "(live bytes after creation minus before, / 1M: map buckets at their current load factor, entries, data and session sets.)"
    );

    // The scan: ours (signed-cookie state, no session middleware) against
    // the bare app, both with a handler that does not read the body.
    let rows = actix_web::rt::System::new().block_on(async {
        let origin = "http://localhost:8080";
        let plain = test::init_service(apps::plain(Handler::Bare)).await;
        let ours = test::init_service(apps::ours(
            apps::xsrf(origin, apps::StateIn::Cookie),
            Handler::Bare,
        ))
        .await;
        let Creds { cookie, token, .. } = prime(&ours, "X-XSRF-Token", "xsrf_token").await;
        let mut rows = Vec::new();
        for (label, pad) in [
            ("token last in a 60 KB body (under the limit)", 60 * 1024),
            ("token last in a 200 KB body (over: 413)", 200 * 1024),
        ] {
            let make = streamed_post(&token, &cookie, pad);
            let base = sample(&plain, &make, 200).await;
            let prot = sample(&ours, &make, 200).await;
            rows.push((
                label,
                prot.bytes - base.bytes,
                prot.allocs - base.allocs,
                prot.failures,
            ));
        }
        rows
    });
    println!();
    let mut s = Table::new(&[
        &format!(
            "form scan, {CHUNK} B chunks (scan limit {} B)",
            Transport::DEFAULT_SCAN_LIMIT
        ),
        "+bytes/request",
        "vs limit",
        "+allocs",
        "non-2xx",
    ]);
    for (label, bytes, allocs, failures) in rows {
        s.row(vec![
            label.to_owned(),
            report::delta_bytes(bytes),
            report::ratio(bytes, Transport::DEFAULT_SCAN_LIMIT as f64),
            report::delta_count(allocs),
            failures.to_string(),
        ]);
    }
    s.print();
    println!(
        "(total bytes allocated during the request, an upper bound of the scan's peak; the body chunks themselves are kept by reference, not copied.)"
    );
}
