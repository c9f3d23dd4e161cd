//! Searching a short needle across chunks, each byte examined a bounded
//! number of times whatever the chunking.

use memchr::memmem;

/// Finds a short needle (a multipart delimiter, the end of a header block)
/// in a stream of chunks, examining each byte a bounded number of times
/// whatever the chunking.
///
/// Inside a chunk the search is `memmem` (fast, vectorised). What crosses a
/// chunk border is carried as `matched`: how long a prefix of the needle
/// the bytes seen so far end with (the state of a Knuth–Morris–Pratt
/// automaton). A chunk that starts inside a partial match is stepped byte
/// by byte until the match completes or falls back to nothing; then
/// `memmem` takes over. After a miss, only the chunk's last
/// `needle.len() - 1` bytes are stepped to find the new `matched`.
#[derive(Debug, Clone)]
pub(super) struct Seeker {
    finder: memmem::Finder<'static>,
    /// KMP failure function: `fail[k]` is the length of the longest proper
    /// prefix of `needle[..=k]` that is also its suffix.
    fail: Box<[usize]>,
    matched: usize,
}

impl Seeker {
    pub(super) fn new(needle: &[u8]) -> Self {
        let mut fail = vec![0; needle.len()];
        let mut k = 0;
        for i in 1..needle.len() {
            while k > 0 && needle[i] != needle[k] {
                k = fail[k - 1];
            }
            if needle[i] == needle[k] {
                k += 1;
            }
            fail[i] = k;
        }
        Self {
            finder: memmem::Finder::new(needle).into_owned(),
            fail: fail.into_boxed_slice(),
            matched: 0,
        }
    }

    pub(super) fn needle(&self) -> &[u8] {
        self.finder.needle()
    }

    /// Forget any partial match; start as if `prefix` bytes of the needle
    /// had just been seen (a virtual CRLF before the first boundary).
    pub(super) fn reset(&mut self, prefix: usize) {
        self.matched = prefix.min(self.needle().len().saturating_sub(1));
    }

    /// One automaton step; counts the comparisons made.
    pub(super) fn step(&mut self, b: u8, examined: &mut usize) {
        let needle = self.finder.needle();
        *examined += 1;
        while self.matched > 0 && needle[self.matched] != b {
            self.matched = self.fail[self.matched - 1];
            *examined += 1;
        }
        if needle[self.matched] == b {
            self.matched += 1;
        }
    }

    /// Looks for the end of the needle in `hay`, continuing any partial
    /// match from earlier chunks. Returns the index just past the match.
    pub(super) fn find(&mut self, hay: &[u8], examined: &mut usize) -> Option<usize> {
        let m = self.needle().len();
        let mut i = 0;
        // Continue (or, for a piece too short to hold the needle, do) the
        // match byte by byte: each byte costs one step.
        while i < hay.len() && (self.matched > 0 || hay.len() - i < m) {
            self.step(hay[i], examined);
            i += 1;
            if self.matched == m {
                self.matched = 0;
                return Some(i);
            }
        }
        if i == hay.len() {
            return None;
        }
        // No partial match pending: memmem over the rest.
        let rest = &hay[i..];
        if let Some(j) = self.finder.find(rest) {
            *examined += j + m;
            return Some(i + j + m);
        }
        *examined += rest.len();
        // Which needle prefix does the chunk end with? It lies in the last
        // m - 1 bytes (a full match would have been found).
        let tail = rest.len().saturating_sub(m - 1);
        for &b in &rest[tail..] {
            self.step(b, examined);
        }
        None
    }
}
