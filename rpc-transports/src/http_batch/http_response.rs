//! HTTP around [`serve_batch`]: body limits, statuses and headers, for hyper and axum alike.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Body;
use hyper::{Response, StatusCode, header};
use rpc_core::Stub;

use super::{BatchError, HttpConfig, serve_batch};

/// The body of every batch response is plain text, in a `Full` body.
pub(crate) type BatchResponse = Response<Full<Bytes>>;

/// Reads a POST body (at most `config.max_body_bytes`) and answers it as a batch.
///
/// Every answer carries `Access-Control-Allow-Origin: *`, as capnweb's batch responses do, so
/// a page on another origin can read the results and the error texts.
pub(crate) async fn batch_response<B>(body: B, main: Stub, config: &HttpConfig) -> BatchResponse
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let body = match Limited::new(body, config.max_body_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            let error = BatchError::TooLarge {
                limit: config.max_body_bytes,
            };
            return error_response(&error);
        }
        Err(e) => {
            tracing::debug!(error = %e, "could not read a batch request body");
            return text_response(StatusCode::BAD_REQUEST, "could not read the request body");
        }
    };
    match serve_batch(&body, main, config).await {
        Ok(messages) => text_response(StatusCode::OK, messages),
        Err(error) => error_response(&error),
    }
}

fn error_response(error: &BatchError) -> BatchResponse {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    text_response(status, error.to_string())
}

fn text_response(status: StatusCode, text: impl Into<String>) -> BatchResponse {
    let mut response = Response::new(Full::new(Bytes::from(text.into())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

/// The answer to anything that is neither a batch POST nor a WebSocket upgrade.
pub(crate) fn method_not_allowed() -> BatchResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(
        b"This endpoint only accepts POST requests.",
    )));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
        .headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    response
}
