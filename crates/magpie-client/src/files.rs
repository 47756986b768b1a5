//! Files: tus uploads and downloads.

use base64::Engine;
use magpie_wire as wire;
use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::rest::{Client, Error, Result, encode};

/// A raw HTTP answer: status, headers, body.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    /// Sends a request with these extra headers and body, as it is: for protocols spoken in
    /// headers (tus) and for tests.
    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Option<reqwest::Body>,
    ) -> Result<RawResponse> {
        let mut req = self.http().request(method, format!("{}{path}", self.base_url()));
        if let Some(token) = self.token() {
            req = req.bearer_auth(token);
        }
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        Ok(RawResponse { status, headers, body: res.bytes().await?.to_vec() })
    }

    /// Uploads `data` by tus in chunks of `chunk_bytes`, resuming from the server's offset
    /// after a failed chunk, and returns the file's id.
    pub async fn upload(&self, data: &[u8], name: Option<&str>, chunk_bytes: usize) -> Result<String> {
        let mut headers = vec![("tus-resumable", "1.0.0".to_owned()), ("upload-length", data.len().to_string())];
        if let Some(name) = name {
            let encoded = base64::engine::general_purpose::STANDARD.encode(name);
            headers.push(("upload-metadata", format!("filename {encoded}")));
        }
        let created = self.request_with(Method::POST, "/v1/uploads", &headers, None).await?;
        if created.status != 201 {
            return Err(api_error(created));
        }
        let location = created.header("location").unwrap_or_default().to_owned();
        let id = location.rsplit('/').next().unwrap_or_default().to_owned();
        let mut offset = 0usize;
        let mut failures = 0;
        while offset < data.len() {
            let end = (offset + chunk_bytes.max(1)).min(data.len());
            let headers = [
                ("tus-resumable", "1.0.0".to_owned()),
                ("upload-offset", offset.to_string()),
                ("content-type", "application/offset+octet-stream".to_owned()),
            ];
            let body = reqwest::Body::from(data[offset..end].to_vec());
            match self.request_with(Method::PATCH, &location, &headers, Some(body)).await {
                Ok(r) if r.status == 204 => {
                    offset = r.header("upload-offset").and_then(|o| o.parse().ok()).unwrap_or(end);
                }
                Ok(r) if r.status != 409 && r.status < 500 => return Err(api_error(r)),
                _ => {
                    failures += 1;
                    if failures > 3 {
                        return Err(Error::Unexpected { status: 0, body: "upload keeps failing".into() });
                    }
                    offset = self.upload_offset(&location).await?;
                }
            }
        }
        Ok(id)
    }

    /// The server's offset of an upload (tus HEAD).
    pub async fn upload_offset(&self, location: &str) -> Result<usize> {
        let r = self.request_with(Method::HEAD, location, &[("tus-resumable", "1.0.0".to_owned())], None).await?;
        if r.status != 200 {
            return Err(Error::Unexpected { status: r.status, body: String::new() });
        }
        Ok(r.header("upload-offset").and_then(|o| o.parse().ok()).unwrap_or(0))
    }

    /// Uploads a small file in one `multipart/form-data` request (`POST /v1/files`).
    pub async fn upload_once(&self, data: Vec<u8>, name: &str) -> Result<wire::FileInfo> {
        let part = reqwest::multipart::Part::bytes(data).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut req = self.http().post(format!("{}/v1/files", self.base_url())).multipart(form);
        if let Some(token) = self.token() {
            req = req.bearer_auth(token);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let body = res.bytes().await?.to_vec();
        if status != 201 {
            return Err(api_error(RawResponse { status, headers: HeaderMap::new(), body }));
        }
        serde_json::from_slice(&body).map_err(|e| Error::Decode { what: "file info", reason: e.to_string() })
    }

    pub async fn file_info(&self, id: &str) -> Result<wire::FileInfo> {
        self.call::<(), _>(Method::GET, &format!("/v1/files/{}/info", encode(id)), None).await
    }

    /// Downloads a file whole.
    pub async fn download(&self, id: &str) -> Result<Vec<u8>> {
        let r = self.request_with(Method::GET, &format!("/v1/files/{}", encode(id)), &[], None).await?;
        if r.status != 200 {
            return Err(api_error(r));
        }
        Ok(r.body)
    }
}

fn api_error(r: RawResponse) -> Error {
    match serde_json::from_slice::<wire::ErrorBody>(&r.body) {
        Ok(b) => Error::Api { status: r.status, detail: b.error },
        Err(_) => Error::Unexpected { status: r.status, body: String::from_utf8_lossy(&r.body).into_owned() },
    }
}
