//! Placeholder until the demo lands: issues and verifies one token.
fn main() {
    println!("xsrf examples: the demo app arrives with the demo issue");
}
