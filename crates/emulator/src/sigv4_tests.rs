use axum::http::Request;

use super::*;

/// AWS SigV4 test suite, "get-vanilla".
const VANILLA: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

fn parts(uri: &str, authorization: &str) -> Parts {
    let request = Request::get(uri)
        .header("host", "example.amazonaws.com")
        .header("x-amz-date", "20150830T123600Z")
        .header("authorization", authorization)
        .body(())
        .unwrap();
    request.into_parts().0
}

#[test]
fn verifies_the_aws_get_vanilla_example() {
    assert_eq!(authenticate(&parts("/", VANILLA), b"", true), Ok(()));
}

#[test]
fn rejects_a_tampered_request() {
    let err = authenticate(&parts("/other", VANILLA), b"", true).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidSignature);
    let wrong_key = VANILLA.replace("AKIDEXAMPLE", "AKIDOTHER");
    assert_eq!(authenticate(&parts("/", &wrong_key), b"", true).unwrap_err().kind, ErrorKind::UnrecognizedClient);
    assert_eq!(authenticate(&parts("/other", VANILLA), b"", false), Ok(()));
}

#[test]
fn bearer_and_missing_credentials() {
    assert_eq!(authenticate(&parts("/", "Bearer anything"), b"", false), Ok(()));
    assert_eq!(authenticate(&parts("/", &format!("Bearer {API_KEY}")), b"", true), Ok(()));
    assert_eq!(
        authenticate(&parts("/", "Bearer anything"), b"", true).unwrap_err().kind,
        ErrorKind::UnrecognizedClient
    );
    let request = Request::get("/").body(()).unwrap();
    let err = authenticate(&request.into_parts().0, b"", false).unwrap_err();
    assert_eq!(err.kind, ErrorKind::MissingAuthenticationToken);
    assert!(authenticate(&parts("/", "Basic abc"), b"", false).is_err());
}

#[test]
fn canonical_form_double_encodes_paths_and_sorts_queries() {
    let auth = parse_authorization(VANILLA).unwrap();
    let canonical = canonical_request(&parts("/model/a%3Ab/converse?b=2&a=x%2Fy", VANILLA), &auth, b"");
    let lines: Vec<&str> = canonical.lines().collect();
    assert_eq!(lines[1], "/model/a%253Ab/converse");
    assert_eq!(lines[2], "a=x%2Fy&b=2");
}
