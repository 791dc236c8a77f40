//! Control plane: ListFoundationModels, GetFoundationModel,
//! ListInferenceProfiles (paginated), GetInferenceProfile.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Value};

use crate::catalog::{self, Model, MODELS, REGION};
use crate::errors::{ApiError, ErrorKind};
use crate::profiles::{self, Profile, CREATED_AT, UPDATED_AT};

type Params = Query<HashMap<String, String>>;

fn model_json(model: &Model) -> Value {
    let status = if model.legacy() { "LEGACY" } else { "ACTIVE" };
    json!({
        "modelArn": model.arn(REGION),
        "modelId": model.id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": model.input_modalities(),
        "outputModalities": [model.output_modality()],
        "responseStreamingSupported": model.streaming(),
        "customizationsSupported": model.customizations(),
        "inferenceTypesSupported": model.inference_types(),
        "modelLifecycle": {"status": status},
    })
}

/// Whether `model` passes the ListFoundationModels filters.
pub fn model_matches(model: &Model, params: &HashMap<String, String>) -> bool {
    let prefix = model.id.split('.').next().unwrap_or_default();
    let checks = [
        params
            .get("byProvider")
            .is_none_or(|p| p.eq_ignore_ascii_case(model.provider) || p.eq_ignore_ascii_case(prefix)),
        params.get("byOutputModality").is_none_or(|m| m.eq_ignore_ascii_case(model.output_modality())),
        params.get("byInferenceType").is_none_or(|t| model.inference_types().iter().any(|s| s.eq_ignore_ascii_case(t))),
        params
            .get("byCustomizationType")
            .is_none_or(|c| model.customizations().iter().any(|s| s.eq_ignore_ascii_case(c))),
    ];
    checks.iter().all(|ok| *ok)
}

/// `GET /foundation-models`
pub async fn list_models(Query(params): Params) -> Json<Value> {
    let summaries: Vec<Value> = MODELS.iter().filter(|m| model_matches(m, &params)).map(model_json).collect();
    Json(json!({ "modelSummaries": summaries }))
}

/// `GET /foundation-models/{modelIdentifier}`
pub async fn get_model(Path(identifier): Path<String>) -> Response {
    let id = identifier.rsplit_once("foundation-model/").map_or(identifier.as_str(), |(_, id)| id);
    match catalog::model(id) {
        Some(model) => Json(json!({ "modelDetails": model_json(model) })).into_response(),
        None => {
            ApiError::new(ErrorKind::ResourceNotFound, format!("The model {identifier} was not found.")).into_response()
        }
    }
}

fn profile_json(profile: &Profile) -> Value {
    let models: Vec<Value> = profile.model_arns.iter().map(|arn| json!({ "modelArn": arn })).collect();
    json!({
        "inferenceProfileName": profile.name,
        "description": profile.description,
        "createdAt": CREATED_AT,
        "updatedAt": UPDATED_AT,
        "inferenceProfileArn": profile.arn,
        "models": models,
        "inferenceProfileId": profile.id,
        "status": "ACTIVE",
        "type": if profile.application { "APPLICATION" } else { "SYSTEM_DEFINED" },
    })
}

const TOKEN_PREFIX: &str = "emulator-page:";

pub fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{offset}"))
}

pub fn decode_token(token: &str) -> Result<usize, ApiError> {
    let invalid =
        || ApiError::validation("The pagination token is invalid. Use the nextToken from a previous response.");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    text.strip_prefix(TOKEN_PREFIX).and_then(|n| n.parse().ok()).ok_or_else(invalid)
}

/// One page of profiles: (summaries, nextToken).
pub fn profile_page(params: &HashMap<String, String>) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let max = match params.get("maxResults") {
        None => 1000,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(ApiError::validation(format!("1 validation error detected: Value '{text}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000"))),
        },
    };
    let offset = params.get("nextToken").map(|t| decode_token(t)).transpose()?.unwrap_or(0);
    let kind = params.get("type").map(String::as_str);
    if kind.is_some_and(|k| k != "SYSTEM_DEFINED" && k != "APPLICATION") {
        return Err(ApiError::validation("1 validation error detected: Value at 'typeEquals' failed to satisfy constraint: Member must satisfy enum value set: [SYSTEM_DEFINED, APPLICATION]"));
    }
    let wanted = |p: &&Profile| kind.is_none_or(|k| (k == "APPLICATION") == p.application);
    let matching: Vec<&Profile> = profiles::all().iter().filter(wanted).collect();
    let page: Vec<Value> = matching.iter().skip(offset).take(max).map(|p| profile_json(p)).collect();
    let next = (offset + max < matching.len()).then(|| encode_token(offset + max));
    Ok((page, next))
}

/// `GET /inference-profiles`
pub async fn list_profiles(Query(params): Params) -> Response {
    match profile_page(&params) {
        Ok((page, next)) => {
            let mut body = json!({ "inferenceProfileSummaries": page });
            if let Some(token) = next {
                body["nextToken"] = json!(token);
            }
            Json(body).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// `GET /inference-profiles/{inferenceProfileIdentifier}`
pub async fn get_profile(Path(identifier): Path<String>) -> Response {
    match profiles::find(&identifier) {
        Some(profile) => Json(profile_json(profile)).into_response(),
        None => ApiError::new(ErrorKind::ResourceNotFound, format!("Inference profile {identifier} not found."))
            .into_response(),
    }
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
