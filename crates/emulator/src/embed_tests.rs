use serde_json::json;

use super::*;

#[test]
fn vectors_are_deterministic_and_normalised() {
    let a = vector("m", "hello", 256, true);
    assert_eq!(a, vector("m", "hello", 256, true));
    assert_ne!(a, vector("m", "hello!", 256, true));
    assert_ne!(a, vector("other", "hello", 256, true));
    let norm: f32 = a.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4);
    assert!(vector("m", "x", 64, false).iter().all(|v| (-1.0..=1.0).contains(v)));
}

#[test]
fn cohere_dialects() {
    let body = json!({"texts": ["a", "b"], "input_type": "search_query"});
    let (out, tokens) = embed(Embedder::CohereV3, "cohere.embed-english-v3", &body).unwrap();
    assert_eq!((out["response_type"].as_str(), tokens), (Some("embeddings_floats"), 2));
    assert_eq!(out["embeddings"][1].as_array().map(Vec::len), Some(1024));
    let typed = json!({"texts": ["a"], "input_type": "search_query", "embedding_types": ["int8", "binary"]});
    let (out, _) = embed(Embedder::CohereV3, "cohere.embed-english-v3", &typed).unwrap();
    assert_eq!(out["embeddings"]["binary"][0].as_array().map(Vec::len), Some(128));
    let v4 = json!({"texts": ["a"], "input_type": "search_query", "output_dimension": 512});
    let (out, _) = embed(Embedder::CohereV4, "cohere.embed-v4:0", &v4).unwrap();
    assert_eq!(out["embeddings"]["float"][0].as_array().map(Vec::len), Some(512));
    let many = json!({"texts": vec!["x"; 97], "input_type": "search_query"});
    assert!(embed(Embedder::CohereV3, "m", &many).is_err());
    assert!(embed(Embedder::CohereV3, "m", &json!({"texts": ["a"], "input_type": "nope"})).is_err());
}

#[test]
fn titan_and_nova_dialects() {
    let (out, _) = embed(Embedder::TitanV1, "t1", &json!({"inputText": "a b c"})).unwrap();
    assert_eq!(out["inputTextTokenCount"], 3);
    let (out, _) = embed(Embedder::TitanV2, "t2", &json!({"inputText": "a", "dimensions": 256})).unwrap();
    assert_eq!(out["embedding"].as_array().map(Vec::len), Some(256));
    assert!(embed(Embedder::TitanV2, "t2", &json!({"inputText": "a", "dimensions": 300})).is_err());
    assert!(embed(Embedder::TitanV2, "t2", &json!({})).is_err());
    let nova = json!({"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": {"embeddingPurpose": "GENERIC_INDEX", "embeddingDimension": 384, "text": {"truncationMode": "END", "value": "v"}}});
    let (out, _) = embed(Embedder::Nova2, "n", &nova).unwrap();
    assert_eq!(out["embeddings"][0]["embedding"].as_array().map(Vec::len), Some(384));
    assert!(embed(Embedder::Nova2, "n", &json!({"taskType": "SEGMENTED_EMBEDDING"})).is_err());
}
