//! The HTTP client the loopback benchmarks share (benches/http.rs, benches/submit.rs): one
//! keep-alive HTTP/1 connection per client, signed in as `WANGGE_BENCH_USER` or with
//! `WANGGE_BENCH_TOKEN`, and nearest-rank percentiles of the latencies measured.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub struct Target {
    pub authority: String,
    pub address: SocketAddr,
    /// `Authorization` header value, once signed in.
    pub authorization: Option<String>,
}

/// `http://HOST:PORT[/]` on a loopback address, or an error.
pub async fn target(url: &str) -> Result<Target, Error> {
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("WANGGE_BENCH_URL must start with http://, got {url}"))?
        .trim_end_matches('/');
    if authority.contains('/') {
        return Err(format!("WANGGE_BENCH_URL must be http://HOST:PORT with no path, got {url}").into());
    }
    let address = tokio::net::lookup_host(authority)
        .await?
        .next()
        .ok_or_else(|| format!("{authority} resolves to no address"))?;
    if !address.ip().is_loopback() {
        return Err(format!("{authority} is {address}: this benchmark only sends to loopback addresses").into());
    }
    Ok(Target { authority: authority.to_owned(), address, authorization: None })
}

pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    authority: String,
    authorization: Option<String>,
}

impl Client {
    pub async fn connect(target: &Target) -> Result<Client, Error> {
        let stream = tokio::net::TcpStream::connect(target.address).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                eprintln!("connection closed with an error: {error}");
            }
        });
        Ok(Client { sender, authority: target.authority.clone(), authorization: target.authorization.clone() })
    }

    /// GET `path` on the keep-alive connection; the status and the whole body.
    pub async fn get(&mut self, path: &str) -> Result<(StatusCode, Bytes), Error> {
        self.send(Request::get(path), path, Bytes::new()).await
    }

    pub async fn send(
        &mut self,
        request: hyper::http::request::Builder,
        path: &str,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), Error> {
        let mut request = request.header(header::HOST, &self.authority);
        if let Some(authorization) = &self.authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        if !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request.body(Full::new(body))?;
        let exchange = async {
            self.sender.ready().await?;
            let response = self.sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, Error>((status, body))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| format!("GET {path}: no answer within {} s", REQUEST_TIMEOUT.as_secs()))?
    }
}

/// The `Authorization` header to send, from `WANGGE_BENCH_TOKEN` or by signing in as
/// `WANGGE_BENCH_USER`; None when neither is set.
pub async fn sign_in(target: &Target) -> Result<Option<String>, Error> {
    if let Ok(token) = std::env::var("WANGGE_BENCH_TOKEN") {
        println!("authenticated with WANGGE_BENCH_TOKEN: every request also looks up its session");
        return Ok(Some(format!("Bearer {token}")));
    }
    let Ok(username) = std::env::var("WANGGE_BENCH_USER") else { return Ok(None) };
    let password =
        std::env::var("WANGGE_BENCH_PASSWORD").map_err(|_| "WANGGE_BENCH_USER needs WANGGE_BENCH_PASSWORD")?;
    let mut client = Client::connect(target).await?;
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let started = Instant::now();
    let (status, answer) = client.send(Request::post("/api/v1/session"), "/api/v1/session", body.into()).await?;
    if status != StatusCode::OK {
        return Err(format!("signing in as {username}: {status} {}", String::from_utf8_lossy(&answer)).into());
    }
    let answer: serde_json::Value = serde_json::from_slice(&answer)?;
    let token = answer["token"].as_str().ok_or("the sign-in answer has no token")?;
    println!(
        "signed in as {username} in {:.0} ms: every request also looks up its session (Authorization: Bearer)",
        started.elapsed().as_secs_f64() * 1e3
    );
    Ok(Some(format!("Bearer {token}")))
}

/// Nearest-rank percentile `p` (0–100) of sorted `latencies`, in ms; NaN when there are none.
pub fn percentile(latencies: &[Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * latencies.len() as f64).ceil().max(1.0) as usize;
    latencies[rank - 1].as_secs_f64() * 1e3
}
