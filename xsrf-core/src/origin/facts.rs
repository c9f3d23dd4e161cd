//! What the policy reads from a request: [`RequestFacts`].

/// The request headers the policy looks at, as raw bytes (a header that is
/// not valid UTF-8 counts as malformed, never as absent).
///
/// ```
/// use xsrf_core::RequestFacts;
/// let facts = RequestFacts::new("POST").origin(b"https://shop.example");
/// assert_eq!(facts.method(), "POST");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestFacts<'a> {
    pub(super) method: &'a str,
    pub(super) host: Option<&'a [u8]>,
    pub(super) origin: Option<&'a [u8]>,
    pub(super) referer: Option<&'a [u8]>,
    pub(super) sec_fetch_site: Option<&'a [u8]>,
    pub(super) websocket: bool,
}

impl<'a> RequestFacts<'a> {
    /// Facts for a request with `method` (case-sensitive, as HTTP says).
    pub fn new(method: &'a str) -> Self {
        Self {
            method,
            ..Self::default()
        }
    }
    /// The `Host` header (or HTTP/2 `:authority`).
    #[must_use]
    pub fn host(mut self, v: &'a [u8]) -> Self {
        self.host = Some(v);
        self
    }
    /// The `Origin` header.
    #[must_use]
    pub fn origin(mut self, v: &'a [u8]) -> Self {
        self.origin = Some(v);
        self
    }
    /// The `Referer` header.
    #[must_use]
    pub fn referer(mut self, v: &'a [u8]) -> Self {
        self.referer = Some(v);
        self
    }
    /// The `Sec-Fetch-Site` header.
    #[must_use]
    pub fn sec_fetch_site(mut self, v: &'a [u8]) -> Self {
        self.sec_fetch_site = Some(v);
        self
    }
    /// Marks a WebSocket handshake (`GET` with `Upgrade: websocket`): it
    /// opens a channel with the user's cookies, so it gets the policy of
    /// an unsafe method although it is a `GET` (cross-site WebSocket
    /// hijacking).
    ///
    /// ```
    /// use xsrf_core::{OriginPolicy, OriginRejection, RequestFacts};
    /// let policy = OriginPolicy::new().site("https://chat.example")?;
    /// let ws = RequestFacts::new("GET").websocket();
    /// assert!(policy.check(&ws.origin(b"https://chat.example")).is_ok());
    /// assert_eq!(policy.check(&ws.origin(b"https://evil.example")), Err(OriginRejection::OriginMismatch));
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    #[must_use]
    pub fn websocket(mut self) -> Self {
        self.websocket = true;
        self
    }
    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }
}
