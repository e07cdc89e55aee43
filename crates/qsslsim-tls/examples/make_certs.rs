//! Generates the test PKI that lives in `certs/`: a test CA, server certificates for every
//! verification case the emulator must tell apart (valid, expired, not yet valid, wrong host,
//! self-signed, issued by an unknown CA, forged signature, chain through an intermediate) and
//! client certificates with their keys in every encoding a host may upload (PKCS#8 plain and
//! encrypted, SEC1, PKCS#1).
//!
//! Usage: `cargo run -p qsslsim-tls --example make_certs -- <outdir>`
//!
//! Certificates are issued with rcgen. Subject names, serial numbers and dates are fixed; the
//! keys are fresh on every run. The `openssl` command-line tool is needed for the RSA keys
//! (rcgen's *ring* backend cannot generate RSA), for the SEC1/PKCS#1 re-encodings and for the
//! encrypted PKCS#8 key, which is deliberately produced by an implementation independent of
//! the one that decrypts it in the emulator.

use std::path::PathBuf;
use std::process::Command;

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    IsCa, KeyPair, KeyUsagePurpose, SerialNumber,
};
use time::{Duration, OffsetDateTime};

/// The names every "good" server certificate carries: loopback, the test domain, and the
/// documentation address the maker's examples use (the emulator routes it to a local peer).
const SERVER_NAMES: &[&str] =
    &["localhost", "qsslsim.test", "peer.qsslsim.test", "*.qsslsim.test", "127.0.0.1", "::1", "192.0.2.2"];

/// Password of `client-enc.key`.
const CLIENT_KEY_PASSWORD: &str = "qsslsim";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let out: PathBuf = std::env::args_os().nth(1).map(PathBuf::from).ok_or("usage: make_certs <outdir>")?;
    std::fs::create_dir_all(&out)?;
    let pki = Pki { out };
    pki.generate()
}

struct Pki {
    out: PathBuf,
}

/// Validity of every certificate meant to be valid: 2024-01-01 .. 2049-12-31 23:59:59 UTC.
fn valid_period() -> (OffsetDateTime, OffsetDateTime) {
    (rcgen::date_time_ymd(2024, 1, 1), rcgen::date_time_ymd(2049, 12, 31) + Duration::seconds(86_399))
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "qsslsim test PKI");
    dn.push(DnType::CommonName, common_name);
    dn
}

fn ca_params(common_name: &str, serial: u64, constraint: BasicConstraints) -> CertificateParams {
    let (not_before, not_after) = valid_period();
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(common_name);
    params.serial_number = Some(SerialNumber::from(serial));
    params.not_before = not_before;
    params.not_after = not_after;
    params.is_ca = IsCa::Ca(constraint);
    params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params
}

