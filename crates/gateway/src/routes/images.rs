//! `POST /images/generations`: OpenAI image generation over Bedrock InvokeModel.
//!
//! The translation is `bedrock::images`; this module resolves the model and runs the
//! calls (one for Titan/Nova Canvas, `n` concurrent ones for Stability).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bedrock::images::{image_family, parse_images, plan_images, ImageFamily, ImageResponseError};
use bedrock::{classify_upstream, model_id, TranslateError, UpstreamErrorKind};
use futures::{StreamExt, TryStreamExt};
use openai::{Image, ImageGenerationRequest, ImagesResponse};

use super::embeddings::unreadable;
use super::read_body;
use crate::error::{ApiError, UpstreamError};
use crate::models::{OutputKind, Resolved};
use crate::state::AppState;

/// InvokeModel calls one request may have in flight.
const MAX_IN_FLIGHT: usize = 4;

pub async fn generate_images(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_body(request.into_body(), state.config.max_request_body_bytes).await?;
    if state.config.debug {
        tracing::info!(body = %String::from_utf8_lossy(&body), "image request");
    }
    let request: ImageGenerationRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let (model_id, family) = resolve_image_model(&state, request.model.as_deref()).await?;
    let plan = plan_images(&request, family)?;
    let answers: Vec<Vec<String>> = futures::stream::iter(plan.bodies)
        .map(|body| {
            let (state, model_id) = (&state, &model_id);
            async move {
                let answer = state.bedrock.invoke_model(model_id, body).await?;
                parse_images(plan.dialect, &answer.body).map_err(refused_or_unreadable)
            }
        })
        .buffered(MAX_IN_FLIGHT)
        .try_collect()
        .await?;
    let data = answers.into_iter().flatten().map(|b64_json| Image { b64_json }).collect();
    let created = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    Ok(Json(ImagesResponse { created, data }).into_response())
}

fn refused_or_unreadable(error: ImageResponseError) -> ApiError {
    match error {
        ImageResponseError::Unreadable(detail) => unreadable(detail),
        // Reported as Bedrock reports its own content-filter blocks (a ValidationException).
        ImageResponseError::Refused(message) => ApiError::Upstream(UpstreamError {
            class: classify_upstream(UpstreamErrorKind::Service, Some("ValidationException")),
            message,
        }),
    }
}

/// The model as sent; `DEFAULT_IMAGE_MODEL` when absent or an OpenAI `dall-e-*` / `gpt-image-*` name.
pub fn requested_image_model<'a>(model: Option<&'a str>, default_model: &'a str) -> &'a str {
    let openai = |m: &str, prefix: &str| m.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
    match model.map(str::trim) {
        None | Some("") => default_model,
        Some(m) if openai(m, "dall-e-") || openai(m, "gpt-image-") => default_model,
        Some(m) => m,
    }
}

async fn resolve_image_model(
    state: &AppState,
    model: Option<&str>,
) -> Result<(String, &'static ImageFamily), ApiError> {
    let model = requested_image_model(model, &state.config.default_image_model);
    let resolved =
        state.catalog.resolve(model).await.ok_or_else(|| ApiError::ModelNotFound { model: model.to_owned() })?;
    let (id, foundation) = match resolved {
        Resolved::Known(entry) if entry.output != OutputKind::Image => {
            return Err(TranslateError::new(
                "this model is not an image model; use the endpoint for its kind",
                "model",
            )
            .into());
        }
        Resolved::Known(entry) => (entry.id, Some(entry.foundation_id)),
        Resolved::PassThrough(id) => {
            let foundation = model_id::foundation_id(&id).map(str::to_owned);
            (id, foundation)
        }
    };
    let family = foundation.as_deref().and_then(image_family).ok_or_else(|| {
        TranslateError::new(
            "this image model is not supported; use Titan Image Generator, Nova Canvas or a Stability model",
            "model",
        )
    })?;
    Ok((id, family))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_names_map_to_the_default() {
        assert_eq!(requested_image_model(Some("dall-e-3"), "d"), "d");
        assert_eq!(requested_image_model(Some("gpt-image-1"), "d"), "d");
        assert_eq!(requested_image_model(Some("GPT-IMAGE-1"), "d"), "d");
        assert_eq!(requested_image_model(None, "d"), "d");
        assert_eq!(requested_image_model(Some(" "), "d"), "d");
        assert_eq!(requested_image_model(Some("amazon.nova-canvas-v1:0"), "d"), "amazon.nova-canvas-v1:0");
    }
}
