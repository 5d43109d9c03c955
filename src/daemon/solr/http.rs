//! The HTTP/1.1 server of the Solr endpoint (hyper) and its routes.
//!
//! * `POST <any path>/update`: an XML update body ([`super::update`]), applied in order; the
//!   `commit=true` parameter commits at the end, like Solr.
//! * `GET <any path>/select?…`: a search ([`super::select`]).
//! * `GET <any path>/admin/ping`: `OK`, for health checks.
//!
//! With `solr.tls`, connections are TLS with the daemon's `tls.cert`/`tls.key`. With
//! `solr.basic_auth_file`, every request must carry those credentials (HTTP basic auth;
//! 401 otherwise). The core name in the path (`/solr/dovecot/`) is not interpreted: users are told apart by the
//! `user` field Dovecot sends. Bodies are capped (`solr.max_request_bytes`, 413 above); every
//! refused or failed request is answered with Solr's error shape and logged with `tracing`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::percent_decode_str;
use tokio::net::TcpListener;

use super::index::Indexes;
use super::lucene;
use super::select::Select;
use super::update::{self, Command};
use super::{status_body, SolrError};
use crate::daemon::shutdown::Shutdown;

/// How long an index writer may stay unused before it is closed.
const IDLE_WRITER: Duration = Duration::from_secs(120);

/// What the handlers share.
pub struct Endpoint {
    /// The per-user indexes.
    pub indexes: Indexes,
    /// Largest accepted body.
    pub max_body: usize,
    /// The `Authorization` header every request must carry (`Basic …`), if any.
    pub authorization: Option<String>,
    /// How often every index's checksums are verified (also once at startup).
    pub integrity_every: Duration,
    /// TLS for every connection (`solr.tls`), if set.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Accepts connections on `listener` until `shutdown`, then commits pending changes.
pub async fn serve(listener: TcpListener, ep: Arc<Endpoint>, shutdown: Shutdown) {
    let sweeper = {
        let (ep, sd) = (ep.clone(), shutdown.clone());
        tokio::spawn(async move {
            let mut last_check: Option<Instant> = None;
            loop {
                // checksums of every index at startup and every `integrity_every`
                if last_check.is_none_or(|t| t.elapsed() >= ep.integrity_every) {
                    last_check = Some(Instant::now());
                    let e = ep.clone();
                    if let Ok((checked, damaged)) =
                        tokio::task::spawn_blocking(move || e.indexes.check_all()).await
                    {
                        tracing::info!(checked, damaged, "solr: index checksums verified");
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(IDLE_WRITER / 2) => {}
                    _ = sd.wait() => return,
                }
                let ep = ep.clone();
                let closed =
                    tokio::task::spawn_blocking(move || ep.indexes.close_idle_writers(IDLE_WRITER))
                        .await
                        .unwrap_or(0);
                if closed > 0 {
                    tracing::debug!(closed, "solr: idle index writers closed");
                }
            }
        })
    };
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "solr listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.wait() => break,
        };
        let ep = ep.clone();
        let sd = shutdown.clone();
        tokio::spawn(async move {
            match ep.tls.clone() {
                None => connection(stream, ep, sd, peer).await,
                Some(acceptor) => {
                    let accepted =
                        tokio::time::timeout(Duration::from_secs(30), acceptor.accept(stream))
                            .await;
                    match accepted {
                        Ok(Ok(tls)) => connection(tls, ep, sd, peer).await,
                        Ok(Err(e)) => {
                            tracing::warn!(%peer, error = %e, "solr: TLS handshake failed")
                        }
                        Err(_) => tracing::warn!(%peer, "solr: TLS handshake timed out"),
                    }
                }
            }
        });
    }
    sweeper.abort();
    let ep2 = ep.clone();
    let _ = tokio::task::spawn_blocking(move || ep2.indexes.commit_all()).await;
}

/// Serves HTTP/1.1 requests on one connection until it closes or the daemon stops.
async fn connection<I>(io: I, ep: Arc<Endpoint>, sd: Shutdown, peer: std::net::SocketAddr)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let ep = ep.clone();
        async move { Ok::<_, Infallible>(handle(ep, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "solr connection ended");
            }
        }
        _ = sd.wait() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(10), conn).await;
        }
    }
}

