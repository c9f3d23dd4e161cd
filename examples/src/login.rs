//! Logins with actix-identity over actix-session: sign in, a profile form,
//! sign out — the tokens bound to whoever is signed in.
//!
//! | route | protection | answer |
//! |---|---|---|
//! | `GET /` | sends tokens | the sign-in form, or the profile form and a sign-out button |
//! | `POST /login` | token | `303` to `/` signed in (and the session rotated), `401` on bad credentials |
//! | `POST /profile` | token, signed in | `303` to `/` with the display name changed |
//! | `POST /logout` | token | `303` to `/` signed out (and the session rotated) |
//!
//! How it binds tokens to the user: [`user_fn`] reads the `Identity`, so a
//! signed-in user's tokens carry `user:<name>` and a visitor's an anonymous
//! id. Login and logout call [`Xsrf::rotate`]: every token issued before
//! stops working, so a token an attacker planted before the login (login
//! CSRF, session fixation of tokens) is refused after it. The sign-in form
//! itself needs a token too: an attacker's page that posts it with the
//! attacker's own credentials (to sign the victim into the attacker's
//! account and watch what they type) is refused.
//!
//! The middleware order: `IdentityMiddleware` registered first, as
//! actix-identity's docs ask, `Xsrf`, then `SessionMiddleware` (outermost).
//! Any order of the three works (actix hands every middleware the same
//! session of the request, filled once `SessionMiddleware` runs); this
//! one also lets `Xsrf` notice a forgotten `SessionMiddleware`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use actix_identity::{Identity, IdentityExt as _, IdentityMiddleware};
use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, Error, HttpMessage as _, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use xsrf_actix::{ValidXsrf, Xsrf, XsrfBuilder, XsrfError, XsrfToken};

use crate::support::escape;

/// This example's session cookie (see
/// [`support::cookie_sessions`](crate::support::cookie_sessions)).
pub const SESSION_COOKIE: &str = "login-session";

/// The users of the example and their passwords (a real app checks a
/// password hash in its database).
pub const USERS: [(&str, &str); 2] = [("alice", "wonderland"), ("mallory", "evil")];

/// Display names by user, and every change made, shared by all workers.
#[derive(Debug, Default)]
pub struct Profiles(Mutex<HashMap<String, String>>, Mutex<Vec<String>>);

impl Profiles {
    /// The display name of `user`, if set.
    pub fn name(&self, user: &str) -> Option<String> {
        let names = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        names.get(user).cloned()
    }

    /// Every change so far, as `user=name`, oldest first.
    pub fn changes(&self) -> Vec<String> {
        self.1
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn set(&self, user: &str, name: String) {
        let mut changes = self.1.lock().unwrap_or_else(PoisonError::into_inner);
        changes.push(format!("{user}={name}"));
        let mut names = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        names.insert(user.to_owned(), name);
    }
}

/// The `user_fn` of this app: the signed-in user's name from the
/// `Identity`, `None` for a visitor.
///
/// `IdentityMiddleware` must wrap every route the `Xsrf` configuration
/// serves (actix-identity panics otherwise); it does in [`app`].
pub fn user_fn(req: &HttpRequest) -> Option<String> {
    req.get_identity().ok().and_then(|id| id.id().ok())
}

/// The settings this app needs on top of the usual ones: the user from
/// the `Identity`.
pub fn configure(builder: XsrfBuilder) -> XsrfBuilder {
    builder.user_fn(user_fn)
}

/// The app. `xsrf` must be built with [`configure`] (or `.user_fn(user_fn)`).
pub fn app<S: SessionStore + 'static>(
    xsrf: Xsrf,
    profiles: web::Data<Profiles>,
    sessions: SessionMiddleware<S>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(profiles)
        .wrap(IdentityMiddleware::default())
        .wrap(xsrf)
        .wrap(sessions)
        .route("/", web::get().to(page))
        .route("/login", web::post().to(login))
        .route("/profile", web::post().to(profile))
        .route("/logout", web::post().to(logout))
}

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>xsrf logins</title></head><body>{body}</body></html>"
        ))
}

fn see_root() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

async fn page(
    identity: Option<Identity>,
    token: XsrfToken,
    profiles: web::Data<Profiles>,
) -> HttpResponse {
    let token = token.hidden_input();
    let user = identity.and_then(|i| i.id().ok());
    let body = match user {
        None => format!(
            r#"<h1>Sign in</h1>
<form id="login" method="post" action="/login">{token}
<label>User <input name="username" id="username"></label>
<label>Password <input name="password" id="password" type="password"></label>
<button id="login-submit">Sign in</button></form>"#
        ),
        Some(user) => {
            let name = profiles.name(&user).unwrap_or_default();
            format!(
                r#"<h1>Signed in as <span id="user">{user}</span></h1>
<p>Display name: <span id="display-name">{name}</span></p>
<form id="profile" method="post" action="/profile">{token}
<label>Display name <input name="display_name" id="display_name"></label>
<button id="profile-submit">Save</button></form>
<form id="logout" method="post" action="/logout">{token}
<button id="logout-submit">Sign out</button></form>"#,
                user = escape(&user),
                name = escape(&name),
            )
        }
    };
    html(actix_web::http::StatusCode::OK, body)
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// Signs in. The token check comes first (`ValidXsrf`): a forged sign-in
/// (login CSRF) never reaches the credentials.
async fn login(
    req: HttpRequest,
    _: ValidXsrf,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, Error> {
    let known = USERS
        .iter()
        .any(|(u, p)| *u == form.username && *p == form.password);
    if !known {
        return Ok(html(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "<p id=\"error\">Unknown user or wrong password.</p><a href=\"/\">Back</a>".to_owned(),
        ));
    }
    Identity::login(&req.extensions(), form.username.clone())?;
    // New session salt and anonymous id: every token from before the
    // sign-in stops working.
    Xsrf::for_request(&req)?.rotate(&req).await?;
    Ok(see_root())
}

#[derive(Deserialize)]
struct ProfileForm {
    display_name: String,
}

async fn profile(
    _: ValidXsrf,
    identity: Identity,
    form: web::Form<ProfileForm>,
    profiles: web::Data<Profiles>,
) -> Result<HttpResponse, Error> {
    let user = identity.id().map_err(actix_web::error::ErrorUnauthorized)?;
    let name: String = form.into_inner().display_name.chars().take(100).collect();
    profiles.set(&user, name);
    Ok(see_root())
}

/// Signs out. `Identity::logout` purges the session; `rotate` after it
/// still deletes the old session's one-time keys, because the token check
/// read the state first. (Either order works.)
async fn logout(
    req: HttpRequest,
    _: ValidXsrf,
    identity: Option<Identity>,
) -> Result<HttpResponse, XsrfError> {
    if let Some(identity) = identity {
        identity.logout();
    }
    Xsrf::for_request(&req)?.rotate(&req).await?;
    Ok(see_root())
}
