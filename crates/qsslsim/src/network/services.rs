//! The network side of the IP services that use no socket (`AT+QIDNSGIP`, `AT+QPING`,
//! `AT+QNTP`): one task per job. Names go through the daemon's resolver and armed DNS faults
//! exactly as opens do; destinations through `--route` and the sandbox. Ping sends real ICMP
//! echoes where the system allows unprivileged ICMP sockets and falls back to a TCP connect
//! probe (policy `ping-method`); NTP is a minimal SNTP client (one 48-byte request, the
//! server's transmit timestamp).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use qsslsim_modem::ip_services::{EchoReply, ServiceEvent, ServiceFailure, ServiceKind, ServiceRequest};
use qsslsim_modem::policy::{PING_PROBE_PORT, PING_TTL};
use qsslsim_modem::{ErrorCode, NetEvent, OpenFault};
use time::OffsetDateTime;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::debug;

use super::resolve::NetPolicy;

/// Payload bytes of each echo (the module reports 32).
const ECHO_PAYLOAD: usize = 32;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: i64 = 2_208_988_800;

fn failure(code: ErrorCode, cause: impl Into<String>) -> ServiceFailure {
    ServiceFailure { code, cause: cause.into() }
}

/// Start the job for `req`; it reports on `events` and ends by itself.
pub fn spawn(req: ServiceRequest, policy: Arc<NetPolicy>, events: mpsc::Sender<NetEvent>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let job = req.job;
        let report = |ev: ServiceEvent| {
            let events = events.clone();
            async move {
                let _ = events.send(NetEvent::Service(ev)).await;
            }
        };
        let addrs = match lookup(&req, &policy).await {
            Ok(addrs) => addrs,
            Err(failure) => return report(ServiceEvent::Failed { job, failure }).await,
        };
        match req.kind {
            ServiceKind::Lookup => report(ServiceEvent::Resolved { job, addrs }).await,
            ServiceKind::Ping { timeout, count } => {
                let reported = addrs[0];
                let dial = route(&policy, reported, 0).map(|a| a.ip());
                let mut prober = Prober::new(dial.as_ref().ok().copied());
                for seq in 0..u16::from(count) {
                    let outcome = match &dial {
                        Ok(ip) => prober.echo(*ip, seq, timeout).await.map(|time_ms| EchoReply {
                            addr: reported,
                            time_ms,
                            ttl: PING_TTL,
                        }),
                        Err(why) => Err(failure(ErrorCode::Timeout, why.clone())),
                    };
                    report(ServiceEvent::Echo { job, outcome }).await;
                }
            }
            ServiceKind::Ntp { port, timeout } => {
                let ev = match route(&policy, addrs[0], port) {
                    Ok(dial) => match sntp(dial, timeout).await {
                        Ok(utc) => ServiceEvent::Time { job, utc },
                        Err(failure) => ServiceEvent::Failed { job, failure },
                    },
                    Err(why) => ServiceEvent::Failed { job, failure: failure(ErrorCode::Timeout, why) },
                };
                report(ev).await;
            }
        }
    })
}

/// The job's name lookup: the armed fault first, then the resolver.
async fn lookup(req: &ServiceRequest, policy: &NetPolicy) -> Result<Vec<IpAddr>, ServiceFailure> {
    match req.fault {
        Some(OpenFault::DnsFailure) => {
            return Err(failure(ErrorCode::DnsFailed, "fault dns_failure: the name did not resolve"))
        }
        Some(OpenFault::DnsBusy) => {
            return Err(failure(ErrorCode::DnsBusy, "fault dns_busy: the resolver is busy"))
        }
        _ => {}
    }
    policy.resolve_all(&req.host, req.dns_usable).await.map_err(|(f, cause)| failure(f.code(), cause))
}

