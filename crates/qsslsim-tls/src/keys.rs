//! Client private keys as hosts upload them: PEM or DER in PKCS#8, PKCS#1 (RSA) or SEC1 (EC),
//! and PKCS#8 encrypted with a password (`<key_pwd>` of `AT+QSSLCFG="clientkey"`), which the
//! `pkcs8` crate decrypts (PBES2 with PBKDF2 or scrypt, AES-CBC).

use pkcs8::der::pem;
use pkcs8::{pkcs5, EncryptedPrivateKeyInfo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::errors::OpenRefusal;

const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";

fn failed(path: &str, what: impl std::fmt::Display) -> OpenRefusal {
    OpenRefusal::Failed(format!("client key {path}: {what}"))
}

/// Decrypts an `EncryptedPrivateKeyInfo` (DER) with `password`.
fn decrypt(der: &[u8], password: Option<&str>, path: &str) -> Result<PrivateKeyDer<'static>, OpenRefusal> {
    let info = EncryptedPrivateKeyInfo::try_from(der)
        .map_err(|e| failed(path, format_args!("unreadable encrypted PKCS#8 key: {e}")))?;
    let password =
        password.ok_or_else(|| failed(path, "the key is encrypted but no key_pwd is configured"))?;
    let plain = info.decrypt(password).map_err(|e| match e {
        // A wrong password shows up as bad padding (which pkcs5 reports as an encryption
        // failure) or, rarely, as undecodable plaintext.
        pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::DecryptFailed | pkcs5::Error::EncryptFailed)
        | pkcs8::Error::Asn1(_) => failed(path, "wrong key_pwd (the key does not decrypt)"),
        other => failed(path, format_args!("unsupported key encryption: {other}")),
    })?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(plain.as_bytes().to_vec())))
}

/// The PEM block labelled `label` in `text`, if any.
fn pem_block<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    Some(&text[start..stop])
}

/// Decodes the private key in `bytes` (read from `path`), decrypting it with `password` when
/// it is an encrypted PKCS#8 key. A password given for a plain key is not an error.
pub(crate) fn parse_private_key(
    bytes: &[u8],
    password: Option<&str>,
    path: &str,
) -> Result<PrivateKeyDer<'static>, OpenRefusal> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Some(block) = pem_block(text, ENCRYPTED_LABEL) {
            let (_, der) =
                pem::decode_vec(block.as_bytes()).map_err(|e| failed(path, format_args!("bad PEM: {e}")))?;
            return decrypt(&der, password, path);
        }
        if text.contains("-----BEGIN") {
            if text.contains("Proc-Type: 4,ENCRYPTED") {
                return Err(failed(
                    path,
                    "legacy OpenSSL PEM encryption (DEK-Info) is not supported; \
                     convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                ));
            }
            return PrivateKeyDer::from_pem_slice(bytes)
                .map_err(|e| failed(path, format_args!("no usable private key in the PEM file ({e})")));
        }
    }
    // DER: plain PKCS#8, or encrypted PKCS#8.
    if pkcs8::PrivateKeyInfo::try_from(bytes).is_ok() {
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(bytes.to_vec())));
    }
    if EncryptedPrivateKeyInfo::try_from(bytes).is_ok() {
        return decrypt(bytes, password, path);
    }
    Err(failed(path, "not a PEM or DER private key"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_labelled_block() {
        let text = "junk\n-----BEGIN X-----\nAAAA\n-----END X-----\ntrailer";
        assert_eq!(pem_block(text, "X"), Some("-----BEGIN X-----\nAAAA\n-----END X-----"));
        assert_eq!(pem_block(text, "Y"), None);
    }

    #[test]
    fn rejects_garbage() {
        let err = parse_private_key(b"hello", None, "UFS:k.pem").unwrap_err();
        assert_eq!(err, OpenRefusal::Failed("client key UFS:k.pem: not a PEM or DER private key".into()));
    }
}
