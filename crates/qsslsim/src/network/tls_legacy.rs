//! The TLS handshake of one connection with the engine `AT+QSSLOPEN` prepared: rustls, or the
//! second engine (OpenSSL through tokio-openssl, feature `legacy-tls`) for contexts rustls
//! refuses by design. Either way the connection task gets a boxed stream, so its reader and
//! writer loops are the same for both engines. The caller puts `negotiatetime` around it.

use qsslsim_tls::TlsClient;
use rustls::pki_types::ServerName;

use super::connector::Stream;

/// Handshakes over `tcp` with the engine in `tls`; the error is a precise cause for the log
/// (the module reports 566 whatever it is).
pub async fn handshake(
    tls: &TlsClient,
    server_name: &ServerName<'static>,
    tcp: Box<dyn Stream>,
) -> Result<Box<dyn Stream>, String> {
    match tls {
        TlsClient::Rustls(config) => {
            let connector = tokio_rustls::TlsConnector::from(config.clone());
            match connector.connect(server_name.clone(), tcp).await {
                Ok(stream) => Ok(Box::new(stream)),
                Err(e) => Err(qsslsim_tls::describe_io_error(&e)),
            }
        }
        TlsClient::Legacy(spec) => legacy(spec, tcp).await,
    }
}

#[cfg(feature = "legacy-tls")]
async fn legacy(spec: &qsslsim_tls::LegacySpec, tcp: Box<dyn Stream>) -> Result<Box<dyn Stream>, String> {
    use std::pin::Pin;

    let ssl = spec.ssl()?;
    let mut stream = tokio_openssl::SslStream::new(ssl, tcp)
        .map_err(|e| format!("OpenSSL connection setup failed: {e}"))?;
    match Pin::new(&mut stream).connect().await {
        Ok(()) => {
            spec.connected(stream.ssl());
            Ok(Box::new(stream))
        }
        Err(e) => Err(spec.describe_failure(stream.ssl(), &e)),
    }
}

/// Without the feature no `LegacySpec` can exist.
#[cfg(not(feature = "legacy-tls"))]
async fn legacy(spec: &qsslsim_tls::LegacySpec, _tcp: Box<dyn Stream>) -> Result<Box<dyn Stream>, String> {
    match *spec {}
}
