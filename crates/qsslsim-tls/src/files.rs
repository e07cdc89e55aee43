//! Access to the module's file system (where the host uploads certificates with `AT+QFUPL`)
//! and the loading of certificate files from it: PEM bundles with one or more certificates,
//! or a single DER certificate.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::errors::OpenRefusal;

/// The module's file system as the TLS layer needs it. Names are passed exactly as the host
/// configured them: `UFS:cacert.pem`, `RAM:cacert.pem`, or a bare `cacert.pem`, which means
/// `UFS:`. The modem implements this over its file store.
pub trait FileSource {
    /// The contents of `name`, or `None` if there is no such file.
    fn read_file(&self, name: &str) -> Option<Vec<u8>>;
}

impl<F: Fn(&str) -> Option<Vec<u8>>> FileSource for F {
    fn read_file(&self, name: &str) -> Option<Vec<u8>> {
        self(name)
    }
}

/// Reads `path` or explains that it is missing. `role` names the setting for the message.
pub(crate) fn read(files: &dyn FileSource, role: &str, path: &str) -> Result<Vec<u8>, OpenRefusal> {
    files.read_file(path).ok_or_else(|| OpenRefusal::Failed(format!("{role} file {path} not found")))
}

/// All certificates in a file: every `CERTIFICATE` block of a PEM file, or the file itself
/// when it is one DER certificate. An empty result is an error.
pub(crate) fn parse_certs(
    bytes: &[u8],
    role: &str,
    path: &str,
) -> Result<Vec<CertificateDer<'static>>, OpenRefusal> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| OpenRefusal::Failed(format!("{role} file {path} is not valid PEM: {e}")))?;
    if !certs.is_empty() {
        return Ok(certs);
    }
    // A DER certificate starts with a SEQUENCE tag and has no PEM armour.
    if bytes.first() == Some(&0x30) {
        return Ok(vec![CertificateDer::from(bytes.to_vec())]);
    }
    Err(OpenRefusal::Failed(format!("{role} file {path} contains no certificate")))
}
