//! Turning the host's server address into where the emulator really dials: `--resolve
//! NAME=ADDR` and `localhost` for names, the system resolver only in `--net host`, then
//! `--route ADDR:PORT=ADDR:PORT`, then the sandbox check (loopback only). The address the
//! module reports is the resolved one, before routing, as a module would see it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

use qsslsim_modem::errors::OpenFailure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum NetMode {
    /// Only loopback destinations after mapping; names only from --resolve and localhost.
    #[default]
    Sandbox,
    /// Any destination, names through the system resolver.
    Host,
}

/// `NAME=ADDR`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveRule {
    pub name: String,
    pub addr: IpAddr,
}

impl FromStr for ResolveRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, addr) = s.split_once('=').ok_or("expected NAME=ADDR")?;
        let addr = addr.parse().map_err(|e| format!("bad address {addr:?}: {e}"))?;
        if name.is_empty() {
            return Err("empty name".into());
        }
        Ok(ResolveRule { name: name.to_ascii_lowercase(), addr })
    }
}

/// `ADDR:PORT=ADDR:PORT`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    pub from: SocketAddr,
    pub to: SocketAddr,
}

impl FromStr for RouteRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (from, to) = s.split_once('=').ok_or("expected ADDR:PORT=ADDR:PORT")?;
        let from = from.parse().map_err(|e| format!("bad address {from:?}: {e}"))?;
        let to = to.parse().map_err(|e| format!("bad address {to:?}: {e}"))?;
        Ok(RouteRule { from, to })
    }
}

#[derive(Debug, Clone, Default)]
pub struct NetPolicy {
    pub mode: NetMode,
    pub resolve: Vec<ResolveRule>,
    pub routes: Vec<RouteRule>,
}

/// Where an open leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destination {
    /// What the module reports (resolved, before routing).
    pub reported: SocketAddr,
    /// What the emulator dials.
    pub dial: SocketAddr,
}

impl NetPolicy {
    /// Resolve a name through the rules (and the system resolver in host mode).
    pub async fn resolve(&self, host: &str, dns_usable: bool) -> Result<IpAddr, (OpenFailure, String)> {
        let all = self.resolve_all(host, dns_usable).await?;
        Ok(all[0])
    }

    /// Every address a name has, in order (at least one): all `--resolve` rules for it, or
    /// all the system resolver gives in host mode. An address is its own only answer.
    pub async fn resolve_all(
        &self,
        host: &str,
        dns_usable: bool,
    ) -> Result<Vec<IpAddr>, (OpenFailure, String)> {
        let host_trimmed = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host_trimmed.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        if !dns_usable {
            return Err((
                OpenFailure::DnsFailed,
                format!("no usable DNS server on the PDP context to resolve {host:?}"),
            ));
        }
        let lower = host.to_ascii_lowercase();
        let mapped: Vec<IpAddr> = self.resolve.iter().filter(|r| r.name == lower).map(|r| r.addr).collect();
        if !mapped.is_empty() {
            return Ok(mapped);
        }
        if lower == "localhost" {
            return Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        }
        match self.mode {
            NetMode::Sandbox => Err((
                OpenFailure::DnsFailed,
                format!("sandbox: {host:?} is not mapped with --resolve; no query left the machine"),
            )),
            NetMode::Host => match tokio::net::lookup_host((host, 0)).await {
                Ok(addrs) => {
                    let mut all: Vec<IpAddr> = Vec::new();
                    for ip in addrs.map(|a| a.ip()) {
                        if !all.contains(&ip) {
                            all.push(ip);
                        }
                    }
                    if all.is_empty() {
                        Err((OpenFailure::DnsFailed, format!("{host:?} has no address")))
                    } else {
                        Ok(all)
                    }
                }
                Err(e) => Err((OpenFailure::DnsFailed, format!("resolving {host:?}: {e}"))),
            },
        }
    }

    /// Apply routes and the sandbox to a resolved address.
    pub fn route(&self, reported: SocketAddr) -> Result<Destination, (OpenFailure, String)> {
        let dial = self.routes.iter().find(|r| r.from == reported).map(|r| r.to).unwrap_or(reported);
        if self.mode == NetMode::Sandbox && !dial.ip().is_loopback() {
            return Err((
                OpenFailure::ConnectFailed,
                format!("sandbox: {dial} is not a loopback address (map it with --route, or use --net host)"),
            ));
        }
        Ok(Destination { reported, dial })
    }

    pub async fn destination(
        &self,
        host: &str,
        port: u16,
        dns_usable: bool,
    ) -> Result<Destination, (OpenFailure, String)> {
        let ip = self.resolve(host, dns_usable).await?;
        self.route(SocketAddr::new(ip, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> NetPolicy {
        NetPolicy {
            mode: NetMode::Sandbox,
            resolve: vec!["peer.example=192.0.2.2".parse().unwrap()],
            routes: vec!["192.0.2.2:8010=127.0.0.1:4433".parse().unwrap()],
        }
    }

    #[tokio::test]
    async fn name_resolves_then_routes_to_loopback() {
        let d = policy().destination("PEER.example", 8010, true).await.unwrap();
        assert_eq!(d.reported, "192.0.2.2:8010".parse().unwrap());
        assert_eq!(d.dial, "127.0.0.1:4433".parse().unwrap());
    }

    #[tokio::test]
    async fn sandbox_refuses_unmapped_names_and_addresses() {
        let p = policy();
        assert_eq!(p.destination("unmapped.example", 443, true).await.unwrap_err().0, OpenFailure::DnsFailed);
        assert_eq!(p.destination("192.0.2.2", 9999, true).await.unwrap_err().0, OpenFailure::ConnectFailed);
        assert_eq!(p.destination("peer.example", 8010, false).await.unwrap_err().0, OpenFailure::DnsFailed);
        assert_eq!(p.destination("localhost", 5, true).await.unwrap().dial, "127.0.0.1:5".parse().unwrap());
        assert_eq!(p.destination("::1", 5, false).await.unwrap().dial, "[::1]:5".parse().unwrap());
    }

    #[tokio::test]
    async fn every_mapped_address_of_a_name() {
        let mut p = policy();
        p.resolve.push("peer.example=::1".parse().unwrap());
        let all = p.resolve_all("peer.example", true).await.unwrap();
        assert_eq!(all, ["192.0.2.2".parse::<IpAddr>().unwrap(), "::1".parse().unwrap()]);
        assert_eq!(p.resolve("peer.example", true).await.unwrap(), all[0]);
        assert_eq!(p.resolve_all("[::1]", false).await.unwrap(), ["::1".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn rule_syntax_errors_are_explained() {
        assert!("nameonly".parse::<ResolveRule>().unwrap_err().contains("NAME=ADDR"));
        assert!("a=notanip".parse::<ResolveRule>().unwrap_err().contains("bad address"));
        assert!("1.2.3.4=5.6.7.8".parse::<RouteRule>().is_err());
    }
}
