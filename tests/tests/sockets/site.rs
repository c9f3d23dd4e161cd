//! A visitor of a test server: a session, a token, and the origin its
//! pages are served from.

use std::net::SocketAddr;

use xsrf_tests::server::RawClient;

/// A visitor with a session and a token.
pub(crate) struct Site {
    pub(crate) addr: SocketAddr,
    pub(crate) client: RawClient,
    pub(crate) token: String,
    /// `http://{addr}`: the servers here have no site origin, so `Origin`
    /// is compared with `Host`.
    pub(crate) origin: String,
}

/// Visits the server at `addr`: its session cookie and a token.
pub(crate) async fn visit(addr: SocketAddr) -> Site {
    let mut client = RawClient::default();
    let token = client.token(addr).await.expect("token");
    Site {
        addr,
        client,
        token,
        origin: format!("http://{addr}"),
    }
}
