//! What a token is bound to.

/// What a token is bound to. A token verifies only against the same binding
/// it was issued for.
///
/// * `subject` — who: a user id, or the anonymous id of a visitor.
/// * `session` — which login: a per-session value that changes when the
///   session is rotated (login, logout), so tokens issued before stop
///   working even for the same user.
/// * `action` — what for (optional): a form name, or a method and path.
///   A token without an action is not valid for an action, and the reverse.
///
/// ```
/// use xsrf_core::Binding;
/// let b = Binding::new("user-42").session("s-1").action("delete-account");
/// assert_eq!(b.action_name(), Some("delete-account"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding<'a> {
    pub(super) subject: &'a str,
    pub(super) session: &'a str,
    pub(super) action: Option<&'a str>,
}

impl<'a> Binding<'a> {
    /// A binding to `subject`, with an empty session and no action.
    pub fn new(subject: &'a str) -> Self {
        Self {
            subject,
            session: "",
            action: None,
        }
    }

    /// Binds to a session value as well.
    #[must_use]
    pub fn session(mut self, session: &'a str) -> Self {
        self.session = session;
        self
    }

    /// Scopes to an action.
    #[must_use]
    pub fn action(mut self, action: &'a str) -> Self {
        self.action = Some(action);
        self
    }

    /// Scopes to an action, or to none.
    #[must_use]
    pub fn maybe_action(mut self, action: Option<&'a str>) -> Self {
        self.action = action;
        self
    }

    /// The action this binding is scoped to.
    pub fn action_name(&self) -> Option<&'a str> {
        self.action
    }
}
