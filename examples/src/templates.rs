//! One small app per template engine (askama, maud, minijinja, Tera 2 and
//! Tera 1):
//! the same routes and page, each page rendered by its engine, which
//! writes the token's hidden field in one expression and the raw token
//! into a `<meta>` tag.
//!
//! | route | protection | answer |
//! |---|---|---|
//! | `GET /` | sends a token | page with comments and a form (`xsrf_token`, `body`) |
//! | `POST /comments` | token (form field or header) | `303` to `/`, else `403` |
//! | `POST /clear` | token for the action `clear-comments` | `303` to `/` (all comments gone), else `403` |
//!
//! The one line each template spends on the field:
//!
//! | engine | hidden field | raw token |
//! |---|---|---|
//! | askama | `{{ xsrf.field() }}` | `{{ xsrf }}` |
//! | maud | `(xsrf.field())` | `(xsrf)` |
//! | minijinja | `{{ xsrf.field }}` | `{{ xsrf }}` |
//! | tera | `{{ xsrf.field }}` | `{{ xsrf.token }}` |
//! | tera1 | `{{ xsrf.field \| safe }}` | `{{ xsrf.token }}` |
//!
//! The "clear" form carries a token scoped to its action
//! ([`XsrfToken::for_action`]), written the same way (`clear.field()`,
//! `clear.field`).

use actix_session::SessionMiddleware;
use actix_session::storage::SessionStore;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{App, Error, HttpRequest, HttpResponse, HttpServer, cookie, web};
use serde::Deserialize;
use xsrf_actix::{Xsrf, XsrfError, XsrfToken, handle_token, send_token};

use crate::forms::{self, Comments, MAX_BODY};
use crate::support;

/// The template engines with an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// askama: templates compiled into the binary by a derive.
    Askama,
    /// maud: HTML written as a Rust macro.
    Maud,
    /// minijinja: Jinja2 templates loaded at run time.
    Minijinja,
    /// tera: Jinja2-like templates loaded at run time (Tera 2).
    Tera,
    /// Tera 1, which most existing tera apps run: no safe values, so the
    /// field is written `{{ xsrf.field | safe }}`.
    Tera1,
}

impl Engine {
    /// Every engine, in the order the binaries' default ports follow.
    pub const ALL: [Engine; 5] = [
        Engine::Askama,
        Engine::Maud,
        Engine::Minijinja,
        Engine::Tera,
        Engine::Tera1,
    ];

    /// The engine's crate name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Askama => "askama",
            Engine::Maud => "maud",
            Engine::Minijinja => "minijinja",
            Engine::Tera => "tera",
            Engine::Tera1 => "tera1",
        }
    }

    /// The session cookie of this engine's example: each example has its
    /// own, so several of them (and the demo, whose cookie is `id`) open
    /// in one browser on 127.0.0.1 do not overwrite each other's session
    /// (cookies ignore ports).
    pub fn session_cookie(self) -> &'static str {
        match self {
            Engine::Askama => "askama-session",
            Engine::Maud => "maud-session",
            Engine::Minijinja => "minijinja-session",
            Engine::Tera => "tera-session",
            Engine::Tera1 => "tera1-session",
        }
    }

    /// The binary's default address.
    pub fn default_bind(self) -> &'static str {
        match self {
            Engine::Askama => "127.0.0.1:8082",
            Engine::Maud => "127.0.0.1:8083",
            Engine::Minijinja => "127.0.0.1:8084",
            Engine::Tera => "127.0.0.1:8085",
            Engine::Tera1 => "127.0.0.1:8087",
        }
    }
}

/// An engine with its templates loaded (the run-time engines parse them
/// once, at start).
pub struct Renderer {
    engine: Engine,
    minijinja: minijinja::Environment<'static>,
    tera: tera::Tera,
    tera1: tera1::Tera,
}

