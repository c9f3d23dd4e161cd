//! [`Redeemed`]: the data of the one-time key a request redeemed.

use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use xsrf_core::Rejection;

use crate::check::Check;
use crate::config::Xsrf;
use crate::error::XsrfError;
use crate::state::PerRequest;

/// The data of the one-time key this request redeemed: extracting it
/// finds the key in the token header or form field (read like a token)
/// and burns it, or, in a handler under `#[handle_token(one_time)]`, takes
/// the data of the key the macro already burnt.
///
/// On its own:
///
/// ```
/// use actix_web::{HttpResponse, post};
/// use xsrf_actix::Redeemed;
///
/// #[post("/pay")]
/// async fn pay(invoice: Redeemed<u64>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("paid invoice {}", invoice.into_inner()))
/// }
/// ```
///
/// Under the macro, which refuses a forged request before this or any
/// other argument is extracted:
///
/// ```
/// use actix_web::{HttpResponse, post, web};
/// use xsrf_actix::{Redeemed, handle_token};
///
/// #[derive(serde::Deserialize)]
/// struct Payment { amount: u64 }
///
/// #[post("/pay")]
/// #[handle_token(one_time)]
/// async fn pay(invoice: Redeemed<u64>, form: web::Form<Payment>) -> HttpResponse {
///     HttpResponse::Ok().body(format!("paid {} on invoice {}", form.amount, *invoice))
/// }
/// ```
///
/// The data must deserialize as `T`, else the request is refused with
/// [`Rejection::DataMismatch`] (the key is burnt either way). The static
/// session key is never accepted in place of the key (see
/// [`Xsrf::reveal_static_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed<T>(pub T);

impl<T> Redeemed<T> {
    /// The data the key carried.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Redeemed<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Redeemed<T> {
    type Error = XsrfError;
    type Future = LocalBoxFuture<'static, Result<Self, XsrfError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let x = Xsrf::for_request(&req)?;
            let earlier =
                PerRequest::read(&req, |p| p.redeemed.as_ref().map(T::deserialize)).flatten();
            if let Some(data) = earlier {
                return data
                    .map(Redeemed)
                    .map_err(|_| x.error(&req, Rejection::DataMismatch));
            }
            let key = Check::new()
                .find_token(&x, &req)
                .map_err(|e| x.error(&req, e))?;
            x.redeem::<T>(&req, key.expose()).await.map(Redeemed)
        })
    }
}
