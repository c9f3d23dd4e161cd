//! What `#[handle_token]` needs to run its check before every other
//! extractor: the handler's own arguments, extracted only once the check
//! has passed.
//!
//! actix-web extracts a handler's arguments as a tuple: it calls every
//! argument's `from_request` up front and then polls them in order, going
//! on to the next while one is pending. A guard placed first would stop a
//! forged request only if its check were done without waiting; a
//! one-time key on Redis waits, and meanwhile `web::Json` would read and
//! refuse the forged body (400 instead of 403) and any extractor with side
//! effects would run. So the macro takes the arguments as one
//! [`Deferred`], which only holds the request and its payload, runs the
//! check, and extracts them afterwards.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

/// Extractors `T` (a tuple), not yet extracted: what `#[handle_token]`
/// takes a handler's arguments as, and the way to keep a hand-written
/// [`Check`](crate::Check) ahead of the body extractors. Only needed with
/// a `Check` written out; `#[handle_token]` takes care of it.
///
/// Taking it costs nothing but the request handle and the payload; nothing
/// of `T` runs until [`Deferred::extract`].
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse, post, web};
/// use xsrf_actix::{Check, Deferred};
///
/// #[derive(serde::Deserialize)]
/// struct Reason { text: String }
///
/// // A token scoped to this one item: the check needs the path first.
/// #[post("/items/{id}/delete")]
/// async fn delete(
///     req: HttpRequest,
///     id: web::Path<u64>,
///     rest: Deferred<(web::Form<Reason>,)>,
/// ) -> actix_web::Result<HttpResponse> {
///     Check::new().action(format!("delete-item-{id}")).run(&req).await?;
///     let (form,) = rest.extract().await?;
///     Ok(HttpResponse::Ok().body(format!("deleted {id}: {}", form.text)))
/// }
/// ```
pub struct Deferred<T> {
    req: HttpRequest,
    payload: Payload,
    args: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Deferred<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deferred(..)")
    }
}

impl<T: FromRequest> Deferred<T> {
    /// Extracts `T` now, as actix-web would have, with the same request and
    /// the untouched body.
    pub async fn extract(mut self) -> Result<T, actix_web::Error> {
        T::from_request(&self.req, &mut self.payload)
            .await
            .map_err(Into::into)
    }
}

impl<T: 'static> FromRequest for Deferred<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(Ok(Deferred {
            req: req.clone(),
            payload: payload.take(),
            args: PhantomData,
        }))
    }
}
