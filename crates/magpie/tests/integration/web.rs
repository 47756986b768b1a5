//! The web client is served by the binary: its page at `/` and at the app's own routes, its
//! hashed assets cached for good, and the API's 404s left as JSON.

use magpie_wire::ErrorCode;
use reqwest::{StatusCode, header};

use crate::harness::TestServer;

#[tokio::test]
async fn the_binary_serves_the_web_client_with_safe_headers() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.url)).send();

    let page = get("/").await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<div id=\"app\">"), "{html}");

    // A route of the app itself loads the same page, so that a reload keeps working.
    let route = get("/chat/12").await.unwrap();
    assert_eq!(route.status(), StatusCode::OK);
    assert_eq!(route.text().await.unwrap(), html);

    // The page's script is served with its type and cached for good under its hashed name.
    let script = html.split("src=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
    let js = get(script).await.unwrap();
    assert_eq!(js.status(), StatusCode::OK, "{script}");
    assert_eq!(js.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert!(js.headers()[header::CACHE_CONTROL].to_str().unwrap().contains("immutable"));
    let etag = js.headers()[header::ETAG].clone();
    let again = http.get(format!("{}{script}", server.url)).header(header::IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A missing file, an API path and a traversal attempt are not the page.
    for path in ["/assets/missing.js", "/v1/no/such/thing", "/assets/..%2f..%2fCargo.toml", "/favicon.ico"] {
        let response = get(path).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], ErrorCode::NotFound.as_str(), "{path}");
    }
}
