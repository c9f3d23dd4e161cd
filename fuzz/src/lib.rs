//! What the scanner fuzz targets share: the input is a small header that
//! picks the chunking and the scan limit, then the body. Each body is
//! scanned in one chunk and in the chunks the fuzzer chose; the two runs
//! must agree on the verdict (token value included), and the chunked run
//! may examine at most 3x the bytes of the one-chunk run (attack row T20).

use xsrf_actix::__fuzz::{Body, scan};

/// Splits `data` into (cut points, 1-byte chunks?, limit, body).
fn decode(data: &[u8]) -> Option<(Vec<usize>, bool, usize, &[u8])> {
    let (&head, rest) = data.split_first()?;
    let cuts = usize::from(head & 0x07);
    let tiny = head & 0x08 != 0;
    let small_limit = head & 0x10 != 0;
    let (&limit_byte, rest) = rest.split_first()?;
    if rest.len() < 2 * cuts {
        return None;
    }
    let (cut_bytes, body) = rest.split_at(2 * cuts);
    let mut points: Vec<usize> = cut_bytes
        .chunks(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (body.len() + 1))
        .collect();
    points.sort_unstable();
    let limit = if small_limit {
        16 + 8 * usize::from(limit_byte)
    } else {
        1 << 20
    };
    Some((points, tiny, limit, body))
}

/// Runs one scanner target on `data`.
pub fn check(kind: Body, data: &[u8]) {
    let Some((points, tiny, limit, body)) = decode(data) else {
        return;
    };
    let chunks: Vec<&[u8]> = if tiny {
        body.chunks(1).collect()
    } else {
        let mut out = Vec::with_capacity(points.len() + 1);
        let mut from = 0;
        for p in points {
            out.push(&body[from..p]);
            from = p;
        }
        out.push(&body[from..]);
        out
    };
    let whole = scan(kind, &[body], limit);
    let split = scan(kind, &chunks, limit);
    assert_eq!(
        whole.verdict,
        split.verdict,
        "{kind:?}: one chunk and {} chunks disagree",
        chunks.len()
    );
    assert!(
        split.examined <= 3 * whole.examined.max(1),
        "{kind:?}: {} bytes examined in {} chunks vs {} in one",
        split.examined,
        chunks.len(),
        whole.examined
    );
}