fn leaf_params(
    common_name: &str,
    serial: u64,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
    rsa: bool,
) -> Result<CertificateParams> {
    let (not_before, not_after) = valid_period();
    let mut params = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
    params.distinguished_name = dn(common_name);
    params.serial_number = Some(SerialNumber::from(serial));
    params.not_before = not_before;
    params.not_after = not_after;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if rsa {
        params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.out.join(name)
    }

    fn write(&self, name: &str, contents: &str) -> Result<()> {
        std::fs::write(self.path(name), contents)?;
        println!("wrote {}", self.path(name).display());
        Ok(())
    }

    /// Writes `<stem>.pem` (the certificate, followed by `chain` if any) and `<stem>.key`.
    fn write_pair(
        &self,
        stem: &str,
        cert: &Certificate,
        chain: &[&Certificate],
        key: &KeyPair,
    ) -> Result<()> {
        let mut pem = cert.pem();
        for c in chain {
            pem.push_str(&c.pem());
        }
        self.write(&format!("{stem}.pem"), &pem)?;
        self.write(&format!("{stem}.key"), &key.serialize_pem())
    }

    fn generate(&self) -> Result<()> {
        // The trusted test CA.
        let ca_key = KeyPair::generate()?;
        let ca = ca_params("qsslsim Test CA", 1, BasicConstraints::Unconstrained).self_signed(&ca_key)?;
        self.write_pair("ca", &ca, &[], &ca_key)?;

        // An intermediate CA below it, and a server whose file carries leaf + intermediate.
        let int_key = KeyPair::generate()?;
        let int = ca_params("qsslsim Test Intermediate CA", 2, BasicConstraints::Constrained(0))
            .signed_by(&int_key, &ca, &ca_key)?;
        self.write_pair("intermediate-ca", &int, &[], &int_key)?;
        let key = KeyPair::generate()?;
        let cert = leaf_params(
            "qsslsim chained server",
            20,
            SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?
        .signed_by(&key, &int, &int_key)?;
        self.write_pair("server-chain", &cert, &[&int], &key)?;

        // Good servers: ECDSA P-256 and RSA 2048.
        let key = KeyPair::generate()?;
        let cert = leaf_params(
            "qsslsim ECDSA server",
            10,
            SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?
        .signed_by(&key, &ca, &ca_key)?;
        self.write_pair("server-ecdsa", &cert, &[], &key)?;
        let key = self.openssl_rsa_key()?;
        let cert =
            leaf_params("qsslsim RSA server", 11, SERVER_NAMES, ExtendedKeyUsagePurpose::ServerAuth, true)?
                .signed_by(&key, &ca, &ca_key)?;
        self.write_pair("server-rsa", &cert, &[], &key)?;

        // Expired in 2020 and valid only from 2090: same names, same CA.
        let key = KeyPair::generate()?;
        let mut params = leaf_params(
            "qsslsim expired server",
            12,
            SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?;
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        self.write_pair("expired", &params.signed_by(&key, &ca, &ca_key)?, &[], &key)?;
        let key = KeyPair::generate()?;
        let mut params = leaf_params(
            "qsslsim not-yet-valid server",
            13,
            SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?;
        params.not_before = rcgen::date_time_ymd(2090, 1, 1);
        params.not_after = rcgen::date_time_ymd(2099, 12, 31);
        self.write_pair("notyetvalid", &params.signed_by(&key, &ca, &ca_key)?, &[], &key)?;

        // Valid, trusted, but for another host only.
        let key = KeyPair::generate()?;
        let cert = leaf_params(
            "wrong.qsslsim.test",
            14,
            &["wrong.qsslsim.test"],
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?
        .signed_by(&key, &ca, &ca_key)?;
        self.write_pair("wronghost", &cert, &[], &key)?;

        // Self-signed, with the good names.
        let key = KeyPair::generate()?;
        let cert = leaf_params(
            "qsslsim self-signed server",
            15,
            SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?
        .self_signed(&key)?;
        self.write_pair("selfsigned", &cert, &[], &key)?;

        // A second CA nobody trusts, and a server it issued.
        let other_key = KeyPair::generate()?;
        let other =
            ca_params("qsslsim Untrusted CA", 3, BasicConstraints::Unconstrained).self_signed(&other_key)?;
        self.write("untrusted-ca.pem", &other.pem())?;
        let key = KeyPair::generate()?;
        let cert = leaf_params(
            "qsslsim untrusted server",
            16,
            SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?
        .signed_by(&key, &other, &other_key)?;
        self.write_pair("untrusted", &cert, &[], &key)?;

        // A forgery: its issuer name is the trusted CA's, but an impostor key signed it.
        let impostor_key = KeyPair::generate()?;
        let impostor =
            ca_params("qsslsim Test CA", 1, BasicConstraints::Unconstrained).self_signed(&impostor_key)?;
        let key = KeyPair::generate()?;
        let mut params = leaf_params(
            "qsslsim forged server",
            17,
            SERVER_NAMES,
            ExtendedKeyUsagePurpose::ServerAuth,
            false,
        )?;
        // No authority key identifier: nothing but the signature betrays the forgery.
        params.use_authority_key_identifier_extension = false;
        let cert = params.signed_by(&key, &impostor, &impostor_key)?;
        self.write_pair("badsig", &cert, &[], &key)?;

        // Client certificates: ECDSA (PKCS#8 plain, PKCS#8 encrypted, SEC1) and RSA (PKCS#1).
        let key = KeyPair::generate()?;
        let cert = leaf_params("qsslsim client", 30, &[], ExtendedKeyUsagePurpose::ClientAuth, false)?
            .signed_by(&key, &ca, &ca_key)?;
        self.write_pair("client", &cert, &[], &key)?;
        self.openssl(
            &["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", &format!("pass:{CLIENT_KEY_PASSWORD}")],
            "client.key",
            "client-enc.key",
        )?;
        self.openssl(&["pkey", "-traditional"], "client.key", "client-sec1.key")?;
        let key = self.openssl_rsa_key()?;
        let cert = leaf_params("qsslsim RSA client", 31, &[], ExtendedKeyUsagePurpose::ClientAuth, true)?
            .signed_by(&key, &ca, &ca_key)?;
        self.write("client-rsa.pem", &cert.pem())?;
        self.write("client-rsa.key", &key.serialize_pem())?;
        self.openssl(&["pkey", "-traditional"], "client-rsa.key", "client-pkcs1.key")?;
        Ok(())
    }

    /// A fresh RSA-2048 key from `openssl genpkey`, as an rcgen key pair (PKCS#8).
    fn openssl_rsa_key(&self) -> Result<KeyPair> {
        let output = Command::new("openssl")
            .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
            .output()
            .map_err(|e| format!("cannot run openssl (needed for RSA keys): {e}"))?;
        if !output.status.success() {
            return Err(format!("openssl genpkey failed: {}", String::from_utf8_lossy(&output.stderr)).into());
        }
        Ok(KeyPair::from_pem(std::str::from_utf8(&output.stdout)?)?)
    }

    /// Runs `openssl <args> -in <input> -out <output>` inside the output directory.
    fn openssl(&self, args: &[&str], input: &str, output: &str) -> Result<()> {
        let status = Command::new("openssl")
            .args(args)
            .arg("-in")
            .arg(self.path(input))
            .arg("-out")
            .arg(self.path(output))
            .status()
            .map_err(|e| format!("cannot run openssl: {e}"))?;
        if !status.success() {
            return Err(format!("openssl {} failed", args.join(" ")).into());
        }
        println!("wrote {}", self.path(output).display());
        Ok(())
    }
}
