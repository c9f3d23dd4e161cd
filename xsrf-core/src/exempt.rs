//! Exemptions: routes that must accept requests from anywhere, matched on
//! the raw request path (see [`Exemptions`]).

use std::fmt;

use crate::ConfigError;

/// One exemption rule: an optional method and an exact path or a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExemptRule {
    method: Option<String>,
    path: String,
}

impl ExemptRule {
    /// Parses `PATH` or `METHOD PATH` (see [`Exemptions`]).
    ///
    /// ```
    /// use xsrf_core::ExemptRule;
    /// let r = ExemptRule::parse("POST /webhooks/")?;
    /// assert_eq!(r.method(), Some("POST"));
    /// assert!(r.is_prefix());
    /// assert!(ExemptRule::parse("/webhooks/../admin").is_err());
    /// assert!(ExemptRule::parse("post /x").is_err());
    /// # Ok::<(), xsrf_core::ConfigError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let bad = |reason| ConfigError::BadExemption {
            value: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        let (method, path) = match trimmed.split_once(' ') {
            Some((m, p)) => (Some(m), p.trim_start()),
            None => (None, trimmed),
        };
        if let Some(m) = method {
            let token = !m.is_empty()
                && m.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
            if !token {
                return Err(bad("the method must be an HTTP method in capitals (POST)"));
            }
        }
        if !is_canonical(path) {
            return Err(bad(
                "the path must start with `/` and contain no `%`, `;`, `\\`, `//`, `.` or `..` segment, or space",
            ));
        }
        if path == "/" {
            return Err(bad(
                "`/` would exempt every route; turn the checks off instead if that is meant",
            ));
        }
        Ok(Self {
            method: method.map(str::to_owned),
            path: path.to_owned(),
        })
    }

    /// The method this rule is limited to, if any.
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// The path or prefix.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the path is a prefix (ends in `/`).
    pub fn is_prefix(&self) -> bool {
        self.path.ends_with('/')
    }

    /// Whether the rule covers this method and canonical path.
    fn covers(&self, method: &str, path: &str) -> bool {
        if self.method.as_deref().is_some_and(|m| m != method) {
            return false;
        }
        if self.is_prefix() {
            path.starts_with(&self.path)
        } else {
            path == self.path
        }
    }
}

impl fmt::Display for ExemptRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            Some(m) => write!(f, "{m} {}", self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// A list of [`ExemptRule`]s, parsed once at configuration: routes that
/// must accept requests from anywhere (webhooks, OAuth/SAML callbacks,
/// health probes), matched on the raw request path.
///
/// # Rules
///
/// A rule is `PATH` or `METHOD PATH`:
///
/// * `PATH` ending in `/` is a **prefix** matched on segment boundaries:
///   `/webhooks/` covers `/webhooks/` and `/webhooks/stripe/x`, never
///   `/webhooks` nor `/webhooksx`.
/// * `PATH` not ending in `/` is an **exact** path: `/health` covers
///   `/health` only, not `/health/` nor `/health/x`.
/// * `METHOD PATH` (`POST /webhooks/stripe`) covers that method only.
///   Methods are case-sensitive, as in HTTP; write them in capitals.
///
/// Paths compare byte for byte, case-sensitively (as actix routes).
///
/// # The canonical-path rule
///
/// Something between the client and the handler (actix's own
/// percent-decoding of route paths, `NormalizePath`, a proxy) may turn one
/// path into another. A request is exempt only when its **raw** path is
/// already in the one spelling nothing rewrites, so no trick can carry a
/// protected route's request under an exempt rule. The raw path must:
///
/// 1. start with `/`;
/// 2. contain no `%` at all (no percent-encoding: `%2F`, `%2e`, `%77`…),
///    no `;` (path parameters that some servers strip) and no `\`; only
///    letters, digits, `-._~`, `!$&'()*+,=:@` and `/` (RFC 3986 `pchar`
///    without `%` and `;`);
/// 3. have no empty segment (`//`) and no `.` or `..` segment, anywhere.
///
/// A path that breaks the rule is simply not exempt: the request gets the
/// full checks, like any other. Rules themselves must obey the same rule
/// (checked when they are parsed).
///
/// ```
/// use xsrf_core::Exemptions;
///
/// let ex = Exemptions::new()
///     .rule("/webhooks/")?
///     .rule("POST /oauth/callback")?;
/// assert!(ex.find("POST", "/webhooks/stripe").is_some());
/// assert!(ex.find("PUT", "/oauth/callback").is_none());
/// assert!(ex.find("POST", "/webhooks/../admin").is_none());
/// assert!(ex.find("POST", "/%77ebhooks/stripe").is_none());
/// assert_eq!(ex.find("POST", "/oauth/callback").map(|r| r.to_string()),
///            Some("POST /oauth/callback".to_owned()));
/// # Ok::<(), xsrf_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Exemptions {
    rules: Vec<ExemptRule>,
}

