//! Token and one-time key costs, against raw HMAC and the `csrf` crate,
#![allow(missing_docs)] // criterion_group! generates undocumented items
//! measured in the same run. Prints ratios at the end.

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use criterion::{Criterion, criterion_group};
use ring::hmac;
use time::OffsetDateTime;
use xsrf_core::{Binding, CreateOptions, MemoryStore, OneTimeKeys, SigningKey, Tokens};

const SUBJECT: &str = "user-1234567890";
const SESSION: &str = "Zm9vYmFyYmF6cXV4cXV1eA";
const ACTION: &str = "POST /comments";

fn setup() -> (SigningKey, Tokens) {
    let key = SigningKey::from_bytes(&[0x5a; 32]).expect("key");
    let tokens = Tokens::builder(key.clone()).build().expect("tokens");
    (key, tokens)
}

fn binding() -> Binding<'static> {
    Binding::new(SUBJECT).session(SESSION).action(ACTION)
}

fn bench(c: &mut Criterion) {
    let (_, tokens) = setup();
    let now = OffsetDateTime::now_utc();
    let b = binding();
    let token = tokens.issue(&b, now);
    let input = xsrf_core::mac_input(token.as_str(), &b).expect("input");
    let raw_key = hmac::Key::new(hmac::HMAC_SHA256, &[0x33; 32]);

    c.bench_function("baseline: two raw ring hmac::sign", |bn| {
        bn.iter(|| {
            let a = hmac::sign(&raw_key, black_box(&input));
            let b2 = hmac::sign(&raw_key, black_box(&input));
            black_box((a, b2))
        })
    });
    c.bench_function("xsrf-core: issue", |bn| {
        bn.iter(|| black_box(tokens.issue(&b, now)))
    });
    c.bench_function("xsrf-core: verify", |bn| {
        bn.iter(|| black_box(tokens.verify(black_box(token.as_str()), &b, now)))
    });
    c.bench_function("xsrf-core: issue+verify", |bn| {
        bn.iter(|| {
            let t = tokens.issue(&b, now);
            black_box(tokens.verify(t.as_str(), &b, now))
        })
    });
    let peer = csrf::HmacCsrfProtection::from_key(*b"01234567012345670123456701234567");
    c.bench_function("peer csrf 0.5: HMAC pair generate+verify", |bn| {
        bn.iter(|| black_box(peer_round(&peer)))
    });
    let keys = OneTimeKeys::new(MemoryStore::default());
    let opts = CreateOptions::new();
    c.bench_function("xsrf-core: one-time create+validate (memory)", |bn| {
        bn.iter(|| black_box(one_time_round(&keys, &opts, now)))
    });
}

fn peer_round(peer: &csrf::HmacCsrfProtection) -> bool {
    use csrf::CsrfProtection;
    let Ok((token, cookie)) = peer.generate_token_pair(None, 3600) else {
        return false;
    };
    let (Ok(t), Ok(c)) = (
        peer.parse_token(token.value()),
        peer.parse_cookie(cookie.value()),
    ) else {
        return false;
    };
    peer.verify_token_pair(&t, &c).is_ok()
}

fn one_time_round(
    keys: &OneTimeKeys<MemoryStore>,
    opts: &CreateOptions,
    now: OffsetDateTime,
) -> bool {
    futures_executor::block_on(async {
        let Ok(key) = keys.create(opts, &(), now).await else {
            return false;
        };
        keys.validate::<()>(key.as_str(), None, now).await.is_ok()
    })
}

/// Median ns per call of `f`, over several timed batches.
fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..15 {
        let n = 20_000;
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        samples.push(start.elapsed().as_nanos() as f64 / n as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// A second, plain measurement of the same work, run right after criterion
/// in the same process, to print the ratios the targets are stated in.
fn ratios() {
    let (_, tokens) = setup();
    let now = OffsetDateTime::now_utc();
    let b = binding();
    let token = tokens.issue(&b, now);
    let input = xsrf_core::mac_input(token.as_str(), &b).expect("input");
    let raw_key = hmac::Key::new(hmac::HMAC_SHA256, &[0x33; 32]);
    let peer = csrf::HmacCsrfProtection::from_key(*b"01234567012345670123456701234567");
    let keys = OneTimeKeys::new(MemoryStore::default());
    let opts = CreateOptions::new();

    let base = median_ns(|| {
        black_box(hmac::sign(&raw_key, black_box(&input)));
        black_box(hmac::sign(&raw_key, black_box(&input)));
    });
    let ours = median_ns(|| {
        let t = tokens.issue(&b, now);
        black_box(tokens.verify(t.as_str(), &b, now)).ok();
    });
    let peer_ns = median_ns(|| {
        black_box(peer_round(&peer));
    });
    let once = median_ns(|| {
        black_box(one_time_round(&keys, &opts, now));
    });
    println!();
    println!("== xsrf-core ratios (same run) ==");
    println!("two raw HMAC-SHA256 (baseline): {base:8.1} ns");
    println!(
        "issue+verify:                   {ours:8.1} ns  = {:.2}x baseline (target <= 1.5x)",
        ours / base
    );
    println!(
        "csrf 0.5 pair generate+verify:  {peer_ns:8.1} ns  = {:.2}x ours (target >= 2x)",
        peer_ns / ours
    );
    println!(
        "one-time create+validate (mem): {once:8.1} ns  = {:.0} per second",
        1e9 / once
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(StdDuration::from_millis(500))
        .measurement_time(StdDuration::from_secs(2));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
