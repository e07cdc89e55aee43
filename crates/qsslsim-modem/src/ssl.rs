//! The six SSL contexts: each holds its `AT+QSSLCFG` settings and the TLS runtime object that
//! outlives single connections (session cache).

use qsslsim_tls::{ContextTls, SslSettings};

use crate::ids::SslCtxId;

pub struct SslContext {
    pub settings: SslSettings,
    pub tls: ContextTls,
}

impl SslContext {
    pub fn new(id: SslCtxId) -> Self {
        SslContext { settings: SslSettings::default(), tls: ContextTls::for_context(id.get()) }
    }
}

impl qsslsim_tls::FileSource for crate::files::FileStore {
    fn read_file(&self, name: &str) -> Option<Vec<u8>> {
        crate::files::FileStore::read_file(self, name)
    }
}
