//! The urlencoded body scanner: any chunking gives the one-chunk answer, at most
//! 3x the bytes examined.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xsrf_actix::__fuzz::Body;

fuzz_target!(|data: &[u8]| xsrf_fuzz::check(Body::Urlencoded, data));
