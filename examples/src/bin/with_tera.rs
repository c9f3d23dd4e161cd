//! The form app with tera templates: `cargo run -p xsrf-examples --bin
//! with_tera` (port 8085 by default; `BIND` and `XSRF_SECRET` as for the demo).
//! The page is in `xsrf_examples::templates`.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    xsrf_examples::templates::serve(xsrf_examples::templates::Engine::Tera).await
}