impl Renderer {
    /// Loads the templates of `engine`.
    pub fn new(engine: Engine) -> Result<Renderer, String> {
        let mut minijinja = minijinja::Environment::new();
        let mut tera = tera::Tera::default();
        let mut tera1 = tera1::Tera::default();
        match engine {
            Engine::Minijinja => minijinja
                .add_template("page.html", MINIJINJA_PAGE)
                .map_err(|e| e.to_string())?,
            Engine::Tera => tera
                .add_raw_template("page.html", TERA_PAGE)
                .map_err(|e| e.to_string())?,
            // Tera 2's page but for `| safe` on the fields: Tera 1 escapes
            // every value it prints unless told.
            Engine::Tera1 => tera1
                .add_raw_template(
                    "page.html",
                    &TERA_PAGE
                        .replace("{{ xsrf.field }}", "{{ xsrf.field | safe }}")
                        .replace("{{ clear.field }}", "{{ clear.field | safe }}"),
                )
                .map_err(|e| e.to_string())?,
            Engine::Askama | Engine::Maud => {}
        }
        Ok(Renderer {
            engine,
            minijinja,
            tera,
            tera1,
        })
    }

    /// The page: comments, the comment form with `xsrf` in it, and the
    /// "clear" form with `clear` (a token for [`CLEAR_ACTION`]).
    pub fn page(
        &self,
        xsrf: &XsrfToken,
        clear: &XsrfToken,
        comments: &[String],
    ) -> Result<String, String> {
        let engine = self.engine.name();
        match self.engine {
            Engine::Askama => {
                use askama::Template as _;
                AskamaPage {
                    xsrf,
                    clear,
                    comments,
                    engine,
                    max_body: MAX_BODY,
                }
                .render()
                .map_err(|e| e.to_string())
            }
            Engine::Maud => Ok(maud_page(xsrf, clear, comments, engine).into_string()),
            Engine::Minijinja => self
                .minijinja
                .get_template("page.html")
                .and_then(|t| {
                    t.render(minijinja::context! {
                        xsrf => xsrf,
                        clear => clear,
                        comments => comments.to_vec(),
                        engine => engine,
                        max_body => MAX_BODY,
                    })
                })
                .map_err(|e| e.to_string()),
            Engine::Tera => {
                let mut ctx = tera::Context::new();
                ctx.insert_value("xsrf", tera::Value::from(xsrf));
                ctx.insert_value("clear", tera::Value::from(clear));
                ctx.insert("comments", comments);
                ctx.insert("engine", engine);
                ctx.insert("max_body", &MAX_BODY);
                self.tera
                    .render("page.html", &ctx)
                    .map_err(|e| e.to_string())
            }
            Engine::Tera1 => {
                let mut ctx = tera1::Context::new();
                ctx.insert("xsrf", &tera1::Value::from(xsrf));
                ctx.insert("clear", &tera1::Value::from(clear));
                ctx.insert("comments", comments);
                ctx.insert("engine", engine);
                ctx.insert("max_body", &MAX_BODY);
                self.tera1
                    .render("page.html", &ctx)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

#[derive(askama::Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="xsrf-token" content="{{ xsrf }}">
<title>xsrf with {{ engine }}</title></head>
<body>
<h1>Comments ({{ engine }})</h1>
<ul id="comments">
{% for c in comments %}<li class="comment">{{ c }}</li>
{% endfor %}</ul>
<form method="post" action="/comments">
{{ xsrf.field() }}
<input id="body" type="text" name="body" maxlength="{{ max_body }}" required>
<button id="submit" type="submit">Post</button>
</form>
<form method="post" action="/clear">
{{ clear.field() }}
<button id="clear" type="submit">Clear all</button>
</form>
</body></html>
"#
)]
struct AskamaPage<'a> {
    xsrf: &'a XsrfToken,
    clear: &'a XsrfToken,
    comments: &'a [String],
    engine: &'a str,
    max_body: usize,
}

fn maud_page(
    xsrf: &XsrfToken,
    clear: &XsrfToken,
    comments: &[String],
    engine: &str,
) -> maud::Markup {
    maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="xsrf-token" content=(xsrf);
                title { "xsrf with " (engine) }
            }
            body {
                h1 { "Comments (" (engine) ")" }
                ul #comments {
                    @for c in comments { li.comment { (c) } }
                }
                form method="post" action="/comments" {
                    (xsrf.field())
                    input #body type="text" name="body" maxlength=(MAX_BODY) required;
                    button #submit type="submit" { "Post" }
                }
                form method="post" action="/clear" {
                    (clear.field())
                    button #clear type="submit" { "Clear all" }
                }
            }
        }
    }
}