impl Exemptions {
    /// No exemptions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a rule (`PATH` or `METHOD PATH`).
    pub fn rule(mut self, text: &str) -> Result<Self, ConfigError> {
        self.rules.push(ExemptRule::parse(text)?);
        Ok(self)
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules, in the order they were added.
    pub fn rules(&self) -> &[ExemptRule] {
        &self.rules
    }

    /// The first rule that exempts a request with this method and raw
    /// path (without the query), or `None`. A path that is not canonical
    /// (see [`Exemptions`]) is never exempt.
    pub fn find(&self, method: &str, raw_path: &str) -> Option<&ExemptRule> {
        if self.rules.is_empty() || !is_canonical(raw_path) {
            return None;
        }
        self.rules.iter().find(|r| r.covers(method, raw_path))
    }
}

/// Whether a raw path is in the one spelling that nothing between client
/// and handler rewrites (see [`Exemptions`]).
///
/// ```
/// use xsrf_core::is_canonical_path;
/// assert!(is_canonical_path("/webhooks/stripe"));
/// assert!(is_canonical_path("/"));
/// for trick in ["/webhooks/../admin", "//webhooks/x", "/webhooks%2F..", "/webhooks;x", "/a/./b", "webhooks"] {
///     assert!(!is_canonical_path(trick), "{trick}");
/// }
/// ```
pub fn is_canonical_path(path: &str) -> bool {
    is_canonical(path)
}

fn is_canonical(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    if !rest.bytes().all(is_plain) {
        return false;
    }
    let mut segments = rest.split('/').peekable();
    while let Some(seg) = segments.next() {
        let last = segments.peek().is_none();
        // Only the last segment may be empty: `/` itself, or a trailing `/`.
        if (seg.is_empty() && !last) || seg == "." || seg == ".." {
            return false;
        }
    }
    true
}

/// RFC 3986 `pchar` without `%` and `;`, plus `/`.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,=:@/".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go 1.25's `TestCrossOriginProtectionPatternBypass`, in our rule
    /// syntax (Go's `{foo}` wildcard pattern has no equivalent here; a
    /// dynamic route is exempted by its actix route name instead), plus
    /// the path tricks of row O13.
    #[test]
    fn o13_pattern_bypass_table_mirrors_go() {
        let ex = Exemptions::new()
            .rule("/bypass/")
            .and_then(|e| e.rule("/no-trailing"))
            .and_then(|e| e.rule("/yes-trailing/"))
            .and_then(|e| e.rule("PUT /put-only/"))
            .and_then(|e| e.rule("GET /get-only/"))
            .and_then(|e| e.rule("POST /post-only/"))
            .and_then(|e| e.rule("/webhooks/"))
            .expect("rules");
        let cases: &[(&str, bool)] = &[
            ("/bypass/", true),
            ("/bypass/bar", true),
            ("/api/", false),
            // Go: "redirect to bypass path without .."
            ("/foo/../bypass/bar", false),
            // Go: "redirect to bypass path with trailing slash"
            ("/bypass", false),
            ("/foo/../api/bar", false),
            ("/api", false),
            // go.dev/issue/75054
            ("/no-trailing", true),
            ("/no-trailing/", false),
            ("/yes-trailing/", true),
            ("/yes-trailing", false),
            // Method-specific, all requests here are POST.
            ("/post-only/", true),
            ("/put-only/", false),
            ("/get-only/", false),
            // Row O13's tricks.
            ("/webhooks/x", true),
            ("/webhooks/../admin", false),
            ("/webhooks/./x", false),
            ("//webhooks/x", false),
            ("/webhooks//x", false),
            ("/webhooks%2F..", false),
            ("/webhooks%2f../admin", false),
            ("/%77ebhooks/x", false),
            ("/webhooks/%2e%2e/admin", false),
            ("/WEBHOOKS/x", false),
            ("/Webhooks/x", false),
            ("/webhooks;x", false),
            ("/webhooks;/x", false),
            ("/webhooks.", false),
            ("/webhooks./x", false),
            ("/x/../webhooks/", false),
            ("/webhooks\\..\\admin", false),
            ("/webhooks", false),
            ("webhooks/x", false),
            ("", false),
        ];
        for &(path, exempt) in cases {
            assert_eq!(ex.find("POST", path).is_some(), exempt, "POST {path}");
        }
        assert!(ex.find("PUT", "/put-only/x").is_some());
        assert!(ex.find("GET", "/get-only/").is_some());
        assert!(ex.find("DELETE", "/post-only/").is_none());
    }

    #[test]
    fn the_matched_rule_is_reported() {
        let ex = Exemptions::new()
            .rule("POST /webhooks/stripe")
            .and_then(|e| e.rule("/webhooks/"))
            .expect("rules");
        let hit = |m, p| ex.find(m, p).map(ToString::to_string);
        assert_eq!(
            hit("POST", "/webhooks/stripe").as_deref(),
            Some("POST /webhooks/stripe")
        );
        assert_eq!(
            hit("PUT", "/webhooks/stripe").as_deref(),
            Some("/webhooks/")
        );
    }

    #[test]
    fn bad_rules_are_refused() {
        for bad in [
            "",
            "webhooks/",
            "/webhooks/../admin",
            "//webhooks/",
            "/webhooks/%2F",
            "/a;b",
            "/a/./b",
            "post /x",
            "PO ST /x",
            "POST",
            "/a b",
        ] {
            assert!(
                matches!(
                    ExemptRule::parse(bad),
                    Err(ConfigError::BadExemption { .. })
                ),
                "{bad:?}"
            );
        }
        let r = ExemptRule::parse("  DELETE   /x/ ").expect("rule");
        assert_eq!(r.to_string(), "DELETE /x/");
        assert!(r.is_prefix());
        assert!(ExemptRule::parse("/").is_err());
    }
}