/// Where a packet to `reported`:`port` goes: a `--route` for that address (for ping, port 0,
/// any route from the address), then the sandbox.
fn route(policy: &NetPolicy, reported: IpAddr, port: u16) -> Result<SocketAddr, String> {
    let from = SocketAddr::new(reported, port);
    let from = if port == 0 {
        policy.routes.iter().find(|r| r.from.ip() == reported).map_or(from, |r| r.from)
    } else {
        from
    };
    policy.route(from).map(|d| d.dial).map_err(|(_, why)| why)
}

/// Sends echoes: ICMP when the system allows it, else TCP connect probes.
struct Prober {
    icmp: Option<UdpSocket>,
}

impl Prober {
    fn new(dial: Option<IpAddr>) -> Prober {
        let icmp = dial.and_then(|ip| match icmp_socket(ip) {
            Ok(s) => Some(s),
            Err(e) => {
                debug!(error = %e, "no unprivileged ICMP socket: pinging with TCP connect probes");
                None
            }
        });
        Prober { icmp }
    }

    /// One echo to `ip`: the round trip in ms, or why it was lost.
    async fn echo(&mut self, ip: IpAddr, seq: u16, timeout: Duration) -> Result<u32, ServiceFailure> {
        let start = Instant::now();
        let answered = match &self.icmp {
            Some(sock) => tokio::time::timeout(timeout, icmp_echo(sock, ip, seq)).await,
            None => tokio::time::timeout(timeout, tcp_probe(ip)).await,
        };
        match answered {
            Ok(Ok(())) => Ok(start.elapsed().as_millis().min(u128::from(u32::MAX)) as u32),
            Ok(Err(why)) => Err(failure(ErrorCode::Timeout, why)),
            Err(_) => Err(failure(ErrorCode::Timeout, format!("no echo reply from {ip} within {timeout:?}"))),
        }
    }
}

/// An unprivileged ICMP datagram socket (Linux: allowed by `net.ipv4.ping_group_range`).
fn icmp_socket(ip: IpAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let (domain, proto) =
        if ip.is_ipv4() { (Domain::IPV4, Protocol::ICMPV4) } else { (Domain::IPV6, Protocol::ICMPV6) };
    let s = Socket::new(domain, Type::DGRAM, Some(proto))?;
    s.set_nonblocking(true)?;
    UdpSocket::from_std(s.into())
}

/// One ICMP echo request and its reply (the kernel sets the identifier and, for IPv6, the
/// checksum).
async fn icmp_echo(sock: &UdpSocket, ip: IpAddr, seq: u16) -> Result<(), String> {
    let (request_type, reply_type) = if ip.is_ipv4() { (8u8, 0u8) } else { (128, 129) };
    let mut packet = vec![request_type, 0, 0, 0, 0, 0];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend((0..ECHO_PAYLOAD).map(|i| b'a' + (i % 23) as u8));
    let sum = checksum(&packet);
    packet[2..4].copy_from_slice(&sum.to_be_bytes());
    sock.send_to(&packet, SocketAddr::new(ip, 0)).await.map_err(|e| format!("ICMP send to {ip}: {e}"))?;
    let mut buf = [0u8; 1500];
    loop {
        let (n, from) = sock.recv_from(&mut buf).await.map_err(|e| format!("ICMP receive: {e}"))?;
        if n >= 8 && from.ip() == ip && buf[0] == reply_type && buf[6..8] == seq.to_be_bytes() {
            return Ok(());
        }
    }
}

/// The Internet checksum (RFC 1071).
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 =
        data.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// A TCP connect that is answered at all (accepted or refused) shows the host is there.
async fn tcp_probe(ip: IpAddr) -> Result<(), String> {
    match tokio::net::TcpStream::connect((ip, PING_PROBE_PORT)).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
        Err(e) => Err(format!("probe of {ip}:{PING_PROBE_PORT}: {e}")),
    }
}

