//! `Xsrf::issue`: tokens for the current subject, and the fresh token a
//! check queues when the one it accepted is past half its life.

use actix_web::HttpRequest;
use actix_web::http::header::HeaderValue;
use xsrf_core::{Binding, Token};

use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::state::{self, PerRequest, State, Subject};

impl Xsrf {
    /// Issues a fresh token for the subject of `req` (the user from
    /// `user_fn`, else the session's anonymous id, creating the session
    /// state on first use), scoped to `action` if given.
    ///
    /// When the token cookie is configured it is queued for the response.
    ///
    /// The one way to send a token is an [`XsrfToken`](crate::XsrfToken)
    /// argument or `#[send_token]`, which call this; call it yourself
    /// where neither fits, in code that holds only the request.
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse};
    /// use xsrf_actix::{Xsrf, XsrfError};
    ///
    /// // A helper shared by handlers, with the request and nothing else.
    /// fn token_header(req: &HttpRequest) -> Result<HttpResponse, XsrfError> {
    ///     let token = Xsrf::for_request(req)?.issue(req, None)?;
    ///     Ok(HttpResponse::NoContent().insert_header(("X-XSRF-Token", token.as_str())).finish())
    /// }
    /// ```
    pub fn issue(&self, req: &HttpRequest, action: Option<&str>) -> Result<Token, XsrfError> {
        let state = state::load_or_create(self, req).map_err(|e| self.error(req, e))?;
        let subject = self.subject(req, &state);
        let binding = Binding::new(subject.as_str())
            .session(state.salt.as_str())
            .maybe_action(action);
        let token = self.inner.tokens.issue(&binding, self.inner.clock.now());
        // Readable by scripts on purpose: Angular and axios copy it into the
        // X-XSRF-TOKEN header. SameSite=Lax keeps it off cross-site
        // subrequests.
        let cookie = self
            .inner
            .token_cookie
            .send
            .then(|| state::token_cookie(self, token.as_str()));
        PerRequest::write(req, |p| {
            p.pending.token_issued = true;
            if cookie.is_some() {
                p.pending.token_cookie = cookie;
            }
        });
        Ok(token)
    }

    /// Queues a fresh token for the response to a request whose token was
    /// due for a refresh: in the token header (unless the handler sends one
    /// itself), and in the token cookie when configured and the token is
    /// not scoped to an action (the cookie is the app-wide token scripts
    /// copy into every request).
    pub(crate) fn queue_refresh(
        &self,
        req: &HttpRequest,
        state: &State,
        subject: &Subject,
        action: Option<&str>,
    ) -> Result<(), XsrfError> {
        let binding = Binding::new(subject.as_str())
            .session(state.salt.as_str())
            .maybe_action(action);
        let token = self.inner.tokens.issue(&binding, self.inner.clock.now());
        let value = HeaderValue::from_str(token.as_str())
            .map_err(|_| XsrfError::session("token is not a header value"))?;
        let cookie = (self.inner.token_cookie.send && action.is_none())
            .then(|| state::token_cookie(self, token.as_str()));
        PerRequest::write(req, |p| {
            p.pending.token_issued = true;
            p.pending.refreshed = Some((self.inner.transport.header.clone(), value));
            if cookie.is_some() {
                p.pending.token_cookie = cookie;
            }
        });
        tracing::debug!("XSRF token refreshed");
        Ok(())
    }

    /// The user from `user_fn`, else the session's anonymous id.
    pub(crate) fn subject(&self, req: &HttpRequest, state: &State) -> Subject {
        match self.inner.user_fn.as_ref().and_then(|f| f(req)) {
            Some(user) => Subject::user(&user),
            None => Subject::anon(&state.anon),
        }
    }
}
