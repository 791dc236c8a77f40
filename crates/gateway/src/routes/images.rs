//! `POST /images/generations`: OpenAI image generation over Bedrock InvokeModel.
//!
//! The translation is `bedrock::images`; this module resolves the model and runs the
//! calls (one for Titan/Nova Canvas, `n` concurrent ones for Stability).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bedrock::images::{image_family, parse_images, plan_images, ImageFamily, ImageResponseError};
use bedrock::{classify_upstream, TranslateError, UpstreamErrorKind};
use futures::{StreamExt, TryStreamExt};
use openai::{Image, ImageGenerationRequest, ImagesResponse};

use super::{read_request, unreadable};
use crate::error::{ApiError, UpstreamError};
use crate::models::{requested_model, OutputKind, IMAGE_ALIASES};
use crate::routing::Candidate;
use crate::state::AppState;

/// InvokeModel calls one request may have in flight.
const MAX_IN_FLIGHT: usize = 4;

pub async fn generate_images(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let body = read_request(&state, request, "image").await?;
    let request: ImageGenerationRequest = openai::parse_json(&body).map_err(ApiError::BadBody)?;
    let model = requested_model(request.model.as_deref(), &state.config.default_image_model, IMAGE_ALIASES);
    let plan = state.routing.plan(model)?;
    state.routing.respond(plan, OutputKind::Image, |c| generate(&request, c)).await
}

/// One routing attempt: every image from one target.
async fn generate(request: &ImageGenerationRequest, candidate: Candidate) -> Result<Response, ApiError> {
    let family = image_family_of(&candidate)?;
    let plan = plan_images(request, family)?;
    let (bedrock, model_id) = (&candidate.bedrock, &candidate.target.model_id);
    let answers: Vec<Vec<String>> = futures::stream::iter(plan.bodies)
        .map(|body| async move {
            let answer = bedrock.invoke_model(model_id, body).await?;
            parse_images(plan.dialect, &answer.body).map_err(refused_or_unreadable)
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

fn image_family_of(candidate: &Candidate) -> Result<&'static ImageFamily, ApiError> {
    let family = candidate.target.foundation_id.as_deref().and_then(image_family);
    Ok(family.ok_or_else(|| {
        TranslateError::new(
            "this image model is not supported; use Titan Image Generator, Nova Canvas or a Stability model",
            "model",
        )
    })?)
}