/// One SNTP exchange with `server`: its transmit time, in UTC.
async fn sntp(server: SocketAddr, timeout: Duration) -> Result<OffsetDateTime, ServiceFailure> {
    let local: SocketAddr =
        if server.is_ipv4() { (Ipv4Addr::UNSPECIFIED, 0).into() } else { (Ipv6Addr::UNSPECIFIED, 0).into() };
    let sock_err = |e: std::io::Error| failure(ErrorCode::CreateSocketFailed, format!("NTP socket: {e}"));
    let sock = UdpSocket::bind(local).await.map_err(sock_err)?;
    sock.connect(server).await.map_err(sock_err)?;
    let mut request = [0u8; 48];
    // LI 0, version 4, mode 3 (client).
    request[0] = 0x23;
    sock.send(&request)
        .await
        .map_err(|e| failure(ErrorCode::WriteFailed, format!("NTP request to {server}: {e}")))?;
    let exchange = async {
        let mut buf = [0u8; 512];
        loop {
            let n = sock.recv(&mut buf).await.map_err(|e| format!("NTP answer from {server}: {e}"))?;
            match parse_sntp(&buf[..n]) {
                Some(t) => return Ok::<_, String>(t),
                None => debug!(bytes = n, %server, "not an NTP server answer; still waiting"),
            }
        }
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(why)) => Err(failure(ErrorCode::Timeout, why)),
        Err(_) => Err(failure(ErrorCode::Timeout, format!("no NTP answer from {server} within {timeout:?}"))),
    }
}

/// A server's answer (mode 4, stratum not 0): its transmit timestamp.
pub fn parse_sntp(packet: &[u8]) -> Option<OffsetDateTime> {
    if packet.len() < 48 || packet[0] & 0x07 != 4 || packet[1] == 0 {
        return None;
    }
    let secs = u32::from_be_bytes(packet[40..44].try_into().ok()?);
    let frac = u32::from_be_bytes(packet[44..48].try_into().ok()?);
    if secs == 0 {
        return None;
    }
    // Era 1 starts in 2036: a timestamp with the top bit clear is past the wrap.
    let secs = if secs & 0x8000_0000 == 0 { i64::from(secs) + (1 << 32) } else { i64::from(secs) };
    let nanos = (u64::from(frac) * 1_000_000_000) >> 32;
    let unix = secs - NTP_UNIX_OFFSET;
    OffsetDateTime::from_unix_timestamp(unix).ok().map(|t| t + Duration::from_nanos(nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(unix: i64) -> Vec<u8> {
        let mut p = vec![0u8; 48];
        p[0] = 0x24;
        p[1] = 2;
        let secs = (unix + NTP_UNIX_OFFSET) as u32;
        p[40..44].copy_from_slice(&secs.to_be_bytes());
        p[44..48].copy_from_slice(&0x8000_0000u32.to_be_bytes());
        p
    }

    #[test]
    fn sntp_answers_parse_and_others_do_not() {
        let t = parse_sntp(&answer(1_786_000_000)).unwrap();
        assert_eq!(t.unix_timestamp(), 1_786_000_000);
        assert_eq!(t.millisecond(), 500);
        // Past the 2036 wrap.
        assert_eq!(parse_sntp(&answer(2_200_000_000)).unwrap().unix_timestamp(), 2_200_000_000);
        let mut client = answer(1_786_000_000);
        client[0] = 0x23;
        assert!(parse_sntp(&client).is_none());
        let mut kiss = answer(1_786_000_000);
        kiss[1] = 0;
        assert!(parse_sntp(&kiss).is_none());
        assert!(parse_sntp(&[0x24; 47]).is_none());
    }

    #[test]
    fn checksum_of_an_echo_request() {
        // Type 8, id 0, seq 1, no payload: 0x0800 + 0x0001 -> !0x0801.
        assert_eq!(checksum(&[8, 0, 0, 0, 0, 0, 0, 1]), !0x0801);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_ntp_server_times_out() {
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = sntp(silent.local_addr().unwrap(), Duration::from_secs(10)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::Timeout);
        assert!(err.cause.contains("within 10s"), "{}", err.cause);
    }
}