const MINIJINJA_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="xsrf-token" content="{{ xsrf }}">
<title>xsrf with {{ engine }}</title></head>
<body>
<h1>Comments ({{ engine }})</h1>
<ul id="comments">
{% for c in comments %}<li class="comment">{{ c }}</li>
{% endfor %}</ul>
<form method="post" action="/comments">
{{ xsrf.field }}
<input id="body" type="text" name="body" maxlength="{{ max_body }}" required>
<button id="submit" type="submit">Post</button>
</form>
<form method="post" action="/clear">
{{ clear.field }}
<button id="clear" type="submit">Clear all</button>
</form>
</body></html>
"#;

const TERA_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="xsrf-token" content="{{ xsrf.token }}">
<title>xsrf with {{ engine }}</title></head>
<body>
<h1>Comments ({{ engine }})</h1>
<ul id="comments">
{% for c in comments %}<li class="comment">{{ c }}</li>
{% endfor %}</ul>
<form method="post" action="/comments">
{{ xsrf.field }}
<input id="body" type="text" name="body" maxlength="{{ max_body }}" required>
<button id="submit" type="submit">Post</button>
</form>
<form method="post" action="/clear">
{{ clear.field }}
<button id="clear" type="submit">Clear all</button>
</form>
</body></html>
"#;

/// The app of one engine, ready for `HttpServer::new` or `actix_web::test`.
/// The run-time engines parse their template here, once per worker; a
/// template that does not parse makes every page a `500` (and
/// [`serve`] refuses to start).
pub fn app<S: SessionStore + 'static>(
    engine: Engine,
    xsrf: Xsrf,
    comments: web::Data<Comments>,
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
    let renderer: Loaded = (engine, Renderer::new(engine));
    App::new()
        .app_data(web::Data::new(renderer))
        .app_data(comments)
        .wrap(xsrf)
        .wrap(sessions)
        .route("/", web::get().to(page))
        .route("/comments", web::post().to(post_comment))
        .route("/clear", web::post().to(clear_comments))
}

/// The action the "clear" form's token is scoped to.
pub const CLEAR_ACTION: &str = "clear-comments";

/// An engine with its templates, or why they did not load.
type Loaded = (Engine, Result<Renderer, String>);

#[send_token]
async fn page(
    req: HttpRequest,
    xsrf: XsrfToken,
    renderer: web::Data<Loaded>,
    comments: web::Data<Comments>,
) -> Result<HttpResponse, XsrfError> {
    let clear = XsrfToken::for_action(&req, CLEAR_ACTION)?;
    let (engine, loaded) = renderer.as_ref();
    Ok(
        match loaded
            .as_ref()
            .map_err(String::clone)
            .and_then(|r| r.page(&xsrf, &clear, &comments.all()))
        {
            Ok(html) => HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .body(html),
            Err(e) => {
                tracing::error!(engine = engine.name(), "rendering failed: {e}");
                HttpResponse::InternalServerError().body("rendering failed\n")
            }
        },
    )
}

#[derive(Deserialize)]
struct NewComment {
    body: String,
}

#[handle_token]
async fn post_comment(form: web::Form<NewComment>, comments: web::Data<Comments>) -> HttpResponse {
    let home = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish();
    forms::store(&comments, form.into_inner().body, home)
}

/// Only a token issued for [`CLEAR_ACTION`] clears the list.
#[handle_token(action = "clear-comments")]
async fn clear_comments(comments: web::Data<Comments>) -> HttpResponse {
    comments.clear();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

/// What each engine's binary runs: `BIND` and `XSRF_SECRET` as for the
/// demo, the port of [`Engine::default_bind`] otherwise.
pub async fn serve(engine: Engine) -> std::io::Result<()> {
    use std::io::Error as E;
    let (addr, builder) = support::start(engine.default_bind())?;
    let xsrf = builder.build().map_err(E::other)?;
    // Templates that do not parse stop the start, not every request.
    Renderer::new(engine).map_err(E::other)?;
    let comments = web::Data::new(Comments::default());
    let session_key = cookie::Key::generate();
    let server = HttpServer::new(move || {
        let sessions =
            support::cookie_sessions(&xsrf, session_key.clone(), engine.session_cookie());
        app(engine, xsrf.clone(), comments.clone(), sessions)
    })
    .bind(addr)?;
    tracing::info!("xsrf with {} listening on http://{addr}/", engine.name());
    server.run().await
}