async fn handle(ep: Arc<Endpoint>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    if let Some(expected) = &ep.authorization {
        let given = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !crate::daemon::grpc::ct_eq(given, expected.as_bytes()) {
            tracing::warn!(%method, %path, "solr request refused: missing or wrong credentials");
            let e = SolrError {
                code: 401,
                msg: "authentication required".into(),
            };
            let mut r = xml_response(
                StatusCode::UNAUTHORIZED,
                status_body(Some(&e), started.elapsed().as_millis()),
            );
            r.headers_mut().insert(
                hyper::header::WWW_AUTHENTICATE,
                hyper::header::HeaderValue::from_static("Basic realm=\"mailfts\""),
            );
            return r;
        }
    }
    let result = route(&ep, req, &method, &path, &query, started).await;
    match result {
        Ok(body) => {
            tracing::debug!(%method, %path, %query, ms = started.elapsed().as_millis() as u64, "solr request");
            xml_response(StatusCode::OK, body)
        }
        Err(e) => {
            if e.code >= 500 {
                tracing::error!(%method, %path, %query, error = %e.msg, "solr request failed");
            } else {
                tracing::warn!(%method, %path, %query, error = %e.msg, "solr request refused");
            }
            let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            xml_response(status, status_body(Some(&e), started.elapsed().as_millis()))
        }
    }
}

fn xml_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/xml; charset=UTF-8"),
    );
    r
}

async fn route(
    ep: &Arc<Endpoint>,
    req: Request<Incoming>,
    method: &Method,
    path: &str,
    query: &str,
    started: Instant,
) -> Result<String, SolrError> {
    let params = decode_params(query)?;
    let endpoint = path.trim_end_matches('/');
    if endpoint.ends_with("/select") || endpoint == "select" {
        if method != Method::GET {
            return Err(SolrError::bad(format!("{method} on select: use GET")));
        }
        let select = Select::from_params(&params)?;
        let ep = ep.clone();
        return blocking(move || select.run(&ep.indexes, started)).await;
    }
    if endpoint.ends_with("/update") || endpoint == "update" {
        if method != Method::POST {
            return Err(SolrError::bad(format!("{method} on update: use POST")));
        }
        let mut commit = false;
        for (k, v) in &params {
            match (k.as_str(), v.as_str()) {
                ("commit" | "softCommit", "true") => commit = true,
                ("commit" | "softCommit", "false") | ("wt", "xml") | ("waitSearcher", _) => {}
                _ => {
                    return Err(SolrError::bad(format!(
                        "unsupported update parameter {k}={v}"
                    )))
                }
            }
        }
        let body = read_body(req, ep.max_body).await?;
        let mut commands = if body.iter().all(u8::is_ascii_whitespace) && commit {
            Vec::new()
        } else {
            update::parse(&body).map_err(SolrError::bad)?
        };
        if commit {
            commands.push(Command::Commit);
        }
        let ep = ep.clone();
        return blocking(move || {
            apply(&ep.indexes, commands)?;
            Ok(status_body(None, started.elapsed().as_millis()))
        })
        .await;
    }
    if endpoint.ends_with("/admin/ping") && method == Method::GET {
        return Ok(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><str name=\"status\">OK</str></response>\n"
                .into(),
        );
    }
    Err(SolrError {
        code: 404,
        msg: format!("no such endpoint: {method} {path}"),
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SolrError> + Send + 'static,
) -> Result<T, SolrError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => Err(SolrError::internal(format!("request task failed: {e}"))),
    }
}

async fn read_body(req: Request<Incoming>, max: usize) -> Result<Bytes, SolrError> {
    let too_large = || SolrError {
        code: 413,
        msg: format!("request body larger than {max} bytes"),
    };
    if let Some(len) = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > max as u64 {
            return Err(too_large());
        }
    }
    match Limited::new(req.into_body(), max).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(SolrError::bad(format!("reading the body: {e}"))),
    }
}

