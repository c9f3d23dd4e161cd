//! The demo's reset links over real sockets, as a client that is not a
//! browser would ask for them (a session cookie and the token, no
//! `Origin`): one visitor asking for and using a link, and a flood of
//! requests for links from one address, for the tests of the limit per
//! client address, on each one-time store.

use std::cell::Cell;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::server::{RawClient, RawResponse};

/// The second loopback address: a visitor other than the flooder.
pub const OTHER_ADDRESS: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

/// The value of the page's hidden `xsrf_token` field.
pub fn token_of(page: &str) -> Option<String> {
    let marker = r#"name="xsrf_token" value=""#;
    let start = page.find(marker)? + marker.len();
    page[start..].split('"').next().map(str::to_owned)
}

/// The `/reset/{key}` link of a reset-link page.
pub fn link_of(page: &str) -> Option<String> {
    let start = page.find("href=\"/reset/")? + "href=\"".len();
    page[start..].split('"').next().map(str::to_owned)
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// `GET /` for a session and its token, as the client's first visit.
pub async fn visit(c: &mut RawClient, addr: SocketAddr) -> io::Result<String> {
    let page = c.send(addr, "GET", "/", &[], b"").await?;
    token_of(&page.text()).ok_or_else(|| io::Error::other(format!("no token: {}", page.status)))
}

/// `POST /reset-link` with `token`.
pub async fn ask(c: &mut RawClient, addr: SocketAddr, token: &str) -> io::Result<RawResponse> {
    let body = format!("xsrf_token={token}");
    c.send(addr, "POST", "/reset-link", &[FORM], body.as_bytes())
        .await
}

/// A visitor from `from` asks for a link and uses it as the e-mail's reader
/// would: `GET` the link's form, `POST` it, and `POST` it again. Returns
/// the four statuses (ask, form, first use, second use); the demo answers
/// `200, 200, 200, 403`.
pub async fn ask_and_use(from: IpAddr, addr: SocketAddr) -> io::Result<[u16; 4]> {
    let mut c = RawClient {
        from: Some(from),
        ..RawClient::default()
    };
    let token = visit(&mut c, addr).await?;
    let asked = ask(&mut c, addr, &token).await?;
    let Some(link) = link_of(&asked.text()) else {
        return Ok([asked.status, 0, 0, 0]);
    };
    let form = c.send(addr, "GET", &link, &[], b"").await?;
    let body = b"password=new";
    let first = c.send(addr, "POST", &link, &[FORM], body).await?;
    let second = c.send(addr, "POST", &link, &[FORM], body).await?;
    Ok([asked.status, form.status, first.status, second.status])
}

/// What a flood of `POST /reset-link` got.
#[derive(Debug, Default)]
pub struct Flood {
    /// Answered `200` (a link created).
    pub ok: usize,
    /// Answered `429`, with their `Retry-After` (seconds).
    pub retry_after: Vec<u64>,
    /// Any other answer, or a `429` without a whole-second `Retry-After`.
    pub other: Vec<(u16, String)>,
    /// How long the flood took (to bound what the limit may let through).
    pub elapsed: Duration,
}

impl Flood {
    fn count(&mut self, r: &RawResponse) {
        match (r.status, r.header("retry-after").map(str::parse::<u64>)) {
            (200, _) => self.ok += 1,
            (429, Some(Ok(secs))) => self.retry_after.push(secs),
            _ => self.other.push((r.status, r.text())),
        }
    }

    /// How many were refused with `429`.
    pub fn limited(&self) -> usize {
        self.retry_after.len()
    }
}

/// Floods `POST /reset-link` from the loopback's first address: `same`
/// requests from one session (one token), then `fresh` from a new session
/// each (`GET /` first, which is not limited). `started` is notified at the
/// first `429`, so another client can act while the flood goes on; `sent`
/// counts the requests for links sent so far.
pub async fn flood(
    addr: SocketAddr,
    same: usize,
    fresh: usize,
    started: Rc<Notify>,
    sent: Rc<Cell<usize>>,
) -> io::Result<Flood> {
    let t0 = Instant::now();
    let mut report = Flood::default();
    let mut notified = false;
    let mut note = |report: &mut Flood, r: &RawResponse| {
        report.count(r);
        sent.set(sent.get() + 1);
        if !notified && report.limited() > 0 {
            started.notify_one();
            notified = true;
        }
    };
    let mut one = RawClient::default();
    let token = visit(&mut one, addr).await?;
    for _ in 0..same {
        let r = ask(&mut one, addr, &token).await?;
        note(&mut report, &r);
    }
    for _ in 0..fresh {
        let mut c = RawClient::default();
        let token = visit(&mut c, addr).await?;
        let r = ask(&mut c, addr, &token).await?;
        note(&mut report, &r);
    }
    // Never leave a waiter hanging, even if nothing was limited.
    started.notify_one();
    report.elapsed = t0.elapsed();
    Ok(report)
}

/// A flood from 127.0.0.1 ([`flood`]), and a visitor from 127.0.0.2
/// asking for a link and using it ([`ask_and_use`]) once the flood is
/// being limited and again after it.
#[derive(Debug)]
pub struct Outcome {
    /// What the flood got.
    pub flood: Flood,
    /// The visitor's statuses during the flood.
    pub during: [u16; 4],
    /// Requests for links the flood had sent when the visitor was done
    /// (fewer than all of them: the visit was during the flood).
    pub sent_by_then: usize,
    /// The visitor's statuses after the flood.
    pub after: [u16; 4],
}

/// Runs [`Outcome`]'s flood and visits against the demo at `addr`.
pub async fn flood_while_another_address_visits(
    addr: SocketAddr,
    same: usize,
    fresh: usize,
) -> io::Result<Outcome> {
    let started = Rc::new(Notify::new());
    let sent = Rc::new(Cell::new(0));
    let flooding = actix_web::rt::spawn(flood(
        addr,
        same,
        fresh,
        Rc::clone(&started),
        Rc::clone(&sent),
    ));
    started.notified().await;
    let during = ask_and_use(OTHER_ADDRESS, addr).await?;
    let sent_by_then = sent.get();
    let flood = flooding.await.map_err(io::Error::other)??;
    let after = ask_and_use(OTHER_ADDRESS, addr).await?;
    Ok(Outcome {
        flood,
        during,
        sent_by_then,
        after,
    })
}

/// Checks an [`Outcome`] against a limit of `per_minute` (a burst of that
/// many, then one every `60 / per_minute` s): the flood got at most that
/// many links in its time and `429` with a `Retry-After` of at most the
/// refill interval for the rest, and the visitor from the other address
/// got a working link during the flood and after it. Returns how many
/// links the flood got.
pub fn assert_limited(o: &Outcome, per_minute: u32, requests: usize) -> usize {
    let f = &o.flood;
    assert!(
        f.other.is_empty(),
        "only 200 or 429 with Retry-After: {:?}",
        f.other
    );
    assert_eq!(f.ok + f.limited(), requests);
    let interval = 60 / u64::from(per_minute);
    let refilled = usize::try_from(f.elapsed.as_secs() / interval).unwrap_or(usize::MAX);
    let most = per_minute as usize + refilled + 1;
    assert!(
        f.ok >= per_minute as usize && f.ok <= most,
        "{} links in {:?}: the burst of {per_minute}, at most {most}",
        f.ok,
        f.elapsed
    );
    assert!(
        f.retry_after.iter().all(|s| (1..=interval).contains(s)),
        "Retry-After within the refill interval: {:?}",
        f.retry_after
    );
    assert!(
        o.sent_by_then < requests,
        "the visit ended before the flood: {} of {requests} sent",
        o.sent_by_then
    );
    assert_eq!(
        o.during,
        [200, 200, 200, 403],
        "the visitor during the flood"
    );
    assert_eq!(o.after, [200, 200, 200, 403], "the visitor after the flood");
    f.ok
}

/// The demo's flood from one address: 150 requests from one session and
/// 50 from fresh ones, while a visitor from another address asks for and
/// uses links, checked against the demo's default limit. Logs the figures
/// under `store` and returns how many links the flood got.
pub async fn flood_the_demo(addr: SocketAddr, store: &str) -> usize {
    let (same, fresh) = (150, 50);
    let outcome = flood_while_another_address_visits(addr, same, fresh)
        .await
        .expect("the flood and the visits");
    let per_minute = xsrf_examples::forms::DEFAULT_RESET_LINKS_PER_MINUTE;
    let links = assert_limited(&outcome, per_minute, same + fresh);
    eprintln!(
        "k9 {store}: {} links and {} answers 429 for {} requests in {:?}",
        links,
        outcome.flood.limited(),
        same + fresh,
        outcome.flood.elapsed
    );
    links
}
