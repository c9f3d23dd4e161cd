//! The MAC over a token's header and its binding: what it covers, and
//! signing and checking it.

use ring::hmac;

use super::binding::Binding;
use super::codec::{HEADER_LEN, decode};

/// Somewhere the MAC input is written to: a stack buffer, a running HMAC
/// context, or a `Vec` (for benchmarks).
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for hmac::Context {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// A fixed stack buffer; `None` once the input does not fit.
struct Stack<'b> {
    buf: &'b mut [u8],
    len: Option<usize>,
}

impl Sink for Stack<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.len = self.len.and_then(|len| {
            let end = len.checked_add(bytes.len())?;
            self.buf.get_mut(len..end)?.copy_from_slice(bytes);
            Some(end)
        });
    }
}

/// Writes header, then each bound value with its length (and the action's
/// presence) so that field boundaries are unambiguous.
fn write_input(sink: &mut impl Sink, header: &[u8], binding: &Binding<'_>) {
    sink.put(header);
    for value in [binding.subject, binding.session] {
        sink.put(&(value.len() as u64).to_be_bytes());
        sink.put(value.as_bytes());
    }
    match binding.action {
        None => sink.put(&[0]),
        Some(action) => {
            sink.put(&[1]);
            sink.put(&(action.len() as u64).to_be_bytes());
            sink.put(action.as_bytes());
        }
    }
}

pub(super) fn mac(key: &hmac::Key, header: &[u8], binding: &Binding<'_>) -> hmac::Tag {
    let mut buf = [0u8; STACK_INPUT];
    match stack_input(&mut buf, header, binding) {
        Some(input) => hmac::sign(key, input),
        None => long_mac(key, header, binding),
    }
}

/// Whether `tag` is the MAC of the input, compared in constant time (by
/// ring's `verify` for the common, stack-held input).
pub(super) fn mac_matches(
    key: &hmac::Key,
    header: &[u8],
    binding: &Binding<'_>,
    tag: &[u8],
) -> bool {
    let mut buf = [0u8; STACK_INPUT];
    match stack_input(&mut buf, header, binding) {
        Some(input) => hmac::verify(key, input, tag).is_ok(),
        None => crate::secret_eq(long_mac(key, header, binding).as_ref(), tag),
    }
}

/// Typical inputs are ~100 bytes: one contiguous `sign` over a stack copy
/// is cheaper than feeding an HMAC context seven small slices.
const STACK_INPUT: usize = 256;

fn stack_input<'b>(
    buf: &'b mut [u8; STACK_INPUT],
    header: &[u8],
    binding: &Binding<'_>,
) -> Option<&'b [u8]> {
    let mut stack = Stack {
        buf: &mut buf[..],
        len: Some(0),
    };
    write_input(&mut stack, header, binding);
    let len = stack.len?;
    buf.get(..len)
}

/// Inputs too long for the stack (a very long user id or action).
fn long_mac(key: &hmac::Key, header: &[u8], binding: &Binding<'_>) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    write_input(&mut ctx, header, binding);
    ctx.sign()
}

/// The exact bytes the MAC of a token covers, for benchmarks that compare
/// against raw HMAC over the same input.
#[doc(hidden)]
pub fn mac_input(token: &str, binding: &Binding<'_>) -> Option<Vec<u8>> {
    let raw = decode(token).ok()?;
    let mut out = Vec::new();
    write_input(&mut out, &raw[..HEADER_LEN], binding);
    Some(out)
}