/// Decodes a query string (`+` is a space, `%XX` a byte; the result must be UTF-8).
pub fn decode_params(query: &str) -> Result<Vec<(String, String)>, SolrError> {
    let mut out = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| -> Result<String, SolrError> {
            percent_decode_str(&s.replace('+', " "))
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| SolrError::bad("query string is not UTF-8"))
        };
        out.push((dec(k)?, dec(v)?));
    }
    Ok(out)
}

/// Applies update commands in order, then commits what they changed. Documents and deletes go to
/// the index of the user they name (`user` field, or the last part of `UID/BOXGUID/USER` ids); a
/// commit commits every user.
pub fn apply(indexes: &Indexes, commands: Vec<Command>) -> Result<(), SolrError> {
    let changes = commands.iter().any(|c| !matches!(c, Command::Commit));
    if tracing::enabled!(tracing::Level::DEBUG) {
        let kinds: Vec<String> = commands
            .iter()
            .map(|c| match c {
                Command::Add(d) => format!("add {}", d.len()),
                Command::DeleteIds(i) => format!("delete {} ids", i.len()),
                Command::DeleteQuery(q) => format!("delete query {q}"),
                Command::Commit => "commit".into(),
            })
            .collect();
        tracing::debug!(commands = %kinds.join(", "), "solr update");
    }
    for c in commands {
        match c {
            Command::Add(docs) => {
                let mut by_user: Vec<(String, Vec<update::Doc>)> = Vec::new();
                for d in docs {
                    match by_user.iter_mut().find(|(u, _)| *u == d.user) {
                        Some((_, v)) => v.push(d),
                        None => by_user.push((d.user.clone(), vec![d])),
                    }
                }
                for (user, docs) in by_user {
                    let u = indexes.user(&user, true)?.expect("created");
                    u.add(&docs)?;
                }
            }
            Command::DeleteIds(ids) => {
                for id in ids {
                    let user = user_of_id(&id)?;
                    if let Some(u) = indexes.user(user, false)? {
                        u.delete_ids(std::slice::from_ref(&id))?;
                    }
                }
            }
            Command::DeleteQuery(q) => {
                let q = lucene::parse(&q)?;
                super::index::validate(&q)?;
                let Some(user) = q.required_user().map(str::to_string) else {
                    return Err(SolrError::bad(
                        "a delete query must require a user (user:NAME AND …)",
                    ));
                };
                if let Some(u) = indexes.user(&user, false)? {
                    let n = u.delete_query(&q)?;
                    tracing::info!(%user, deleted = n, "solr: delete by query");
                }
            }
            Command::Commit => indexes.commit_all()?,
        }
    }
    // an answered change is durable: Dovecot advances its last indexed UID on this answer
    if changes {
        indexes.commit_all()?;
    }
    Ok(())
}

/// The user part of Dovecot's `UID/BOXGUID/USER` key (empty when the key has two parts).
fn user_of_id(id: &str) -> Result<&str, SolrError> {
    let mut parts = id.splitn(3, '/');
    let (uid, mailbox) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if uid.parse::<u32>().is_err() || mailbox.is_empty() {
        return Err(SolrError::bad(format!(
            "id `{id}` is not UID/BOXGUID[/USER]"
        )));
    }
    Ok(parts.next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_like_dovecot_encodes() {
        let p = decode_params(
            "wt=xml&fl=uid,score&rows=5&sort=uid+asc&q=%7b!lucene+q.op%3dAND%7dbody:a%5c+b&fq=%2Bbox:g+%2Buser:%22%22",
        )
        .unwrap();
        assert_eq!(p[3], ("sort".into(), "uid asc".into()));
        assert_eq!(p[4].1, "{!lucene q.op=AND}body:a\\ b");
        assert_eq!(p[5].1, "+box:g +user:\"\"");
        assert!(decode_params("q=%ff").is_err());
    }

    #[test]
    fn ids_name_their_user() {
        assert_eq!(user_of_id("7/abc/bob@x/y").unwrap(), "bob@x/y");
        assert_eq!(user_of_id("7/abc").unwrap(), "");
        assert!(user_of_id("x/abc/bob").is_err());
        assert!(user_of_id("7").is_err());
    }
}
