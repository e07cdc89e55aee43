//! PDP contexts 1–15: APN configuration (`AT+QICSGP`), activation state (`AT+QIACT`), the
//! address, mask, gateway and bearer shown for an active context, and DNS servers
//! (`AT+QIDNSCFG`).

use std::net::IpAddr;

use crate::ids::PdpCtxId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdpContext {
    /// 1 IPv4, 2 IPv6, 3 IPv4v6.
    pub kind: u8,
    pub apn: String,
    pub user: String,
    pub password: String,
    /// 0 none, 1 PAP, 2 CHAP.
    pub auth: u8,
    /// Defined (listed by `AT+CGDCONT?`/`AT+CGACT?`): context 1 from the factory, others once
    /// `AT+CGDCONT`/`AT+QICSGP` configure them or they are activated.
    pub defined: bool,
    pub active: bool,
    pub dns_primary: String,
    pub dns_secondary: String,
}

impl Default for PdpContext {
    fn default() -> Self {
        PdpContext {
            kind: 1,
            apn: String::new(),
            user: String::new(),
            password: String::new(),
            auth: 0,
            defined: false,
            active: false,
            dns_primary: "10.7.157.254".into(),
            dns_secondary: "10.7.157.253".into(),
        }
    }
}

impl PdpContext {
    /// Whether name lookups on this context can work: at least one DNS server must be a valid,
    /// non-zero address (the maker's troubleshooting step "DNS server invalid").
    pub fn dns_usable(&self) -> bool {
        [&self.dns_primary, &self.dns_secondary]
            .iter()
            .any(|s| s.parse::<IpAddr>().map(|a| !a.is_unspecified()).unwrap_or(false))
    }
}

/// The address `AT+QIACT?` shows for an active context (policy `pdp-address`).
pub fn local_address(ctx: PdpCtxId) -> String {
    format!("10.7.157.{ctx}")
}

/// The subnet mask, gateway and EPS bearer id `AT+CGCONTRDP` shows for an active context
/// (policy `cgcontrdp-values`): one /24 around the addresses of [`local_address`], the
/// gateway inside it, and bearer ids from 5 up as a network hands them out.
pub const SUBNET_MASK: &str = "255.255.255.0";
pub const GATEWAY: &str = "10.7.157.100";

pub fn bearer_id(ctx: PdpCtxId) -> u8 {
    // EPS bearer ids are 5 to 15.
    5 + (ctx.get() - 1) % 11
}

/// The one table of PDP contexts that both command families edit: `AT+QICSGP`/`AT+QIACT`
/// and `AT+CGDCONT`/`AT+CGACT`.
#[derive(Debug, Clone)]
pub struct PdpTable {
    contexts: [PdpContext; PdpCtxId::COUNT],
}

impl Default for PdpTable {
    fn default() -> Self {
        let mut t = PdpTable { contexts: Default::default() };
        t.contexts[0].defined = true;
        t
    }
}

/// The `<PDP_type>` text of `AT+CGDCONT` for a `AT+QICSGP` `<context_type>`, and back.
pub const PDP_TYPES: &[(u8, &str)] = &[(1, "IP"), (2, "IPV6"), (3, "IPV4V6")];

pub fn type_name(kind: u8) -> &'static str {
    PDP_TYPES.iter().find(|(k, _)| *k == kind).map_or("IP", |(_, n)| n)
}

impl PdpTable {
    pub fn get(&self, ctx: PdpCtxId) -> &PdpContext {
        &self.contexts[ctx.index()]
    }
    pub fn get_mut(&mut self, ctx: PdpCtxId) -> &mut PdpContext {
        &mut self.contexts[ctx.index()]
    }
    pub fn is_active(&self, ctx: PdpCtxId) -> bool {
        self.get(ctx).active
    }
    /// Defined contexts in ascending order.
    pub fn defined(&self) -> impl Iterator<Item = (PdpCtxId, &PdpContext)> {
        PdpCtxId::all().zip(self.contexts.iter()).filter(|(_, c)| c.defined || c.active)
    }
    /// Active contexts in ascending order.
    pub fn active(&self) -> impl Iterator<Item = (PdpCtxId, &PdpContext)> {
        PdpCtxId::all().zip(self.contexts.iter()).filter(|(_, c)| c.active)
    }
}
